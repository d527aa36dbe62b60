"""`admtrack explain` output: the JSON document as it is, rows for CSV/TSV, and for people a short story
in tables (the series with its coverage, the latest year's contributors, the baseline, the projection,
the status). No arithmetic here: every number comes from the document.

Every field of the document may be null (SPEC §4: unknown is null) and every renderer prints "—" for
it; the helpers below read the document that way, so that no missing figure can end in a traceback."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any

from admtrack.model import REGION
from admtrack.render import columns as spec
from admtrack.render import machine
from admtrack.render.fmt import LABEL, fmt_value, pct, proxy_marked, proxy_note, rate

#: CSV/TSV of the region: one row per (year, contributor); of a state: one row per point
REGION_COLUMNS = [
    "year",
    "value",
    "basis",
    "used",
    "coverage_states",
    "coverage_of",
    "coverage_weight_share",
    "contributor",
    "contributor_year",
    "contributor_value",
    "weight",
    "carried",
    "source",
    "obs_status",
]
STATE_COLUMNS = ["year", "value", "layer", "derived", "obs_status", "source"]


def _obj(d: dict[str, Any] | None, key: str) -> dict[str, Any]:
    """``d[key]`` as an object; {} where it (or ``d``) is null."""
    return (d or {}).get(key) or {}


def _items(d: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
    """``d[key]`` as a list of objects, null ones left out; [] where it (or ``d``) is null."""
    return [x for x in (d or {}).get(key) or [] if x is not None]


def _text(v: Any) -> str:
    return "—" if v is None else str(v)


def _year_short(year: int | None) -> str:
    return "'—" if year is None else f"'{year % 100:02d}"


def _weight(w: float | None) -> str:
    return "—" if w is None else f"{w:.4g}"


def _point(p: dict[str, Any], unit: str) -> str:
    return f"{fmt_value(p.get('value'), unit)} ({_text(p.get('year'))})"


def _target_year(doc: dict[str, Any]) -> str:
    """The year the target is measured at: its own (SPEC §2.1: it may override the plan's), else the plan's."""
    year = _obj(doc, "target").get("target_year")
    return _text(_obj(doc, "plan").get("target_year") if year is None else year)


def _unit(doc: dict[str, Any]) -> str:
    return _obj(doc, "target").get("unit") or ""


def emit(doc: dict[str, Any], fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        machine.write_json(doc)
    elif fmt in ("csv", "tsv"):
        region = doc.get("state") == REGION
        rows = _region_rows(doc) if region else _items(doc, "points")
        machine.write_rows(fmt, REGION_COLUMNS if region else STATE_COLUMNS, rows, raw=raw)
    else:
        lines = story(doc)
        if fmt == "markdown":
            machine.out().write("\n".join(_markdown(doc, lines)) + "\n")
        else:
            _table(doc, lines)


def _region_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for y in _items(doc, "years"):
        c = _obj(y, "coverage")
        base = {
            "year": y.get("year"),
            "value": y.get("value"),
            "basis": y.get("basis"),
            "used": y.get("used"),
            "coverage_states": c.get("states"),
            "coverage_of": c.get("of"),
            "coverage_weight_share": c.get("weight_share"),
        }
        for part in _items(y, "contributors") or [{}]:
            out.append(
                base
                | {
                    "contributor": part.get("state"),
                    "contributor_year": part.get("year"),
                    "contributor_value": part.get("value"),
                    "weight": part.get("weight"),
                    "carried": part.get("carried"),
                    "source": part.get("source"),
                    "obs_status": part.get("obs_status"),
                }
            )
    return out


def story(doc: dict[str, Any]) -> list[str]:
    """How the assessment follows, in sentences (shared by the table and Markdown)."""
    a = _obj(doc, "assessment")
    unit = _unit(doc)
    Y = _target_year(doc)
    region = doc.get("state") == REGION
    out = []
    b, latest = a.get("baseline"), a.get("latest")
    own = None if region else doc.get("baseline")  # a state's baseline, with why it was chosen
    parts = _items(doc, "baseline_parts")
    if region and b and parts:
        out.append(
            f"Baseline: {_point(b, unit)}, the target's rule over the {len(parts)} states of the latest value "
            "at their own baselines, with the same weights."
        )
    elif own:
        out.append(f"Baseline: {_point(own, unit)}" + (f" — {own['why']}" if own.get("why") else "") + ".")
    elif b:
        out.append(f"Baseline: {_point(b, unit)}.")
    else:
        no_baseline = doc.get("no_baseline")
        out.append("Baseline: none" + (f" — {no_baseline}" if no_baseline else "") + ".")
    if latest:
        goal = a.get("target")
        out.append(
            f"Latest: {_point(latest, unit)}; "
            + (f"goal {fmt_value(goal, unit)} by {Y}" if goal is not None else f"no goal for {Y} without a baseline")
            + (f" (the bloc's goal is {fmt_value(a['goal'], unit)})" if a.get("goal") is not None else "")
            + "."
        )
    t = a.get("trend")
    if t:
        how = "bottom-up from the states' own trends" if region else "over the trend window"
        out.append(
            f"Pace: {rate(a.get('observed_rate'))} a year {how} ({_text(t.get('from'))}–{_text(t.get('to'))}, "
            f"{_text(t.get('points'))} points); needed {rate(a.get('required_rate'))} a year."
        )
        out.append(
            f"Projected {Y}: {fmt_value(a.get('projected'), unit)}; progress "
            f"{pct(a.get('progress'))}, anticipated {pct(a.get('anticipated'))} of the way from the "
            "baseline."
        )
    status = a.get("status") or "unknown"
    reason = a.get("reason")
    out.append(f"Status: {LABEL.get(status, status)}" + (f" ({reason.replace('_', ' ')})" if reason else "") + ".")
    notes = [n for n in a.get("notes") or [] if isinstance(n, str)]
    if notes:
        out.append("Notes: " + "; ".join(notes) + ".")
    return out


def _proxy_notes(doc: dict[str, Any]) -> list[str]:
    """SPEC §8: a target measured by a proxy is marked in the title, and the proxy's text printed once."""
    target = _obj(doc, "target")
    if not target.get("proxy"):
        return []
    return [proxy_note(_text(target.get("id")), _text(target.get("indicator")), target["proxy"])]


def _title(doc: dict[str, Any]) -> str:
    vintage = f", as recorded {doc['as_recorded']}" if doc.get("as_recorded") else ""
    target = _obj(doc, "target")
    return (f"{proxy_marked(_text(target.get('id')), target.get('proxy'))} — {_text(doc.get('state'))}, "
            f"as of {_text(doc.get('as_of'))}{vintage}, {_text(doc.get('method'))} method")


def _latest_used(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The region's latest year that reaches min_coverage (the one the assessment uses)."""
    return next((y for y in reversed(_items(doc, "years")) if y.get("used")), None)


def _spec(name: str, heads: list[tuple[str, str, str]], drop: tuple[str, ...]) -> spec.Spec:
    """A table of text cells (rows: dicts by key), laid out like every other table (``human.pick``):
    ``heads`` are (key, head, how), ``how`` one of ``text``, ``number`` (right-aligned) or ``prose`` (may
    wrap); ``drop``: the columns to leave out, in order, where the terminal is too narrow for them."""
    cols = tuple(spec.Column(key, head, numeric=how == "number", wrap=how == "prose", outputs="people",
                             text=partial(_cell, key=key))
                 for key, head, how in heads)
    return spec.Spec(name, cols, (spec.Layout(name, tuple(c.key for c in cols), drop=drop),))


def _cell(row: dict[str, str], short: bool, key: str) -> str:
    return row[key]


def _table(doc: dict[str, Any], lines: list[str]) -> None:
    from rich.text import Text

    from admtrack.render.human import console, pick, show

    con = console()

    def table(title: str, report: spec.Spec, rows: list[dict[str, str]], dim: Iterable[int] = ()) -> list:
        t, layout = pick(con, report, rows)
        for i in dim:
            t.rows[i].style = "dim"
        return [Text(title, style="bold"), t]

    items: list = []  # printed at once by human.show (no trailing spaces); None is an empty line
    unit = _unit(doc)
    target = _obj(doc, "target")
    Y = _target_year(doc)
    items.append(Text(_title(doc), style="bold"))
    if doc.get("state") == REGION:
        years = _items(doc, "years")
        rows = []
        for y in years:
            c = _obj(y, "coverage")
            rows.append({
                "year": _text(y.get("year")),
                "value": fmt_value(y.get("value"), unit),
                "basis": _text(y.get("basis")),
                "states": f"{_text(c.get('states'))}/{_text(c.get('of'))}",
                "weight": pct(c.get("weight_share")),
                "used": "yes" if y.get("used") else f"no (< {pct(doc.get('min_coverage'))})",
            })
        report = _spec("years", [("year", "Year", "text"), ("value", "Value", "number"), ("basis", "Basis", "text"),
                                 ("states", "States", "number"), ("weight", "Weight", "number"),
                                 ("used", "Used", "text")], drop=("basis", "weight", "states"))
        items += table("The region year by year", report, rows,
                       dim={i for i, y in enumerate(years) if not y.get("used")})
        used = _latest_used(doc)
        if used is not None:
            rows = []
            for part in _items(used, "contributors"):
                mark = " ↩" if part.get("carried") else ""
                status = f" [{part['obs_status']}]" if part.get("obs_status") else ""
                rows.append({
                    "state": _text(part.get("state")),
                    "year": f"{_text(part.get('year'))}{mark}",
                    "value": fmt_value(part.get("value"), unit) + status,
                    "weight": _weight(part.get("weight")),
                    "source": part.get("source") or "",
                })
            weight = target.get("weight")
            weight_head = f"Weight ({weight})" if weight and target.get("aggregate") == "weighted_mean" else "Weight"
            report = _spec("contributors", [("state", "State", "text"), ("year", "Year", "text"),
                                            ("value", "Value", "number"), ("weight", weight_head, "number"),
                                            ("source", "Source", "prose")], drop=("weight", "source", "year"))
            items += [None, *table(f"Contributors to {_text(used.get('year'))} (↩ carried forward)", report, rows)]
            left = _items(used, "left_out")
            if left:
                items.append(Text("Left out: " + "; ".join(
                    f"{_text(o.get('state'))} ({_text(o.get('reason'))})" for o in left), style="dim"))
        projections = _items(doc, "projection_parts")
        if projections:
            rows = []
            for part in projections:
                tr, latest = part.get("trend"), _obj(part, "latest")
                rows.append({
                    "state": _text(part.get("state")),
                    "latest": f"{fmt_value(latest.get('value'), unit)} {_year_short(latest.get('year'))}",
                    "trend": "none: held" if not tr else
                    f"{_text(tr.get('from'))}–{_text(tr.get('to'))} ({_text(tr.get('points'))})",
                    "projected": fmt_value(part.get("projected"), unit),
                })
            report = _spec("projections", [("state", "State", "text"), ("latest", "Latest", "number"),
                                           ("trend", "Trend", "text"), ("projected", f"Proj {Y}", "number")],
                           drop=("trend", "latest"))
            items += [None, *table("Projections (the region applies its rule to these)", report, rows)]
    else:
        window = doc.get("trend_window") or []
        first, last = (window[0], window[-1]) if window else (None, None)
        rows = []
        for p in _items(doc, "points"):
            year = p.get("year")
            inside = first is not None and last is not None and year is not None and first <= year <= last
            status = f" [{p['obs_status']}]" if p.get("obs_status") else ""
            rows.append({
                "year": _text(year) + (" •" if inside else ""),
                "value": fmt_value(p.get("value"), unit) + status,
                "layer": _text(p.get("layer")),
                "source": p.get("source") or "",
            })
        report = _spec("points", [("year", "Year", "text"), ("value", "Value", "number"), ("layer", "Layer", "text"),
                                  ("source", "Source", "prose")], drop=("layer", "source"))
        items += table(f"{_text(doc.get('state'))}: every current figure", report, rows)
        if None not in (first, last):
            items.append(Text(f"• the trend window {first}–{last}", style="dim"))
    items.append(None)
    for line in lines:
        items.append(line)
    items += [Text(note, style="dim") for note in _proxy_notes(doc)]
    show(con, *items)


def _markdown(doc: dict[str, Any], lines: list[str]) -> list[str]:
    unit = _unit(doc)
    out = [f"### {_title(doc)}", ""]
    if doc.get("state") == REGION:
        out += ["| Year | Value | Basis | States | Weight share | Used |", "|---:|---:|---|---:|---:|---|"]
        for y in _items(doc, "years"):
            c = _obj(y, "coverage")
            out.append(
                f"| {_text(y.get('year'))} | {fmt_value(y.get('value'), unit)} | {_text(y.get('basis'))} | "
                f"{_text(c.get('states'))}/{_text(c.get('of'))} | {pct(c.get('weight_share'))} | "
                f"{'yes' if y.get('used') else 'no'} |"
            )
        used = _latest_used(doc)
        if used is not None:
            out += [
                "",
                f"Contributors to {_text(used.get('year'))}:",
                "",
                "| State | Year | Value | Weight | Source |",
                "|---|---:|---:|---:|---|",
            ]
            for part in _items(used, "contributors"):
                carried = " (carried)" if part.get("carried") else ""
                out.append(
                    f"| {_text(part.get('state'))} | {_text(part.get('year'))}{carried} | "
                    f"{fmt_value(part.get('value'), unit)} | {_weight(part.get('weight'))} | "
                    f"{md_cell(part.get('source'))} |"
                )
    else:
        out += ["| Year | Value | Layer | Source |", "|---:|---:|---|---|"]
        for p in _items(doc, "points"):
            out.append(f"| {_text(p.get('year'))} | {fmt_value(p.get('value'), unit)} | {_text(p.get('layer'))} | "
                       f"{md_cell(p.get('source'))} |")
    notes = [machine.md_text(note) for note in _proxy_notes(doc)]
    return [*out, "", *lines, *(["", *notes] if notes else [])]


def md_cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
