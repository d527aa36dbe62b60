"""What the pictures show (SPEC §10): chart data and report data, built from the core's results.

This is the one place where the charts and the HTML/Markdown report touch the rest of admtrack: it
calls ``report.run`` and reads the assessments through the SPEC §4 JSON documents (``status_doc``,
``gaps_doc``), and takes the year-by-year values from the series and ``region.region_series``. The
renderers (``render/chart.py``, ``render/html.py``) take only the neutral types built here and do no
arithmetic. Nothing here imports a charting or templating library.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from admtrack.model import REGION

UNIT_LABEL = {"percent": "%", "usd-bn": "US$ bn", "usd": "US$", "persons": "persons", "index": "index"}

XY = tuple[tuple[int, float], ...]

#: the magnitudes the charting libraries draw without overflowing (plotext fails from ~1e307 and below
#: ~1e-300, matplotlib at 1.7e308); a chart whose largest value lies outside is drawn in units of a
#: power of ten, which its axis names
DRAWN_RANGE = (1e-6, 1e15)


@dataclass(frozen=True)
class Line:
    """One series on a chart: the region or a member state."""

    label: str  # "ASEAN" or an alpha-3 code
    name: str  # "ASEAN (region)", "Viet Nam"
    points: XY  # observed (or aggregated) values, oldest first
    projection: XY  # ((t, x_t), (Y, projected)), or () without a trend
    goal: float | None  # this series' own goal (SPEC §5.5)
    status: str
    region: bool = False


@dataclass(frozen=True)
class ChartData:
    """Everything one chart of one target shows; plain numbers, ready to draw."""

    target_id: str
    title: str
    indicator: str
    indicator_name: str
    unit: str
    unit_label: str  # for the axis: "%", "US$ bn"
    baseline_year: int
    target_year: int
    as_of: int
    goal: float | None  # the region's goal at the target year
    plan_goal: float | None  # the plan's value when it differs (sum targets: the bloc's whole goal)
    baseline: tuple[int, float] | None  # the region's
    required: XY  # ((B, x_B), (Y, T)): the path from the baseline to the goal
    projection: XY  # the region's ((t, x_t), (Y, projected))
    lines: tuple[Line, ...]  # region first
    status: str  # the region's
    same_scale: bool  # member states share one goal and scale (small multiples share the y axis)
    alt: str  # the text alternative: what the chart says, in one paragraph
    exponent: int = 0  # values are drawn in units of 10**exponent (see ``drawing_exponent``)
    proxy: str | None = None  # the text of the proxy indicator that measures the target (SPEC §8)

    def drawn(self, points: XY) -> XY:
        """``points`` with their values in the units the chart is drawn in (10**exponent)."""
        return tuple((year, self.drawn_value(v)) for year, v in points)

    def drawn_value(self, v: float) -> float:
        return v if self.exponent == 0 else float(Decimal(v).scaleb(-self.exponent))

    @property
    def axis_unit(self) -> str:
        """The unit of the value axis: ``US$ bn``, or ``US$ bn × 1e308`` when drawn in a power of ten."""
        return self.unit_label if self.exponent == 0 else f"{self.unit_label} × 1e{self.exponent}"

    @property
    def region(self) -> Line:
        return self.lines[0]

    @property
    def states(self) -> tuple[Line, ...]:
        return self.lines[1:]


@dataclass(frozen=True)
class Caveat:
    kind: str  # proxy | definition | carried_forward | obs_status | coverage | trend
    text: str


@dataclass(frozen=True)
class ReportData:
    """The whole report: header facts, the SPEC §4 documents, one chart per target, sources, caveats."""

    plan: dict
    as_of: int
    method: str
    vintage: str  # "latest" or the --as-recorded date
    version: str
    generated: str  # YYYY-MM-DD (SOURCE_DATE_EPOCH when set, for reproducible builds)
    status: dict  # admtrack.status/1
    gaps: dict  # admtrack.gaps/1
    charts: dict[str, ChartData]  # by target id
    sources: tuple[str, ...]
    caveats: tuple[Caveat, ...]
    state_names: dict[str, str] = field(default_factory=dict)
    state_filter: tuple[str, ...] | None = None


# ---- building ------------------------------------------------------------------------------------


def chart_data(
    ctx, target_id: str, states: list[str] | None = None, *, as_of: int | None = None, method: str = "projection"
) -> ChartData:
    """The chart of one target: the region and each of ``states`` (codes, names or aliases).

    An unknown target or state is a usage error (exit 2), as for ``status``."""
    doc, result = _run(ctx, states, [target_id], as_of, method)
    series = _series(ctx, result)
    return _chart(ctx, series, result, doc["targets"][0], result.targets[0], every_state=False)


def report_data(
    ctx,
    *,
    states: list[str] | None = None,
    targets: list[str] | None = None,
    as_of: int | None = None,
    method: str = "projection",
) -> ReportData:
    """Everything ``admtrack report`` shows, for the chosen states and targets."""
    from admtrack import __version__
    from admtrack.render.emit import gaps_doc

    doc, result = _run(ctx, states, targets, as_of, method)
    series = _series(ctx, result)
    charts = {
        t["id"]: _chart(ctx, series, result, t, tr, every_state=True) for t, tr in zip(doc["targets"], result.targets)
    }
    plan = ctx.plan
    return ReportData(
        plan={**doc["plan"], "adopted": plan.meta.adopted, "source": plan.meta.source},
        as_of=doc["as_of"],
        method=doc.get("method") or method,
        vintage=doc.get("as_recorded") or "latest",
        version=__version__,
        generated=_today(),
        status=doc,
        gaps=gaps_doc(result),
        charts=charts,
        sources=_sources(series, result),
        caveats=_caveats(ctx, series, doc, result),
        state_names={s.code: s.name for s in plan.states} | {REGION: "ASEAN (region)"},
        state_filter=None if result.state_filter is None else tuple(result.state_filter),
    )


def _run(ctx, states, targets, as_of, method):
    from admtrack import report
    from admtrack.render.emit import status_doc

    result = report.run(ctx, state=states, target=targets, as_of=as_of, method=method)
    return status_doc(result), result


def _series(ctx, result):
    needed: set[str] = set()
    for tr in result.targets:
        needed.add(tr.target.indicator)
        if tr.target.weight:
            needed.add(tr.target.weight)
    return ctx.series(as_of=result.as_of, indicators=needed)


def _region_points(ctx, series, tgt) -> XY:
    from admtrack.region import region_series

    members = list(ctx.plan.state_codes)
    values = series.by_state(tgt.indicator, members)
    weights = series.by_state(tgt.weight, members) if tgt.weight else None
    years = region_series(
        values,
        weights,
        members,
        tgt.aggregate,
        reported=series.points(tgt.indicator, REGION),
        min_coverage=ctx.plan.meta.min_coverage,
    )
    return tuple((y.year, y.value) for y in years)


def _projection(a: dict, target_year: int) -> XY:
    latest, projected = a.get("latest"), a.get("projected")
    if not latest or projected is None or latest["year"] >= target_year:
        return ()
    return ((latest["year"], latest["value"]), (target_year, projected))


def _chart(ctx, series, result, t: dict, tr, *, every_state: bool) -> ChartData:
    """``every_state``: a line for every state in the document (the report), else only for the states
    the user named (``chart --state``)."""
    from admtrack.render.fmt import LABEL, fmt_value

    plan = ctx.plan
    tgt = tr.target
    goal_obj = plan.goal(tgt)
    Y, B = goal_obj.target_year, goal_obj.baseline_year
    region = t["region"]
    names = {s.code: s.name for s in plan.states}
    lines = [
        Line(
            REGION,
            "ASEAN (region)",
            _region_points(ctx, series, tgt),
            _projection(region, Y),
            region.get("target"),
            region.get("status") or "insufficient_data",
            region=True,
        )
    ]
    chosen = result.state_filter or []
    for a in t["states"]:
        if not every_state and a["state"] not in chosen:
            continue
        pts = tuple((p.year, p.value) for p in series.points(tgt.indicator, a["state"]))
        lines.append(
            Line(
                a["state"],
                names.get(a["state"], a["state"]),
                pts,
                _projection(a, Y),
                a.get("target"),
                a.get("status") or "insufficient_data",
            )
        )
    base = region.get("baseline")
    goal = region.get("target")
    required: XY = ()
    if base and goal is not None:
        required = ((base["year"], base["value"]), (Y, goal))
    plan_goal = region.get("goal")
    if plan_goal is None and tgt.kind == "level" and tgt.aggregate == "sum":
        plan_goal = tgt.value
    if plan_goal is not None and goal is not None and abs(plan_goal - goal) < 1e-9 * max(1.0, abs(goal)):
        plan_goal = None
    unit = tr.indicator.unit
    status = region.get("status") or "insufficient_data"
    latest = region.get("latest")
    if latest:
        alt = (
            f"{tr.target.title}. ASEAN: {fmt_value(latest['value'], unit)} in {latest['year']}"
            + (f", goal {fmt_value(goal, unit)} by {Y}" if goal is not None else "")
            + (
                f", projected {fmt_value(region['projected'], unit)} by {Y} at the observed pace"
                if region.get("projected") is not None
                else ""
            )
            + f": {LABEL.get(status, status)}."
        )
    else:
        alt = f"{tr.target.title}. ASEAN: no region figure yet ({LABEL.get(status, status)})."
    shown = [ln for ln in lines[1:] if ln.points]
    if shown:
        alt += (
            " "
            + "; ".join(
                f"{ln.label} {fmt_value(ln.points[-1][1], unit)} in {ln.points[-1][0]}"
                f" ({LABEL.get(ln.status, ln.status)})"
                for ln in shown
            )
            + "."
        )
    values = [v for ln in lines for _, v in (*ln.points, *ln.projection)]
    values += [v for _, v in required] + [v for v in (goal, plan_goal) if v is not None]
    return ChartData(
        target_id=tgt.id,
        title=tgt.title,
        indicator=tgt.indicator,
        indicator_name=tr.indicator.name or tgt.indicator,
        unit=unit,
        unit_label=UNIT_LABEL.get(unit, unit),
        baseline_year=B,
        target_year=Y,
        as_of=result.as_of,
        goal=goal,
        plan_goal=plan_goal,
        baseline=None if not base else (base["year"], base["value"]),
        required=required,
        projection=lines[0].projection,
        lines=tuple(lines),
        status=status,
        same_scale=tgt.kind == "level" and tgt.aggregate in ("mean", "weighted_mean"),
        alt=alt,
        exponent=drawing_exponent(values),
        proxy=t.get("proxy"),
    )


def drawing_exponent(values: list[float]) -> int:
    """0 when the largest |value| lies in ``DRAWN_RANGE`` (or there is none); else the power of ten of
    that value, so that the chart draws values up to 10 and names the unit 10**exponent."""
    largest = max((abs(v) for v in values if math.isfinite(v)), default=0.0)
    if largest == 0 or DRAWN_RANGE[0] <= largest < DRAWN_RANGE[1]:
        return 0
    return Decimal(largest).adjusted()


def _today() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date().isoformat()
    return date.today().isoformat()


def _used_points(series, result):
    """(state, indicator, year) of every figure the report draws or assesses."""
    for tr in result.targets:
        for ind in {tr.target.indicator, tr.target.weight} - {None}:
            for state in list(result.plan.state_codes) + [REGION]:
                for p in series.points(ind, state):
                    yield state, ind, p.year


def _sources(series, result) -> tuple[str, ...]:
    found: set[str] = set()
    for state, ind, year in _used_points(series, result):
        o = series.get(state, ind, year)
        if o is not None and o.source:
            # a derived figure names its formula; its inputs' sources are listed on their own
            found.add(o.source.split(" (", 1)[0] if o.layer == "derived" else o.source)
    return tuple(sorted(found, key=str.casefold))


def _caveats(ctx, series, doc: dict, result) -> tuple[Caveat, ...]:
    from admtrack.render.fmt import proxy_note

    plan = ctx.plan
    out: list[Caveat] = []
    seen: set[str] = set()

    def add(kind: str, text: str) -> None:
        if text not in seen:
            seen.add(text)
            out.append(Caveat(kind, text))

    for t in doc["targets"]:
        ind = plan.indicators.get(t["indicator"])
        proxy = t.get("proxy") or (ind.proxy if ind is not None else None)
        if proxy:
            add("proxy", proxy_note(t["id"], t["indicator"], proxy))
        if ind is not None and ind.description:
            add("definition", f"{t['indicator']}: {ind.description}")
        region = t["region"]
        carried = region.get("carried_forward") or []
        if carried:
            latest = region.get("latest") or {}
            add(
                "carried_forward",
                f"{t['id']}: the region's {latest.get('year', 'latest')} value carries forward "
                f"an earlier figure of {', '.join(carried)}",
            )
        cov = region.get("coverage")
        if cov and cov.get("states", 0) < cov.get("of", 0):
            add(
                "coverage",
                f"{t['id']}: the region figure covers {cov['states']} of {cov['of']} member states"
                f" ({cov.get('weight_share', 0) * 100:.0f}% of the weight)",
            )
        for a in [region, *t["states"]]:
            latest = a.get("latest") or {}
            status = latest.get("obs_status")
            if status and status != "A":
                add(
                    "obs_status",
                    f"{t['id']}/{a['state']}: the latest figure ({latest.get('year')}) has observation status {status}",
                )
            trend = a.get("trend")
            if isinstance(trend, dict) and trend.get("points") == 2:
                add("trend", f"{t['id']}/{a['state']}: the trend is drawn from only 2 points")
    # figure-level notes and statuses (non-comparable national definitions, estimates)
    for state, ind, year in _used_points(series, result):
        o = series.get(state, ind, year)
        if o is None:
            continue
        status = getattr(o, "obs_status", None)
        if status and status != "A":
            add("obs_status", f"{ind}/{state} {year}: observation status {status}")
    for tr in result.targets:
        for state in plan.state_codes:
            for p in series.points(tr.target.indicator, state):
                o = series.get(state, tr.target.indicator, p.year)
                if o is not None and o.note and o.layer != "derived":
                    add("definition", f"{tr.target.indicator}/{state}: {o.note}")
    return tuple(out)
