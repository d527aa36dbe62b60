"""Turns results into documents and rows, and sends them to the writer for the chosen format.

Every format walks the report's column spec in ``render.columns`` (one place per column): CSV, TSV and
JSON Lines its machine columns, Markdown and the Rich tables (``render.human``, imported only then) its
people columns. The JSON documents are SPEC §4's nested objects, built here. No arithmetic: values are
passed through as the core computed them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from admtrack.model import REGION, Assessment
from admtrack.render import columns as spec
from admtrack.render import machine

# ---- status / gaps -----------------------------------------------------------------------------

def plan_head(plan) -> dict:
    m = plan.meta
    return {"id": m.id, "name": m.name, "baseline_year": m.baseline_year, "target_year": m.target_year}


def assessment_doc(a: Assessment, *, method: str, region: bool = False, sum_target: bool = False) -> dict:
    """The SPEC §4 ASSESSMENT object (plus years_left, shortfall, notes; ratio under cagr-ratio; basis and
    carried_forward for the region; ``goal`` for the region of a ``sum`` target)."""
    tr = a.trend
    doc: dict[str, Any] = {
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
        # how the figures were reached where it is not the plain rule (SPEC §5.6 "with a note", a baseline
        # taken from another year, a linear pace, a matched baseline…), in words
        "notes": list(a.notes),
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
    """A target as the head of its status block; ``proxy``: the text of the proxy indicator it is
    measured by (SPEC §8), else null."""
    t, goal = tr.target, tr.goal
    return {"id": t.id, "title": t.title, "indicator": t.indicator, "unit": tr.indicator.unit, "kind": t.kind,
            "direction": t.direction, "value": t.value, "change": t.change, "aggregate": t.aggregate,
            "weight": t.weight, "proxy": spec.proxy_of(tr),
            # the years this target is measured between (its own, where it overrides the plan's)
            "baseline_year": goal.baseline_year if goal else None,
            "target_year": goal.target_year if goal else None}


def status_doc(result) -> dict:
    return {
        "schema": "admtrack.status/1",
        "plan": plan_head(result.plan),
        "as_of": result.as_of,
        "as_recorded": result.as_recorded,
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
        row: dict[str, Any] = {"target_id": tr.target.id, "unit": tr.indicator.unit}
        row.update(assessment_doc(a, method=result.method, region=a.state == REGION,
                                  sum_target=tr.target.aggregate == "sum"))
        row["shortfall_share"] = a.shortfall_share
        row["contribution"] = a.contribution
        row["proxy"] = spec.proxy_of(tr)
        rows.append(row)
    return {"schema": "admtrack.gaps/1", "plan": plan_head(result.plan), "as_of": result.as_of,
            "as_recorded": result.as_recorded, "method": result.method, "rows": rows}


def status(result, fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        machine.write_json(status_doc(result))
    elif fmt == "table":
        from admtrack.render import human

        human.status(result)
    elif fmt == "markdown":
        _markdown(spec.STATUS, spec.STATUS_MARKDOWN, spec.lines(result), notes=_proxy_notes(result))
    else:
        _rows(fmt, spec.STATUS, spec.lines(result), result, raw=raw)


def gaps(result, fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        machine.write_json(gaps_doc(result))
    elif fmt == "table":
        from admtrack.render import human

        human.gaps(result)
    elif fmt == "markdown":
        _markdown(spec.GAPS, spec.GAPS_MARKDOWN, spec.gap_lines(result), notes=_proxy_notes(result))
    else:
        _rows(fmt, spec.GAPS, spec.gap_lines(result), result, raw=raw)


def _proxy_notes(result) -> list[str]:
    """One footnote per target measured by a proxy indicator (SPEC §8)."""
    from admtrack.render.fmt import proxy_note

    return [proxy_note(tr.target.id, tr.target.indicator, proxy) for tr in result.targets
            if (proxy := spec.proxy_of(tr))]


def _rows(fmt: str, report: spec.Spec, rows, result=None, *, raw: bool = False) -> None:
    cols = report.machine(result)
    machine.write_rows(fmt, [c.key for c in cols], report.each_record(rows, result), raw=raw,
                       numeric=[c.key for c in cols if c.numeric])


def _markdown(report: spec.Spec, layout: spec.Layout, rows, *, notes: Sequence[str] = ()) -> None:
    """Markdown: the people columns of a layout, as the table shows them (machine formats carry every
    field at full precision)."""
    cols = report.people(layout)
    records = [{c.key: spec.plain(c.cell(r, layout.short)) for c in cols} for r in rows]
    machine.write_markdown([c.key for c in cols], records, headers=[c.head(layout.short) for c in cols],
                           numeric=[c.key for c in cols if c.numeric])
    if notes:
        machine.out().write("\n" + "\n".join(f"{machine.md_text(n)}  " for n in notes).rstrip() + "\n")


# ---- plan listings -----------------------------------------------------------------------------

def targets(plan, chosen, fmt: str, *, raw: bool = False, as_recorded: str | None = None) -> None:
    rows = spec.target_rows(plan, chosen)
    if fmt == "json":
        machine.write_json({"schema": "admtrack.targets/1", "as_recorded": as_recorded,
                            "plan": plan.meta.dump(),
                            "targets": [t.dump() for t in chosen],
                            "indicators": [i.dump() for i in plan.indicators.values()]})
    elif fmt == "table":
        from admtrack.render import human

        human.targets(plan, rows)
    else:
        _rows(fmt, spec.TARGETS, rows, raw=raw)


def states(plan, fmt: str, *, raw: bool = False, as_recorded: str | None = None,
           only: list[str] | None = None) -> None:
    """The plan's member states (``only``: those codes, in the plan's order)."""
    chosen = [s for s in plan.states if only is None or s.code in only]
    if fmt == "json":
        docs = [{"code": s.code, "alpha2": s.alpha2, "name": s.name, "aliases": list(s.aliases),
                 "joined": s.joined} for s in chosen]
        machine.write_json({"schema": "admtrack.states/1", "as_recorded": as_recorded, "states": docs})
    elif fmt == "table":
        from admtrack.render import human

        human.states(chosen)
    else:
        _rows(fmt, spec.STATES, chosen, raw=raw)


# ---- observations ------------------------------------------------------------------------------

def history(h, fmt: str, *, raw: bool = False) -> None:
    unit = h.indicator_model.unit
    notes: dict[str, int] = {}
    for r in h.rows:
        if r.entry.note:
            notes.setdefault(r.entry.note, len(notes) + 1)
    entries = [spec.HistoryEntry(r.entry, r.layer, r.status, unit, notes.get(r.entry.note or ""))
               for r in h.rows]
    if fmt == "json":
        current = [{"year": p.year, "value": p.value, "source": p.source, "obs_status": p.obs_status}
                   for p in h.points]
        machine.write_json({"schema": "admtrack.history/1", "as_recorded": h.as_recorded, "state": h.state,
                            "indicator": h.indicator, "unit": unit,
                            "entries": spec.HISTORY.records(entries), "current": current})
    elif fmt == "table":
        from admtrack.render import human

        human.history(h, entries, list(notes))
    else:
        _rows(fmt, spec.HISTORY, entries, raw=raw)


def export(rows: list, fmt: str, *, dataflow: str, plan, raw: bool, all_revisions: bool,
           as_recorded: str | None = None) -> None:
    """``rows``: the observations to export (``commands.export.run``), in order."""
    if fmt == "json":
        machine.write_json_items({"schema": "admtrack.observations/1", "as_recorded": as_recorded}, "observations",
                                 spec.EXPORT.each_record(rows, all_revisions))
    elif fmt == "sdmx-csv":
        if all_revisions:
            from admtrack.errors import UsageError

            raise UsageError("--all-revisions: SDMX-CSV holds one value per series and year (no revisions, no "
                             "retractions); use --format csv, tsv, json or jsonl for the full history")
        sdmx(rows, dataflow, plan)
    else:
        _rows(fmt, spec.EXPORT, rows, all_revisions, raw=raw)


SDMX_UNITS = {"percent": "PT", "usd-bn": "USD_BN", "usd": "USD", "persons": "PS", "index": "IX"}
SDMX_COLUMNS = ("DATAFLOW", "REF_AREA", "INDICATOR", "TIME_PERIOD", "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS",
                "SOURCE", "COMMENT_OBS")


def sdmx(rows: list, dataflow: str, plan) -> None:
    """SDMX-CSV 1.0: DATAFLOW,REF_AREA,INDICATOR,TIME_PERIOD,OBS_VALUE,UNIT_MEASURE,OBS_STATUS and the
    attributes SOURCE and COMMENT_OBS (the note); cells are written as they are, never prefixed."""
    import csv

    from admtrack.errors import UsageError

    if not _valid_dataflow(dataflow):
        raise UsageError(f"--dataflow: expected AGENCY:ID(VERSION), e.g. ASEAN:ADM2030(1.0), got {dataflow!r}")
    w = csv.writer(machine.out(), lineterminator="\n")
    quoted = csv.writer(machine.out(), lineterminator="\n", quoting=csv.QUOTE_ALL)
    w.writerow(SDMX_COLUMNS)
    for o in rows:
        if o.retracted or o.value is None:
            continue
        unit = plan.indicators[o.indicator].unit
        cells = [dataflow, o.state, o.indicator, str(o.year), repr(float(o.value)),
                 SDMX_UNITS.get(unit, unit.upper()), o.obs_status or "A", o.source or "", o.note or ""]
        # a lone CR left unquoted would split the line for readers (as in machine.write_delimited)
        (quoted if any("\r" in c for c in cells) else w).writerow(cells)


def _valid_dataflow(text: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z][A-Za-z0-9_.-]*:[A-Za-z][A-Za-z0-9_-]*\([0-9][0-9A-Za-z.+-]*\)", text) is not None
