"""The command line: parses arguments, calls the core, picks a renderer. Nothing else.

Start-up matters (SPEC §7): this module imports only Typer and the standard library; everything else
is imported inside the command that needs it.
"""

from __future__ import annotations

import errno
import gc
import os
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from admtrack import __version__, _typer_fast

_typer_fast.install()  # no Pydantic in the start-up of every command (see the module)

app = typer.Typer(
    name="admtrack",
    help="Track the ASEAN Digital Masterplan 2030 (ADM 2030) targets per member state.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    markdown = "markdown"


class ExportFmt(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    sdmx_csv = "sdmx-csv"


class InFmt(str, Enum):
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    sdmx_csv = "sdmx-csv"
    worldbank_csv = "worldbank-csv"
    ilostat_csv = "ilostat-csv"


#: --fail-on values, shown with '-' like every other option value; '_' (as in the JSON) is accepted too
STATUS_CHOICES = ("achieved", "on-track", "acceleration-needed", "limited-progress", "regressing")


def _spelling(value: Optional[str]) -> Optional[str]:
    """Option values are accepted with '-' or '_' and in any case: `cagr_ratio`, `ON_TRACK`."""
    return None if value is None else value.strip().lower().replace("_", "-")


def _fail_on(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    spelled = value.strip().lower().replace("_", "-")
    if spelled not in STATUS_CHOICES:
        raise typer.BadParameter(f"{value!r} is not one of {', '.join(STATUS_CHOICES)}")
    return spelled.replace("-", "_")


def _complete(kind: str):
    """Shell completion from the plan: states, indicators or targets (quietly nothing on any problem)."""

    def complete(incomplete: str) -> list[str]:
        try:
            from admtrack.context import Context

            plan = Context(G.data_dir).plan
        except Exception:  # completion must never fail the shell
            return []
        if kind == "state":
            names = [*plan.state_codes, "ASEAN"]
        elif kind == "indicator":
            names = list(plan.indicators)
        else:
            names = list(plan.target_by_id)
        return [n for n in names if n.lower().startswith(incomplete.lower())]

    return complete


class _Globals:
    data_dir: Optional[Path] = None
    no_reference: bool = False


G = _Globals()


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"admtrack {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    data_dir: Annotated[
        Optional[Path],
        typer.Option(
            "--data-dir",
            metavar="DIR",
            help="Data folder (default: $ADMTRACK_DATA_DIR, else the per-user data folder). "
            "Also accepted after the command.",
            file_okay=False,
        ),
    ] = None,
    no_reference: Annotated[
        bool, typer.Option("--no-reference", metavar="", help="Leave out the bundled reference observations.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", metavar="", help="Print the version and exit.", is_eager=True, callback=_version),
    ] = False,
) -> None:
    G.data_dir = data_dir
    G.no_reference = no_reference


def _app(as_recorded: str | None = None):
    from admtrack.context import Context

    return Context(G.data_dir, no_reference=G.no_reference, as_recorded=as_recorded)


def _day(value: Optional[str]) -> Optional[str]:
    """--as-recorded: a calendar day, YYYY-MM-DD."""
    if value is None:
        return None
    import re
    from datetime import date

    text = value.strip()
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):  # fromisoformat also takes 20260601, 2026-W01
            raise ValueError
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise typer.BadParameter(f"expected a day as YYYY-MM-DD, got {value!r}") from None


# ---- shared option types -----------------------------------------------------------------------


def _method(value: str) -> str:
    spelled = _spelling(value) or "projection"
    if spelled not in ("projection", "cagr-ratio"):
        raise typer.BadParameter(f"{value!r} is not one of projection, cagr-ratio")
    return spelled


FormatOpt = Annotated[
    Fmt,
    typer.Option("--format", "-f", metavar="FORMAT", case_sensitive=False, help="table, json, csv, tsv or markdown."),
]
StateOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--state",
        "-s",
        metavar="CODE",
        autocompletion=_complete("state"),
        help="Member state: alpha-3, alpha-2 or name; ASEAN for the region. Repeatable.",
    ),
]
TargetOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--target",
        "-t",
        metavar="ID",
        autocompletion=_complete("target"),
        help="Target id (see `admtrack targets`). Repeatable.",
    ),
]
AsOfOpt = Annotated[
    Optional[int],
    typer.Option("--as-of", metavar="YEAR", min=1900, max=2200, help="Ignore observations after this year."),
]
Method = Annotated[
    str,
    typer.Option(
        "--method", metavar="METHOD", callback=_method, help="projection (SPEC §5.3) or cagr-ratio (Open SDG)."
    ),
]
FailOn = Annotated[
    Optional[str],
    typer.Option(
        "--fail-on",
        metavar="STATUS",
        callback=_fail_on,
        autocompletion=lambda incomplete: [c for c in STATUS_CHOICES if c.startswith(incomplete)],
        help="Exit 3 if a series is at this status or worse: " + ", ".join(STATUS_CHOICES) + ".",
    ),
]
AsRecordedOpt = Annotated[
    Optional[str],
    typer.Option(
        "--as-recorded",
        metavar="DATE",
        callback=_day,
        help="The data as it stood at the end of this day (YYYY-MM-DD, UTC): later records and releases are ignored.",
    ),
]
RawOpt = Annotated[bool, typer.Option("--raw", metavar="", help="CSV/TSV: do not neutralise formula-like text cells.")]


# ---- reading commands --------------------------------------------------------------------------


@app.command()
def status(
    fmt: FormatOpt = Fmt.table,
    state: StateOpt = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    method: Method = "projection",
    fail_on: FailOn = None,
    as_recorded: AsRecordedOpt = None,
    raw: RawOpt = False,
) -> None:
    """Progress per target for the region, then a member-state x target matrix.

    Example: admtrack status --state VNM --format json
    """
    _report("status", fmt, state, target, as_of, method, fail_on, raw, as_recorded)


@app.command()
def gaps(
    fmt: FormatOpt = Fmt.table,
    state: StateOpt = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    method: Method = "projection",
    fail_on: FailOn = None,
    as_recorded: AsRecordedOpt = None,
    raw: RawOpt = False,
) -> None:
    """Gap report: gap, pace needed vs observed, projection and shortfall per target and state, worst first.

    Example: admtrack gaps --target digital-economy-share --fail-on regressing
    """
    _report("gaps", fmt, state, target, as_of, method, fail_on, raw, as_recorded)


def _report(
    kind: str, fmt: Fmt, state, target, as_of, method: str, fail_on: str | None, raw: bool, as_recorded: str | None
) -> None:
    from admtrack import report
    from admtrack.render import emit

    result = report.run(_app(as_recorded), state=state, target=target, as_of=as_of, method=method)
    getattr(emit, kind)(result, fmt.value, raw=raw)
    _check_fail_on(result, fail_on)


def _check_fail_on(result, fail_on: Optional[str]) -> None:
    if fail_on is None:
        return
    from admtrack.report import failing

    hits = failing(result, fail_on)
    if hits:
        shown = ", ".join(hits[:5]) + (f" and {len(hits) - 5} more" if len(hits) > 5 else "")
        sys.stderr.write(f"admtrack: --fail-on {fail_on}: {len(hits)} series at or worse: {shown}\n")
        raise typer.Exit(3)


@app.command()
def targets(fmt: FormatOpt = Fmt.table, target: TargetOpt = None, raw: RawOpt = False) -> None:
    """The plan's targets and indicators (and which indicator each target measures).

    Example: admtrack targets --format json
    """
    from admtrack.render import emit

    ctx = _app()
    ctx.store.load()  # a store that does not parse is reported by every command (SPEC §2.2)
    emit.targets(ctx.plan, ctx.pick_targets(target), fmt.value, raw=raw)


@app.command()
def states(fmt: FormatOpt = Fmt.table, state: StateOpt = None, raw: RawOpt = False) -> None:
    """The member states, with their codes and accepted names.

    Example: admtrack states --format csv
    """
    from admtrack.render import emit

    ctx = _app()
    ctx.store.load()  # a store that does not parse is reported by every command (SPEC §2.2)
    picked = ctx.pick_states(state)
    emit.states(ctx.plan, fmt.value, raw=raw, only=picked)


@app.command()
def history(
    state: Annotated[
        str, typer.Argument(metavar="STATE", help="Member state, or ASEAN.", autocompletion=_complete("state"))
    ],
    indicator: Annotated[
        str,
        typer.Argument(
            metavar="INDICATOR", help="Indicator id (see `admtrack targets`).", autocompletion=_complete("indicator")
        ),
    ],
    fmt: FormatOpt = Fmt.table,
    as_of: AsOfOpt = None,
    as_recorded: AsRecordedOpt = None,
    raw: RawOpt = False,
) -> None:
    """Every observation and revision of one series, with sources, and a sparkline of current values.

    Example: admtrack history VNM digital-economy-share
    """
    from admtrack.commands import history as command
    from admtrack.render import emit

    emit.history(command.run(_app(as_recorded), state, indicator, as_of=as_of), fmt.value, raw=raw)


@app.command()
def export(
    fmt: Annotated[
        ExportFmt,
        typer.Option(
            "--format", "-f", metavar="FORMAT", help="csv, tsv, json, jsonl or sdmx-csv.", case_sensitive=False
        ),
    ] = ExportFmt.csv,
    all_revisions: Annotated[
        bool, typer.Option("--all-revisions", metavar="", help="Every entry, superseded and retracted ones included.")
    ] = False,
    state: StateOpt = None,
    indicator: Annotated[
        Optional[list[str]],
        typer.Option(
            "--indicator", "-i", metavar="ID", autocompletion=_complete("indicator"), help="Indicator id. Repeatable."
        ),
    ] = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    dataflow: Annotated[
        str, typer.Option("--dataflow", metavar="FLOW", help="SDMX-CSV dataflow id, AGENCY:ID(VERSION).")
    ] = "ASEAN:ADM2030(1.0)",
    as_recorded: AsRecordedOpt = None,
    raw: RawOpt = False,
) -> None:
    """All current observations (recorded, not derived) as CSV, TSV, JSON, JSON Lines or SDMX-CSV.

    Example: admtrack export --format json --all-revisions > backup.json
    """
    from admtrack.commands import export as command
    from admtrack.render import emit

    ctx = _app(as_recorded)
    rows = command.run(ctx, all_revisions=all_revisions, states=state, indicators=indicator, as_of=as_of,
                       targets=target)
    emit.export(
        rows,
        fmt.value,
        dataflow=dataflow,
        plan=ctx.plan,
        raw=raw,
        all_revisions=all_revisions,
        as_recorded=ctx.as_recorded,
    )


@app.command()
def check() -> None:
    """Validate the targets file, the store and the reference layer; exit 1 on any problem.

    Example: admtrack --data-dir ./data check
    """
    from admtrack.commands import check as command
    from admtrack.errors import printable

    ok_lines, problems = command.run(G.data_dir, no_reference=G.no_reference)
    for line in ok_lines:
        sys.stdout.write(line + "\n")
    for p in problems:
        sys.stderr.write(f"admtrack: error: {printable(str(p))}\n")
    if problems:
        sys.stderr.write(f"admtrack: {len(problems)} problem(s) found\n")
        raise typer.Exit(1)


@app.command()
def explain(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET", help="Target id (see `admtrack targets`).", autocompletion=_complete("target")
        ),
    ],
    state: Annotated[
        Optional[str],
        typer.Option(
            "--state",
            "-s",
            metavar="CODE",
            autocompletion=_complete("state"),
            help="A member state (default: the region).",
        ),
    ] = None,
    fmt: FormatOpt = Fmt.table,
    as_of: AsOfOpt = None,
    method: Method = "projection",
    as_recorded: AsRecordedOpt = None,
    raw: RawOpt = False,
) -> None:
    """How a figure was built: the region year by year (who contributed, with which weights, who was left
    out), the matched baseline and each state's projection; or one state's points, baseline and trend.

    Example: admtrack explain digital-economy-share --state VNM
    """
    from admtrack.commands import explain as command
    from admtrack.render import explain as render

    doc = command.run(_app(as_recorded), target, state, as_of=as_of, method=method)
    render.emit(doc, fmt.value, raw=raw)


# ---- pictures (SPEC §10): matplotlib, plotext and Jinja2 are imported by these two commands only ----


@app.command()
def chart(
    target: Annotated[
        str,
        typer.Argument(
            metavar="TARGET", help="Target id (see `admtrack targets`).", autocompletion=_complete("target")
        ),
    ],
    state: StateOpt = None,
    as_of: AsOfOpt = None,
    method: Method = "projection",
    as_recorded: AsRecordedOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", metavar="FILE", help="Write the chart to FILE.svg or FILE.png instead.", dir_okay=False
        ),
    ] = None,
) -> None:
    """A chart of one target: the region (and each --state) by year, the path to the goal, the projection.

    Example: admtrack chart digital-economy-share --state VNM --output vnm.svg
    """
    from admtrack.pictures import chart_data

    fmt = ""
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("svg", "png"):
            raise _usage(f"--output: the file name must end in .svg or .png, got {output.name!r}")
    ctx = _app(as_recorded)
    if target.strip() not in ctx.plan.target_by_id:
        raise _usage(f"target: unknown target {target!r} (one of: {', '.join(ctx.plan.target_by_id)})")
    data = chart_data(ctx, target.strip(), state, as_of=as_of, method=method)
    if output is not None:
        from admtrack.render import chart as draw

        _write_file(output, lambda: draw.write(data, output, fmt=fmt))
        sys.stderr.write(f"wrote {output}\n")
        return
    import shutil

    from admtrack.render import chart as draw

    tty = sys.stdout.isatty()
    colour = tty and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    width = shutil.get_terminal_size((80, 24)).columns if tty else int(os.environ.get("COLUMNS") or 80)
    sys.stdout.write(draw.terminal(data, width=max(40, min(width, 200)), colour=colour))


class ReportFmt(str, Enum):
    html = "html"
    markdown = "markdown"


@app.command()
def report(
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="The file to write (FILE.html, or FILE.md with --format markdown).",
            dir_okay=False,
        ),
    ],
    fmt: Annotated[
        ReportFmt,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="html (one self-contained page) or markdown (FILE.md plus the charts as SVG files beside it).",
            case_sensitive=False,
        ),
    ] = ReportFmt.html,
    state: StateOpt = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    method: Method = "projection",
    as_recorded: AsRecordedOpt = None,
) -> None:
    """A self-contained report with charts and tables, to share with people who were not in the room.

    Example: admtrack report --output adm2030.html
    """
    from admtrack.errors import UsageError
    from admtrack.pictures import report_data
    from admtrack.render import html

    suffixes = (".html", ".htm") if fmt is ReportFmt.html else (".md", ".markdown")
    if output.suffix.lower() not in suffixes:
        raise UsageError(f"--output: a {fmt.value} report is written to a {' or '.join(suffixes)} file, got "
                         f"{output.name!r}")
    data = report_data(_app(as_recorded), states=state, targets=target, as_of=as_of, method=method)
    if fmt is ReportFmt.html:
        _write_file(output, lambda: output.write_text(html.html(data), encoding="utf-8"))
        sys.stderr.write(f"wrote {output}\n")
    else:
        files = _write_file(output, lambda: html.markdown(data, output))
        sys.stderr.write(f"wrote {output} and {len(files) - 1} chart(s) beside it\n")


def _write_file(path: Path, write):
    from admtrack.errors import AdmError

    try:
        return write()
    except OSError as exc:
        raise AdmError(f"{path}: cannot write: {exc.strerror or exc}") from None


# ---- fetching (SPEC §9): httpx is imported by this command only ------------------------------------


class Agency(str, Enum):
    worldbank = "worldbank"
    ilostat = "ilostat"


@app.command()
def fetch(
    source: Annotated[
        Agency,
        typer.Argument(
            metavar="SOURCE", help="worldbank (World Bank Indicators API) or ilostat (ILOSTAT).", case_sensitive=False
        ),
    ],
    indicator: Annotated[
        Optional[list[str]],
        typer.Option(
            "--indicator",
            "-i",
            metavar="ID",
            autocompletion=_complete("indicator"),
            help="Plan indicator to fetch (default: every one mapped to that agency in targets.toml). Repeatable.",
        ),
    ] = None,
    state: Annotated[
        Optional[list[str]],
        typer.Option(
            "--state",
            "-s",
            metavar="CODE",
            autocompletion=_complete("state"),
            help="Member state: alpha-3, alpha-2 or name (default: all). Repeatable.",
        ),
    ] = None,
    from_year: Annotated[
        Optional[int],
        typer.Option(
            "--from", metavar="YEAR", min=1990, max=2200, help="First year (default: the plan's baseline year - 6)."
        ),
    ] = None,
    to_year: Annotated[
        Optional[int], typer.Option("--to", metavar="YEAR", min=1990, max=2200, help="Last year (default: this year).")
    ] = None,
    revise: Annotated[
        bool, typer.Option("--revise", metavar="", help="Supersede figures the agency has revised.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar="", help="Fetch and check; list what would change; write nothing.")
    ] = False,
) -> None:
    """Fetch the plan's series from the World Bank or ILOSTAT into the store (all or nothing).

    Examples: admtrack fetch worldbank --state VNM --from 2019 · admtrack fetch ilostat --dry-run
    """
    from admtrack.commands import fetch as command

    command.run(
        _app(),
        source.value,
        indicators=indicator,
        states=state,
        from_year=from_year,
        to_year=to_year,
        revise=revise,
        dry_run=dry_run,
    )


# ---- writing commands --------------------------------------------------------------------------


@app.command(context_settings={"ignore_unknown_options": False})
def record(
    state: Annotated[
        Optional[str],
        typer.Argument(
            metavar="STATE", help="Member state (or ASEAN).", show_default=False, autocompletion=_complete("state")
        ),
    ] = None,
    indicator: Annotated[
        Optional[str],
        typer.Argument(
            metavar="INDICATOR", help="Indicator id.", show_default=False, autocompletion=_complete("indicator")
        ),
    ] = None,
    year: Annotated[
        Optional[str], typer.Argument(metavar="YEAR", help="Calendar year of the figure.", show_default=False)
    ] = None,
    value: Annotated[
        Optional[str],
        typer.Argument(metavar="VALUE", help="The figure (a negative one follows --).", show_default=False),
    ] = None,
    file: Annotated[
        Optional[str],
        typer.Option(
            "--file",
            metavar="PATH",
            help="Record many from a CSV, TSV, JSON, JSON Lines, SDMX-CSV file or an agency's bulk file; "
            "'-' for stdin.",
        ),
    ] = None,
    input_format: Annotated[
        Optional[InFmt],
        typer.Option(
            "--input-format",
            metavar="FORMAT",
            help="csv, tsv, json, jsonl, sdmx-csv, or an agency's bulk file: worldbank-csv, ilostat-csv "
            "(default: from the extension, else sniffed from the content).",
            case_sensitive=False,
        ),
    ] = None,
    only: Annotated[
        Optional[list[str]],
        typer.Option(
            "--indicator",
            "-i",
            metavar="ID",
            autocompletion=_complete("indicator"),
            help="worldbank-csv / ilostat-csv: only this plan indicator. Repeatable.",
        ),
    ] = None,
    from_year: Annotated[
        Optional[int],
        typer.Option(
            "--from",
            metavar="YEAR",
            min=1990,
            max=2200,
            help="worldbank-csv / ilostat-csv: the first year to record (default 1990).",
        ),
    ] = None,
    to_year: Annotated[
        Optional[int],
        typer.Option(
            "--to",
            metavar="YEAR",
            min=1990,
            max=2200,
            help="worldbank-csv / ilostat-csv: the last year to record (default: this year).",
        ),
    ] = None,
    source: Annotated[
        Optional[str],
        typer.Option("--source", metavar="TEXT", help="Where the figure comes from (agency, series, release)."),
    ] = None,
    note: Annotated[Optional[str], typer.Option("--note", metavar="TEXT", help="A note (definition, caveat).")] = None,
    obs_status: Annotated[
        Optional[str],
        typer.Option(
            "--obs-status",
            metavar="CODE",
            help="SDMX observation status: A normal (default), B break in series, E estimated, F forecast, "
            "I imputed, P provisional, U low reliability.",
        ),
    ] = None,
    revise: Annotated[
        bool, typer.Option("--revise", metavar="", help="Supersede a different figure already recorded.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", metavar="", help="Check and report, write nothing.")] = False,
) -> None:
    """Record one observation, or many with --file (all or nothing).

    Examples: admtrack record VNM digital-economy-share 2025 19.2 --source "MIC, 2026"
    · admtrack record --file figures.csv --dry-run
    """
    from admtrack.commands import record as recording

    ctx = _app()
    if file is not None:
        if any(x is not None for x in (state, indicator, year, value)):
            raise _usage("record: give either STATE INDICATOR YEAR VALUE or --file, not both")
        if source is not None or note is not None or obs_status is not None:
            raise _usage("record --file: --source, --note and --obs-status come from the file's columns")
        recording.record_file(
            ctx,
            file,
            input_format.value if input_format else None,
            revise=revise,
            dry_run=dry_run,
            indicators=only,
            from_year=from_year,
            to_year=to_year,
        )
        return
    if bulk_only := [n for n, v in (("--indicator", only), ("--from", from_year), ("--to", to_year)) if v]:
        raise _usage(f"record: {bulk_only[0]} goes with --file (an agency's bulk file)")
    missing = [
        n for n, v in (("STATE", state), ("INDICATOR", indicator), ("YEAR", year), ("VALUE", value)) if v is None
    ]
    if missing:
        raise _usage(f"record: missing argument {missing[0]} (or use --file PATH)")
    recording.record_one(
        ctx,
        state,
        indicator,
        year,
        value,
        source=source,
        note=note,
        revise=revise,
        dry_run=dry_run,
        obs_status=obs_status,
    )


@app.command()
def retract(
    state: Annotated[
        str, typer.Argument(metavar="STATE", help="Member state (or ASEAN).", autocompletion=_complete("state"))
    ],
    indicator: Annotated[
        str,
        typer.Argument(
            metavar="INDICATOR", help="Indicator id (see `admtrack targets`).", autocompletion=_complete("indicator")
        ),
    ],
    year: Annotated[str, typer.Argument(metavar="YEAR", help="Calendar year of the figure.")],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the figure is withdrawn (kept in history).")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", metavar="", help="Check and report, write nothing.")] = False,
) -> None:
    """Withdraw a figure (from the store or the reference layer); it stays in history.

    Example: admtrack retract VNM gdp 2024 --reason "superseded by the GSO release"
    """
    from admtrack.commands import record as recording

    recording.retract(_app(), state, indicator, year, reason=reason, dry_run=dry_run)


@app.command()
def init(
    folder: Annotated[
        Optional[Path], typer.Argument(metavar="DIR", help="Folder (default: the data folder).", file_okay=False)
    ] = None,
    force: Annotated[bool, typer.Option("--force", metavar="", help="Overwrite an existing targets.toml.")] = False,
) -> None:
    """Write an editable copy of the bundled targets.toml into a data folder.

    Example: admtrack init ./adm-data
    """
    from admtrack.commands import init as command

    command.run(folder, G.data_dir, force=force)


def _usage(message: str) -> Exception:
    from admtrack.errors import UsageError

    return UsageError(message)


# ---- entry point -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """The console script. Typer runs the command; this adds only what it does not do: our one-line
    error format, Ctrl-C as 130 (SPEC §6), and a closed pipe as a quiet 0."""
    from admtrack.errors import format_lines

    args = _globals_first(sys.argv[1:] if argv is None else list(argv))
    # A command is a short-lived process that builds up to millions of tuples and frees them at exit: the
    # cyclic collector would only walk them again and again (bench/README.md, "Scale"). Back on at the
    # end, for a caller that runs main in its own process (the tests).
    collecting = gc.isenabled()
    gc.disable()
    try:
        rv = app(args=args or ["--help"], prog_name="admtrack", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except typer.TyperException as exc:  # AdmError, and the Click usage errors Typer raises
        message = exc.format_message().replace("Value error, ", "")
        cmd = getattr(getattr(exc, "ctx", None), "command_path", None)
        if cmd:
            message += f" (see '{cmd} --help')"
        sys.stderr.write("\n".join(format_lines(message, getattr(exc, "details", ()))) + "\n")
        code = exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\n")
        code = 130
    except BrokenPipeError:
        code = 0
    except SystemExit as exc:
        # Typer exits 1 on a closed pipe (EPIPE); here that is not an error
        closed_pipe = isinstance(exc.__context__, OSError) and exc.__context__.errno == errno.EPIPE
        code = 0 if closed_pipe else (exc.code if isinstance(exc.code, int) else 1)
    except MemoryError:
        sys.stderr.write("admtrack: error: out of memory (input too large?)\n")
        code = 1
    finally:
        if collecting:
            gc.enable()
    if argv is None:  # the real program: a Ctrl-C from now on must not turn a finished command into a kill
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _flush_quietly()
    sys.exit(code)


#: global options (taking a value or not) that are also accepted after the command
_GLOBALS = {"--data-dir": True, "--no-reference": False}


def _globals_first(args: list[str]) -> list[str]:
    """``admtrack status --data-dir X`` means ``admtrack --data-dir X status``: global options given after
    the command are moved before it (up to a ``--``, after which everything is an argument)."""
    head: list[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):  # global options before the command
        takes_value = _GLOBALS.get(args[i], False)
        head.append(args[i])
        if takes_value and i + 1 < len(args):
            head.append(args[i + 1])
            i += 1
        i += 1
    if i >= len(args):
        return args
    moved: list[str] = []
    rest: list[str] = [args[i]]
    i += 1
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest += args[i:]
            break
        if name in _GLOBALS:
            moved.append(arg)
            if _GLOBALS[name] and "=" not in arg and i + 1 < len(args):
                moved.append(args[i + 1])
                i += 1
        else:
            rest.append(arg)
        i += 1
    return head + moved + rest


def _flush_quietly() -> None:
    """A closed pipe (`| head`) must end quietly, including the final flush of stdout."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
