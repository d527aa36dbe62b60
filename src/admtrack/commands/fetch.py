"""``admtrack fetch worldbank|ilostat`` (SPEC §9): the plan's series from an agency's API into the store.

The agency modules (``sources.worldbank``, ``sources.ilostat``) return every row or raise; the rows then
take exactly the path of ``record --file`` (``commands.record.record_rows``: the plan's checks, then the
all-or-nothing, idempotent, ``--revise`` decision inside the store's transaction). So any failure —
network, HTTP, a bad page, a value out of range, a conflict — writes nothing. httpx is imported by the
agency modules when they fetch, never at start-up.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from admtrack.commands.record import _num, _say, record_rows, same_release, say_left_out
from admtrack.errors import AdmError, UsageError
from admtrack.model import Observation
from admtrack.rules import Place

#: settings for the HTTP client, for slow links (and for tests, which make them short)
ENV_TIMEOUT = "ADMTRACK_HTTP_TIMEOUT"  # seconds per request (default: 30 World Bank, 60 ILOSTAT)
ENV_RETRIES = "ADMTRACK_HTTP_RETRIES"  # further attempts after a time-out, a dropped connection or a 5xx (3)
ENV_BACKOFF = "ADMTRACK_HTTP_BACKOFF"  # seconds before the first retry, doubled each time (1)

#: the default first year: this many years before the plan's baseline year, enough for a trend into it
YEARS_BEFORE_BASELINE = 6


def run(ctx, source: str, *, indicators: list[str] | None, states: list[str] | None, from_year: int | None,
        to_year: int | None, revise: bool, dry_run: bool) -> None:
    from admtrack.sources import ilostat, worldbank
    from admtrack.validate import MIN_YEAR, current_year

    agency = worldbank if source == "worldbank" else ilostat
    plan = ctx.plan
    wanted = _indicators(ctx, source, indicators)
    codes = _states(ctx, states)
    this_year = current_year()
    # from a few years before the earliest baseline (a target may set its own, before the plan's)
    first = min([plan.meta.baseline_year, *(t.baseline_year for t in plan.targets if t.baseline_year)])
    lo = from_year if from_year is not None else max(MIN_YEAR, first - YEARS_BEFORE_BASELINE)
    hi = to_year if to_year is not None else this_year
    if hi > this_year:
        raise UsageError(f"--to: at most {this_year} (admtrack records observed figures), got {hi}")
    if lo > hi:
        raise UsageError(f"--from {lo} is after --to {hi}")

    with _progress_bar(agency.AGENCY, len(wanted)) as progress:
        got = agency.fetch(plan.indicators, wanted, codes, lo, hi, progress=progress, **_http_settings())
    try:
        d, batch = record_rows(ctx, agency.AGENCY, got.rows, revise=revise, dry_run=dry_run, place=_place,
                               adjust=same_release, listing=True)
    except AdmError as exc:
        if len(exc.details) == 1:  # one bad figure: one line
            raise AdmError(f"{exc.details[0]} (nothing recorded)") from None
        raise
    for outcome in d.outcomes or []:
        row, was = batch.rows[outcome.row], outcome.was
        if dry_run and outcome.kind in ("recorded", "revised"):
            _say(_change(row, was, "would record", "would revise"))
        elif outcome.kind == "revised":
            _say(_change(row, was, "recorded", "revised"))
    prefix = "dry run: would have " if dry_run else ""
    series = ", ".join(sorted({_series(plan.indicators[i], source) for i in wanted}))
    _say(f"{prefix}recorded {d.recorded}, unchanged {d.unchanged}, revised {d.revised} "
         f"({agency.AGENCY} {series}; {len(codes)} state(s), {lo}–{hi})")
    say_left_out(got)


def _indicators(ctx, source: str, given: list[str] | None) -> list[str]:
    """The plan indicators to fetch: those given (each must have a ``source`` mapping; exit 2 naming the
    mapped ones), else every mapped one."""
    plan = ctx.plan
    mapped = [i for i, ind in plan.indicators.items() if getattr(ind, source)]
    if not given:
        if not mapped:
            raise AdmError(f"no indicator of the plan is mapped to {source} (`{source} = …` in targets.toml)")
        return mapped
    out: list[str] = []
    for text in given:
        ind = ctx.indicator_id(text, usage=True)
        if ind not in mapped:
            raise UsageError(f"--indicator: {ind!r} has no `{source}` series in targets.toml "
                             f"(mapped: {', '.join(mapped) or 'none'})")
        if ind not in out:
            out.append(ind)
    return out


def _states(ctx, given: list[str] | None) -> list[str]:
    if not given:
        return list(ctx.plan.state_codes)
    out: list[str] = []
    for text in given:
        code = ctx.plan.resolve_state(text.strip(), allow_region=False)
        if code is None:
            hint = ("the region is not fetched: it is aggregated from the member states"
                    if ctx.plan.resolve_state(text.strip()) else "see `admtrack states`")
            raise UsageError(f"--state: {text!r} is not a member state ({hint})")
        if code not in out:
            out.append(code)
    return out


def _http_settings() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, key, kind in ((ENV_TIMEOUT, "timeout", float), (ENV_RETRIES, "retries", int),
                            (ENV_BACKOFF, "backoff", float)):
        raw = os.environ.get(name, "").strip()
        if not raw:
            continue
        try:
            value = kind(raw)
        except ValueError:
            value = -1
        if not (value >= 0 and value == value and value != float("inf")) or (key == "timeout" and value == 0):
            raise UsageError(f"${name}: expected a {'whole ' if kind is int else ''}number "
                             f"{'above' if key == 'timeout' else 'of at least'} 0, got {raw!r}")
        out[key] = value
    return out


def _place(name: str, label: str) -> Place:
    """A fetched row's place in messages: "World Bank API: NY.GDP.MKTP.CD page 2 item 7"."""
    return Place(f"{name}: {label}")


def _series(indicator, source: str) -> str:
    mapping = getattr(indicator, source)
    return str(getattr(mapping, "id", mapping))


def _change(row: Observation, was: Observation | None, new: str, revised: str) -> str:
    what = f"{row.state} {row.indicator} {row.year} = {_num(row.value)}"
    if was is None or was.retracted:
        return f"{new} {what}"
    return f"{revised} {what} (was {_num(was.value)}{'' if was.source == row.source else f', {was.source}'})"


@contextmanager
def _progress_bar(agency: str, series: int) -> Iterator:
    """A Rich progress bar on stderr when it is a terminal (one bar per series, pages or requests done),
    else nothing: the agency modules get ``None``."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        overall = bar.add_task(f"{agency}: {series} indicator(s)", total=None)
        tasks: dict[str, object] = {}

        def update(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(f"  {label}", total=total)
            bar.update(tasks[label], completed=done, total=total)  # type: ignore[arg-type]

        yield update
        bar.update(overall, total=1, completed=1)
