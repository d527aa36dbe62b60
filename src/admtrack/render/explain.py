"""`admtrack explain` output: the JSON document as it is, rows for CSV/TSV, and for people a short story
in tables (the series with its coverage, the latest year's contributors, the baseline, the projection,
the status). No arithmetic here: every number comes from the document."""

from __future__ import annotations

from typing import Any

from admtrack.render import machine
from admtrack.render.fmt import LABEL, fmt_value, pct, rate

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


def emit(doc: dict[str, Any], fmt: str, *, raw: bool = False) -> None:
    if fmt == "json":
        machine.write_json(doc)
    elif fmt in ("csv", "tsv"):
        region = doc["state"] == "ASEAN"
        rows = _region_rows(doc) if region else doc["points"]
        machine.write_rows(fmt, REGION_COLUMNS if region else STATE_COLUMNS, rows, raw=raw)
    else:
        lines = story(doc)
        if fmt == "markdown":
            machine.out().write("\n".join(_markdown(doc, lines)) + "\n")
        else:
            _table(doc, lines)


def _region_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for y in doc["years"]:
        c = y["coverage"]
        base = {
            "year": y["year"],
            "value": y["value"],
            "basis": y["basis"],
            "used": y["used"],
            "coverage_states": c["states"],
            "coverage_of": c["of"],
            "coverage_weight_share": c["weight_share"],
        }
        for part in y["contributors"] or [{}]:
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
    a = doc["assessment"]
    unit = doc["target"]["unit"]
    out = []
    b, latest = a.get("baseline"), a.get("latest")
    if doc["state"] == "ASEAN" and doc.get("baseline_parts"):
        out.append(
            f"Baseline: {fmt_value(b['value'], unit)} ({b['year']}), the target's rule over the "
            f"{len(doc['baseline_parts'])} states of the latest value at their own baselines, with the "
            "same weights."
        )
    elif doc["state"] != "ASEAN" and doc.get("baseline"):
        base = doc["baseline"]
        out.append(f"Baseline: {fmt_value(base['value'], unit)} ({base['year']}) — {base['why']}.")
    elif b is not None:
        out.append(f"Baseline: {fmt_value(b['value'], unit)} ({b['year']}).")
    if latest is not None:
        out.append(
            f"Latest: {fmt_value(latest['value'], unit)} ({latest['year']}); goal "
            f"{fmt_value(a.get('target'), unit)} by {doc['plan']['target_year']}"
            + (f" (the bloc's goal is {fmt_value(a['goal'], unit)})" if a.get("goal") is not None else "")
            + "."
        )
    if a.get("trend"):
        t = a["trend"]
        how = "bottom-up from the states' own trends" if doc["state"] == "ASEAN" else "over the trend window"
        out.append(
            f"Pace: {rate(a.get('observed_rate'))} a year {how} ({t['from']}–{t['to']}, "
            f"{t['points']} points); needed {rate(a.get('required_rate'))} a year."
        )
        out.append(
            f"Projected {doc['plan']['target_year']}: {fmt_value(a.get('projected'), unit)}; progress "
            f"{pct(a.get('progress'))}, anticipated {pct(a.get('anticipated'))} of the way from the "
            "baseline."
        )
    status = LABEL.get(a["status"], a["status"])
    out.append(f"Status: {status}" + (f" ({a['reason'].replace('_', ' ')})" if a.get("reason") else "") + ".")
    return out


def _title(doc: dict[str, Any]) -> str:
    vintage = f", as recorded {doc['as_recorded']}" if doc.get("as_recorded") else ""
    return f"{doc['target']['id']} — {doc['state']}, as of {doc['as_of']}{vintage}, {doc['method']} method"


def _table(doc: dict[str, Any], lines: list[str]) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from admtrack.render.human import console, show

    def table(title: str) -> Table:
        return Table(
            title=title,
            box=box.SIMPLE_HEAD,
            title_justify="left",
            title_style="bold",
            pad_edge=False,
            padding=(0, 0, 0, 1),
            show_edge=False,
        )

    def num_column(t: Table, head: str) -> None:
        t.add_column(head, justify="right", overflow="fold")

    items: list = []  # printed at once by human.show (no trailing spaces); None is an empty line
    unit = doc["target"]["unit"]
    items.append(Text(_title(doc), style="bold"))
    if doc["state"] == "ASEAN":
        t = table("The region year by year")
        t.add_column("Year", no_wrap=True)
        num_column(t, "Value")
        t.add_column("Basis", no_wrap=True)
        num_column(t, "States")
        num_column(t, "Weight")
        t.add_column("Used", no_wrap=True)
        for y in doc["years"]:
            c = y["coverage"]
            t.add_row(
                str(y["year"]),
                fmt_value(y["value"], unit),
                y["basis"],
                f"{c['states']}/{c['of']}",
                pct(c["weight_share"]),
                "yes" if y["used"] else f"no (< {pct(doc['min_coverage'])})",
                style="" if y["used"] else "dim",
            )
        items.append(t)
        used = [y for y in doc["years"] if y["used"]]
        if used:
            y = used[-1]
            items.append(None)
            t = table(f"Contributors to {y['year']} (↩ carried forward)")
            t.add_column("State", no_wrap=True)
            t.add_column("Year", no_wrap=True)
            num_column(t, "Value")
            weight = doc["target"].get("weight")
            num_column(
                t, f"Weight ({weight})" if weight and doc["target"]["aggregate"] == "weighted_mean" else "Weight"
            )
            t.add_column("Source", overflow="fold")
            for part in y["contributors"]:
                mark = " ↩" if part["carried"] else ""
                status = f" [{part['obs_status']}]" if part.get("obs_status") else ""
                t.add_row(
                    part["state"],
                    f"{part['year']}{mark}",
                    fmt_value(part["value"], unit) + status,
                    f"{part['weight']:.4g}",
                    part.get("source") or "",
                )
            items.append(t)
            if y["left_out"]:
                items.append(
                    Text("Left out: " + "; ".join(f"{o['state']} ({o['reason']})" for o in y["left_out"]), style="dim")
                )
        if doc["projection_parts"]:
            items.append(None)
            t = table("Projections (the region applies its rule to these)")
            t.add_column("State", no_wrap=True)
            num_column(t, "Latest")
            t.add_column("Trend", no_wrap=True)
            num_column(t, f"Proj {doc['plan']['target_year']}")
            for part in doc["projection_parts"]:
                tr = part["trend"]
                trend = "none: held" if tr is None else f"{tr['from']}–{tr['to']} ({tr['points']})"
                t.add_row(
                    part["state"],
                    f"{fmt_value(part['latest']['value'], unit)} '{part['latest']['year'] % 100:02d}",
                    trend,
                    fmt_value(part["projected"], unit),
                )
            items.append(t)
    else:
        t = table(f"{doc['state']}: every current figure")
        t.add_column("Year", no_wrap=True)
        num_column(t, "Value")
        t.add_column("Layer", no_wrap=True)
        t.add_column("Source", overflow="fold")
        window = doc.get("trend_window") or [None, None]
        for p in doc["points"]:
            inside = window[0] is not None and window[0] <= p["year"] <= window[1]
            status = f" [{p['obs_status']}]" if p.get("obs_status") else ""
            t.add_row(
                str(p["year"]) + (" •" if inside else ""),
                fmt_value(p["value"], unit) + status,
                p["layer"],
                p.get("source") or "",
            )
        items.append(t)
        if window[0] is not None:
            items.append(Text(f"• the trend window {window[0]}–{window[1]}", style="dim"))
    items.append(None)
    for line in lines:
        items.append(line)
    show(console(), *items)


def _markdown(doc: dict[str, Any], lines: list[str]) -> list[str]:
    unit = doc["target"]["unit"]
    out = [f"### {_title(doc)}", ""]
    if doc["state"] == "ASEAN":
        out += ["| Year | Value | Basis | States | Weight share | Used |", "|---:|---:|---|---:|---:|---|"]
        for y in doc["years"]:
            c = y["coverage"]
            out.append(
                f"| {y['year']} | {fmt_value(y['value'], unit)} | {y['basis']} | {c['states']}/{c['of']} | "
                f"{pct(c['weight_share'])} | {'yes' if y['used'] else 'no'} |"
            )
        used = [y for y in doc["years"] if y["used"]]
        if used:
            y = used[-1]
            out += [
                "",
                f"Contributors to {y['year']}:",
                "",
                "| State | Year | Value | Weight | Source |",
                "|---|---:|---:|---:|---|",
            ]
            for part in y["contributors"]:
                carried = " (carried)" if part["carried"] else ""
                out.append(
                    f"| {part['state']} | {part['year']}{carried} | {fmt_value(part['value'], unit)} | "
                    f"{part['weight']:.4g} | {md_cell(part.get('source'))} |"
                )
    else:
        out += ["| Year | Value | Layer | Source |", "|---:|---:|---|---|"]
        for p in doc["points"]:
            out.append(f"| {p['year']} | {fmt_value(p['value'], unit)} | {p['layer']} | {md_cell(p.get('source'))} |")
    return [*out, "", *lines]


def md_cell(text: str | None) -> str:
    return (text or "").replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
