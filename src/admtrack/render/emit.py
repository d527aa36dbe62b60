"""Turns results into documents and rows, and sends them to the writer for the chosen format.

Tables for people go through ``render.human`` (Rich, imported only then); machine formats through
``render.machine``. No arithmetic here: values are passed through as the core computed them.
"""

from __future__ import annotations

from admtrack.model import REGION, Assessment
from admtrack.render import machine

NUMERIC = ("year", "value", "baseline_year", "baseline_value", "latest_year", "latest_value", "target",
           "progress", "attainment", "gap", "observed_rate", "required_rate", "projected", "anticipated",
           "years_left", "shortfall", "contribution", "ratio", "coverage_states", "coverage_of",
           "coverage_weight_share", "goal", "shortfall_share", "trend_from", "trend_to", "trend_points")


# ---- status / gaps -----------------------------------------------------------------------------

def plan_head(plan) -> dict:
    m = plan.meta
    return {"id": m.id, "name": m.name, "baseline_year": m.baseline_year, "target_year": m.target_year}


def assessment_doc(a: Assessment, *, method: str, region: bool = False, sum_target: bool = False) -> dict:
    """The SPEC §4 ASSESSMENT object (plus years_left, shortfall; ratio under cagr-ratio; basis and
    carried_forward for the region; ``goal`` for the region of a ``sum`` target)."""
    tr = a.trend
    doc = {
        "state": a.state,
        "baseline": None if a.baseline is None else {"year": a.baseline.year, "value": a.baseline.value},
        "latest": None if a.latest is None else {"year": a.latest.year, "value": a.latest.value,
                                                 "source": a.latest.source, "obs_status": a.latest.obs_status},
        "target": a.target,
        "progress": a.progress,
        "attainment": a.attainment,
        "gap": a.gap,
        "observed_rate": a.observed_rate,
        "required_rate": a.required_rate,
        "projected": a.projected,
        "anticipated": a.anticipated,
        "status": a.status,
        "reason": a.reason,
        "trend": None if tr is None else {"from": tr.from_year, "to": tr.to_year, "points": tr.points},
        "coverage": None,
        "years_left": a.years_left,
        "shortfall": a.shortfall,
    }
    if method == "cagr-ratio":
        doc["ratio"] = a.ratio
    if region:
        c = a.coverage
        doc["coverage"] = None if c is None else {"states": c.states, "of": c.of, "weight_share": c.weight_share}
        doc["basis"] = a.basis
        doc["carried_forward"] = list(a.carried_forward)
        if sum_target:
            doc["goal"] = a.goal
    return doc


def target_head(tr) -> dict:
    t = tr.target
    return {"id": t.id, "title": t.title, "indicator": t.indicator, "unit": tr.indicator.unit, "kind": t.kind,
            "direction": t.direction, "value": t.value, "change": t.change, "aggregate": t.aggregate,
            "weight": t.weight}


def status_doc(result) -> dict:
    return {
        "schema": "admtrack.status/1",
        "plan": plan_head(result.plan),
        "as_of": result.as_of,
        "method": result.method,
        "targets": [
            {**target_head(tr),
             "region": assessment_doc(tr.region, method=result.method, region=True,
                                      sum_target=tr.target.aggregate == "sum"),
             "states": [assessment_doc(a, method=result.method) for a in tr.states]}
            for tr in result.targets
        ],
    }


def gaps_doc(result) -> dict:
    from admtrack.report import gap_rows

    rows = []
    for tr, a in gap_rows(result):
        row = {"target_id": tr.target.id, "unit": tr.indicator.unit}
        row.update(assessment_doc(a, method=result.method, region=a.state == REGION,
                                  sum_target=tr.target.aggregate == "sum"))
        row["shortfall_share"] = a.shortfall_share
        row["contribution"] = a.contribution
        rows.append(row)
    return {"schema": "admtrack.gaps/1", "plan": plan_head(result.plan), "as_of": result.as_of,
            "method": result.method, "rows": rows}


FLAT_COLUMNS = ["target_id", "state", "unit", "baseline_year", "baseline_value", "latest_year", "latest_value",
                "latest_source", "latest_obs_status", "target", "goal", "progress", "attainment", "gap",
                "observed_rate", "required_rate", "projected", "anticipated", "status", "reason", "trend_from",
                "trend_to", "trend_points", "years_left", "shortfall"]
REGION_COLUMNS = ["basis", "coverage_states", "coverage_of", "coverage_weight_share", "carried_forward"]


def flat(row: dict) -> dict:
    out = {k: v for k, v in row.items() if not isinstance(v, dict) and k != "carried_forward"}
    b, l, c, t = row.get("baseline"), row.get("latest"), row.get("coverage"), row.get("trend")
    out["baseline_year"] = b and b["year"]
    out["baseline_value"] = b and b["value"]
    out["latest_year"] = l and l["year"]
    out["latest_value"] = l and l["value"]
    out["latest_source"] = l and l["source"]
    out["latest_obs_status"] = l and l["obs_status"]
    out["goal"] = row.get("goal")
    out["trend_from"] = t and t["from"]
    out["trend_to"] = t and t["to"]
    out["trend_points"] = t and t["points"]
    out["coverage_states"] = c and c["states"]
    out["coverage_of"] = c and c["of"]
    out["coverage_weight_share"] = c and c["weight_share"]
    out["carried_forward"] = " ".join(row.get("carried_forward") or [])
    return out


def _flat_columns(result, *, gaps: bool) -> list[str]:
    cols = list(FLAT_COLUMNS)
    if result.method == "cagr-ratio":
        cols.append("ratio")
    if gaps:
        cols += ["shortfall_share", "contribution"]
    return cols + REGION_COLUMNS


def status(result, fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        machine.write_json(status_doc(result))
        return
    if fmt == "table":
        from admtrack.render import human

        human.status(result)
        return
    if fmt == "markdown":
        pairs = []
        for tr in result.targets:
            if result.region_selected:
                pairs.append((tr, tr.region))
            pairs.extend((tr, a) for a in tr.states)
        _markdown_report(pairs, STATUS_MD)
        return
    doc = status_doc(result)
    rows = []
    for t in doc["targets"]:
        if result.region_selected:
            rows.append(flat({"target_id": t["id"], "unit": t["unit"], **t["region"]}))
        rows.extend(flat({"target_id": t["id"], "unit": t["unit"], **a}) for a in t["states"])
    machine.write_rows(fmt, _flat_columns(result, gaps=False), rows, raw=raw, numeric=NUMERIC)


def gaps(result, fmt: str, *, raw: bool = False) -> None:
    doc = gaps_doc(result)
    if fmt == "json":
        machine.write_json(doc)
    elif fmt == "markdown":
        from admtrack.report import gap_rows

        _markdown_report(gap_rows(result), GAPS_MD)
    elif fmt == "table":
        from admtrack.render import human

        human.gaps(result, doc)
    else:
        machine.write_rows(fmt, _flat_columns(result, gaps=True), [flat(r) for r in doc["rows"]], raw=raw,
                           numeric=NUMERIC)


# Markdown for reports: the columns a reader wants, formatted as in the tables (machine formats carry
# every field at full precision).
STATUS_MD = ("target", "state", "baseline", "latest", "goal", "of_goal", "progress", "gap", "status", "coverage")
GAPS_MD = ("target", "state", "latest", "goal", "gap", "years_left", "required", "observed", "projected", "shortfall",
           "status", "contribution")
MD_HEAD = {"target": "Target", "state": "State", "baseline": "Baseline", "latest": "Latest", "goal": "Goal",
           "of_goal": "% of goal", "progress": "Progress", "gap": "Gap", "status": "Status",
           "coverage": "Coverage", "years_left": "Years left", "required": "Pace needed/y",
           "observed": "Pace observed/y", "projected": "Projected", "shortfall": "Shortfall",
           "contribution": "Contribution"}
MD_TEXT = ("target", "state", "status", "coverage")


def _markdown_report(pairs, columns) -> None:
    from admtrack.render import fmt

    rows = []
    for tr, a in pairs:
        unit = tr.indicator.unit
        cov = a.coverage
        coverage = ""
        if cov is not None:
            coverage = f"{cov.states}/{cov.of}"
            if cov.weight_share is not None and tr.target.weight:
                coverage += f" ({fmt.pct(cov.weight_share)} of {tr.target.weight})"
            if a.basis == "reported":
                coverage += ", reported"
        rows.append({
            "target": tr.target.id, "state": a.state,
            "baseline": fmt.fmt_point(a.baseline, unit, long=True),
            "latest": fmt.fmt_point(a.latest, unit, long=True),
            "goal": fmt.fmt_goal(a, unit), "of_goal": fmt.pct(a.attainment),
            "progress": fmt.pct(a.progress), "gap": fmt.fmt_gap(a.gap, unit),
            "status": f"{fmt.SYMBOL_CHAR.get(a.status, '')} {fmt.status_label(a.status, a.reason)}{fmt.trend_mark(a)}",
            "coverage": coverage, "years_left": "—" if a.years_left is None else str(a.years_left),
            "required": fmt.rate(a.required_rate), "observed": fmt.rate(a.observed_rate) + fmt.trend_mark(a),
            "projected": fmt.fmt_value(a.projected, unit),
            "shortfall": fmt.fmt_value(a.shortfall, unit), "contribution": fmt.fmt_gap(a.contribution, unit),
        })
    machine.write_markdown(columns, rows, headers=[MD_HEAD[c] for c in columns],
                           numeric=[c for c in columns if c not in MD_TEXT])


# ---- plan listings -----------------------------------------------------------------------------

def targets(plan, chosen, fmt: str, *, raw: bool = False) -> None:
    tdocs = [t.dump() for t in chosen]
    idocs = [i.dump() for i in plan.indicators.values()]
    if fmt == "json":
        machine.write_json({"schema": "admtrack.targets/1",
                            "plan": plan.meta.dump(),
                            "targets": tdocs, "indicators": idocs})
        return
    rows = []
    for t in chosen:
        ind = plan.indicators[t.indicator]
        goal = t.value if t.kind == "level" else t.change
        rows.append({"id": t.id, "title": t.title, "indicator": t.indicator, "unit": ind.unit, "kind": t.kind,
                     "value": t.value, "change": t.change, "direction": t.direction, "aggregate": t.aggregate,
                     "weight": t.weight, "source": t.source, "_goal": goal})
    if fmt == "table":
        from admtrack.render import human

        human.targets(plan, rows)
        return
    cols = ["id", "title", "indicator", "unit", "kind", "value", "change", "direction", "aggregate", "weight",
            "source"]
    machine.write_rows(fmt, cols, rows, raw=raw, numeric=("value", "change"))


def states(plan, fmt: str, *, raw: bool = False) -> None:
    docs = [{"code": s.code, "alpha2": s.alpha2, "name": s.name, "aliases": list(s.aliases),
             "joined": s.joined} for s in plan.states]
    if fmt == "json":
        machine.write_json({"schema": "admtrack.states/1", "states": docs})
    elif fmt == "table":
        from admtrack.render import human

        human.states(docs)
    else:
        machine.write_rows(fmt, ["code", "alpha2", "name", "aliases", "joined"], docs, raw=raw)


# ---- observations ------------------------------------------------------------------------------

HISTORY_COLUMNS = ["year", "value", "layer", "status", "source", "note", "recorded_at", "retracted", "reason"]


def history(h, fmt: str, *, raw: bool = False) -> None:
    entries = [{"year": r.entry.year, "value": r.entry.value, "layer": r.layer, "status": r.status,
                "source": r.entry.source, "note": r.entry.note, "recorded_at": r.entry.recorded_at,
                "retracted": r.entry.retracted, "reason": r.entry.reason} for r in h.rows]
    current = [{"year": p.year, "value": p.value, "source": p.source} for p in h.points]
    if fmt == "json":
        machine.write_json({"schema": "admtrack.history/1", "state": h.state, "indicator": h.indicator,
                            "unit": h.indicator_model.unit, "entries": entries, "current": current})
    elif fmt == "table":
        from admtrack.render import human

        human.history(h, entries, current)
    else:
        machine.write_rows(fmt, HISTORY_COLUMNS, entries, raw=raw, numeric=("year", "value"))


EXPORT_COLUMNS = ["state", "indicator", "year", "value", "source", "note", "recorded_at", "layer"]


def export(rows: list[dict], fmt: str, *, dataflow: str, plan, raw: bool, all_revisions: bool) -> None:
    cols = EXPORT_COLUMNS + (["retracted", "reason"] if all_revisions else [])
    if fmt == "json":
        machine.write_json({"schema": "admtrack.observations/1", "observations": rows})
    elif fmt == "sdmx-csv":
        sdmx(rows, dataflow, plan)
    else:
        machine.write_rows(fmt, cols, rows, raw=raw)


SDMX_UNITS = {"percent": "PT", "usd-bn": "USD_BN", "usd": "USD", "persons": "PS", "index": "IX"}


def sdmx(rows: list[dict], dataflow: str, plan) -> None:
    """SDMX-CSV 1.0: DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS (never prefixed)."""
    import csv

    from admtrack.errors import UsageError

    if not _valid_dataflow(dataflow):
        raise UsageError(f"--dataflow: expected AGENCY:ID(VERSION), e.g. ASEAN:ADM2030(1.0), got {dataflow!r}")
    w = csv.writer(machine.out(), lineterminator="\n")
    w.writerow(["DATAFLOW", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS"])
    for r in rows:
        if r.get("retracted") or r["value"] is None:
            continue
        unit = plan.indicators[r["indicator"]].unit
        w.writerow([dataflow, r["state"], r["indicator"], r["year"], repr(float(r["value"])),
                    SDMX_UNITS.get(unit, unit.upper()), "A"])


def _valid_dataflow(text: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z][A-Za-z0-9_-]*\([0-9][0-9A-Za-z.+-]*\)", text) is not None
