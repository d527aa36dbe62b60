"""The report (SPEC §10): one self-contained HTML file, or Markdown with the charts as SVG files.

Takes a ``pictures.ReportData``; formats values (``render.fmt``) and fills a Jinja2 template
(autoescaped). Charts are drawn by ``render.chart`` and inlined as SVG: nothing is fetched from the
network when the page opens. Jinja2 and matplotlib are imported here only, so only ``report`` pays.
"""

from __future__ import annotations

from pathlib import Path

from admtrack.model import REGION
from admtrack.render.fmt import LABEL, SYMBOL_CHAR, fmt_gap, fmt_value, pct, proxy_marked, rate

#: ``{year}``: the target year, or "each target's year" where the targets shown have different ones
METHOD_TEXT = {
    "projection": "projection — the latest figure carried to {year} at the pace of the last five years, "
    "compared with the distance to the goal (SPEC §5.3)",
    "cagr-ratio": "cagr-ratio — observed versus required compound growth, as Open SDG and Statistics Canada "
    "assess (SPEC §5.4)",
}
STATUS_HELP = {
    "achieved": "the latest figure meets the goal",
    "on_track": "the projection covers at least 95% of the distance to the goal",
    "acceleration_needed": "the projection covers 60–95% of the distance",
    "limited_progress": "the projection covers less than 60% of the distance",
    "regressing": "moving away from the goal",
    "insufficient_data": "too few figures to assess",
}
CAVEAT_HEAD = {
    "proxy": "Proxies",
    "definition": "Definitions (national figures are not strictly comparable)",
    "carried_forward": "Carried-forward figures",
    "coverage": "Coverage of the region figures",
    "obs_status": "Figures that are not normal observations (SDMX status other than A)",
    "trend": "Trends drawn from only two points",
}


def _status(s: str | None) -> dict:
    s = s or "insufficient_data"
    return {"key": s, "symbol": SYMBOL_CHAR.get(s, "?"), "label": LABEL.get(s, s)}


def _point(p: dict | None, unit: str) -> str:
    if not p:
        return "—"
    return f"{fmt_value(p.get('value'), unit)} ({p.get('year')})"


def _coverage(a: dict, weight: str | None) -> str:
    c = a.get("coverage")
    if not c:
        return "—"
    text = f"{c['states']}/{c['of']}"
    if weight and c.get("weight_share") is not None:
        text += f" · {pct(c['weight_share'])} of {weight}"
    if a.get("basis") == "reported":
        text += " · reported"
    return text


def _flag(latest: dict | None) -> str:
    status = (latest or {}).get("obs_status")
    return f" [{status}]" if status and status != "A" else ""


def _years(t: dict, plan: dict) -> tuple[int, int]:
    """A target's baseline and target years: its own (SPEC §2.1), else the plan's."""
    return (t.get("baseline_year") or plan["baseline_year"], t.get("target_year") or plan["target_year"])


def _years_text(targets: list[dict]) -> str:
    """The years the targets are measured between: once when they share them, else per target."""
    spans = {(t["baseline_year"], t["target_year"]) for t in targets}
    if len(spans) == 1:
        (b, y), = spans
        return f"baseline {b}, targets for {y}"
    return "baseline and target year per target: " + ", ".join(
        f"T{t['n']} {t['baseline_year']}–{t['target_year']}" for t in targets)


def _region_row(t: dict) -> dict:
    a, unit = t["region"], t["unit"]
    return {
        "id": t["id"],
        "title": proxy_marked(t["title"], t.get("proxy")),  # SPEC §8: the text is among the caveats
        "unit": unit,
        "baseline": _point(a.get("baseline"), unit),
        "latest": _point(a.get("latest"), unit) + _flag(a.get("latest")),
        "goal": fmt_value(a.get("target"), unit),
        "plan_goal": fmt_value(a.get("goal"), unit) if a.get("goal") else None,
        "attainment": pct(a.get("attainment")),
        "progress": pct(a.get("progress")),
        "gap": fmt_gap(a.get("gap"), unit),
        "projected": fmt_value(a.get("projected"), unit),
        "status": _status(a.get("status")),
        "coverage": _coverage(a, t.get("weight")),
        "reason": a.get("reason"),
    }


def _gap_row(r: dict, names: dict) -> dict:
    unit = r.get("unit") or ""
    return {
        "state": r["state"],
        "name": names.get(r["state"], r["state"]),
        "region": r["state"] == REGION,
        "latest": _point(r.get("latest"), unit) + _flag(r.get("latest")),
        "goal": fmt_value(r.get("target"), unit),
        "gap": fmt_gap(r.get("gap"), unit),
        "years_left": "—" if r.get("years_left") is None else r["years_left"],
        "required": rate(r.get("required_rate")),
        "observed": rate(r.get("observed_rate")),
        "projected": fmt_value(r.get("projected"), unit),
        "shortfall": fmt_value(r.get("shortfall"), unit),
        "contribution": fmt_gap(r.get("contribution"), unit),
        "status": _status(r.get("status")),
    }


def _matrix(status: dict, names: dict) -> dict:
    codes = []
    for t in status["targets"]:
        for a in t["states"]:
            if a["state"] not in codes:
                codes.append(a["state"])
    rows = []
    for code in codes:
        cells = []
        for t in status["targets"]:
            a = next((x for x in t["states"] if x["state"] == code), None)
            if a is None or not a.get("latest"):
                cells.append({"value": "—", "of_goal": "", "status": _status(a and a.get("status"))})
                continue
            cells.append(
                {
                    "value": fmt_value(a["latest"]["value"], t["unit"]) + _flag(a["latest"]),
                    "year": a["latest"]["year"],
                    "of_goal": pct(a.get("attainment")),
                    "status": _status(a.get("status")),
                }
            )
        rows.append({"state": code, "name": names.get(code, code), "cells": cells})
    return {"targets": [{"id": t["id"], "n": i} for i, t in enumerate(status["targets"], 1)], "rows": rows}


def context(report, *, chart_markup: dict) -> dict:
    """The template's variables: formatted text only."""
    names = report.state_names
    targets = []
    for i, t in enumerate(report.status["targets"], 1):
        rows = [_gap_row(r, names) for r in report.gaps["rows"] if r["target_id"] == t["id"]]
        baseline_year, target_year = _years(t, report.plan)
        targets.append(
            {
                "n": i,
                "number": proxy_marked(f"T{i}", t.get("proxy")),
                **_region_row(t),
                "baseline_year": baseline_year,
                "target_year": target_year,
                "indicator": t["indicator"],
                "rows": rows,
                "charts": chart_markup.get(t["id"], {}),
                "alt": report.charts[t["id"]].alt,
                "no_figures": [ln.label for ln in report.charts[t["id"]].states if not ln.points],
                "aggregate": t.get("aggregate"),
                "weight": t.get("weight"),
                "contributions": any(
                    r.get("contribution") is not None for r in report.gaps["rows"] if r["target_id"] == t["id"]
                ),
            }
        )
    counts: dict[str, int] = {}
    for t in report.status["targets"]:
        s = t["region"].get("status") or "insufficient_data"
        counts[s] = counts.get(s, 0) + 1
    caveats: dict[str, list[str]] = {}
    for c in report.caveats:
        caveats.setdefault(c.kind, []).append(c.text)
    # SPEC §2.1: targets may have years of their own; one year is named once, several per target
    years = sorted({t["target_year"] for t in targets}) or [report.plan["target_year"]]
    one_year = years[0] if len(years) == 1 else None
    for t in targets:
        t["projected_cell"] = t["projected"] if one_year else f"{t['projected']} ({t['target_year']})"
    return {
        "r": report,
        "plan": report.plan,
        "targets": targets,
        "matrix": _matrix(report.status, names),
        "summary": [{**_status(s), "count": counts[s]} for s in (*LABEL,) if s in counts],
        "legend": [{**_status(s), "help": STATUS_HELP[s]} for s in LABEL],
        "method_text": METHOD_TEXT.get(report.method, report.method).format(
            year=one_year or "each target's year"),
        "years_text": _years_text(targets) if targets else
        f"baseline {report.plan['baseline_year']}, targets for {report.plan['target_year']}",
        "projected_year": one_year,  # None: the targets shown have different target years
        "caveats": [{"head": CAVEAT_HEAD.get(k, k), "items": v} for k, v in caveats.items()],
        "states_shown": ", ".join(report.state_filter) if report.state_filter else "all member states",
    }


def _environment(*, autoescape: bool):
    from jinja2 import Environment, PackageLoader

    return Environment(
        loader=PackageLoader("admtrack.render", "templates"),
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def html(report) -> str:
    """The report as one self-contained HTML page."""
    from markupsafe import Markup

    from admtrack.render import chart

    markup = {}
    for n, (tid, c) in enumerate(report.charts.items(), 1):
        states = chart.small_multiples(c)
        markup[tid] = {
            "main": Markup(chart.svg(chart.figure(c, width=8.4, height=4.2, states=False, notes=False), alt=c.alt,
                                     prefix=f"t{n}")),
            "states": None
            if states is None
            else Markup(
                chart.svg(
                    states,
                    alt=f"{c.title}: one small chart per member state, with its projection and goal.",
                    prefix=f"t{n}s",
                )
            ),
        }
    return _environment(autoescape=True).get_template("report.html.j2").render(context(report, chart_markup=markup))


def markdown(report, path: Path) -> list[Path]:
    """The report as Markdown at ``path``, with each chart as an SVG file beside it; the files written."""
    from admtrack.render import chart

    written: list[Path] = []
    markup = {}
    for tid, c in report.charts.items():
        files = {}
        main = path.with_name(f"{path.stem}-{tid}.svg")
        main.write_text(chart.svg_file(chart.figure(c, states=False, notes=False), alt=c.alt), encoding="utf-8")
        written.append(main)
        files["main"] = main.name
        states = chart.small_multiples(c)
        if states is not None:
            f = path.with_name(f"{path.stem}-{tid}-states.svg")
            f.write_text(chart.svg_file(states, alt=f"{c.title}: one small chart per member state."), encoding="utf-8")
            written.append(f)
            files["states"] = f.name
        markup[tid] = files
    env = _environment(autoescape=False)
    env.filters["cell"] = _md_cell
    text = env.get_template("report.md.j2").render(context(report, chart_markup=markup))
    path.write_text(text, encoding="utf-8")
    return [path, *written]


def _md_cell(value) -> str:
    """Text safe in a GitHub table cell and inert as Markdown/HTML."""
    text = " ".join(str(value).split())
    for ch in "\\|*_`[]<>":
        text = text.replace(ch, "\\" + ch)
    return text
