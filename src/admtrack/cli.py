"""The command line: parses arguments, calls the core, picks a renderer. Nothing else.

Start-up matters (SPEC §7): this module imports only Typer and the standard library; everything else
is imported inside the command that needs it.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from admtrack import __version__

app = typer.Typer(
    name="admtrack",
    help="Track the ASEAN Digital Masterplan 2030 (ADM 2030) targets per member state.",
    no_args_is_help=True,
    add_completion=False,
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


class MethodOpt(str, Enum):
    projection = "projection"
    cagr_ratio = "cagr-ratio"


class StatusOpt(str, Enum):
    on_track = "on_track"
    acceleration_needed = "acceleration_needed"
    limited_progress = "limited_progress"
    regressing = "regressing"
    achieved = "achieved"


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
    data_dir: Annotated[Optional[Path], typer.Option("--data-dir", help="Data folder (default: $ADMTRACK_DATA_DIR, else the per-user data folder).", file_okay=False)] = None,
    no_reference: Annotated[bool, typer.Option("--no-reference", help="Leave out the bundled reference observations.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", is_eager=True, callback=_version)] = False,
) -> None:
    G.data_dir = data_dir
    G.no_reference = no_reference


def _app():
    from admtrack.context import Context

    return Context(G.data_dir, no_reference=G.no_reference)


# ---- shared option types -----------------------------------------------------------------------

FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)]
StateOpt = Annotated[Optional[list[str]], typer.Option("--state", "-s", help="Member state (alpha-3, alpha-2 or name; 'ASEAN' for the region). Repeatable.")]
TargetOpt = Annotated[Optional[list[str]], typer.Option("--target", "-t", help="Target id. Repeatable.")]
AsOfOpt = Annotated[Optional[int], typer.Option("--as-of", help="Ignore observations after this year.", min=1900, max=2200)]
Method = Annotated[MethodOpt, typer.Option("--method", help="Assessment method (SPEC §5).", case_sensitive=False)]
FailOn = Annotated[Optional[StatusOpt], typer.Option("--fail-on", help="Exit 3 if any assessed series is at this status or worse.", case_sensitive=False)]
RawOpt = Annotated[bool, typer.Option("--raw", help="CSV/TSV: do not neutralise formula-like text cells.")]


# ---- reading commands --------------------------------------------------------------------------

@app.command()
def status(
    fmt: FormatOpt = Fmt.table,
    state: StateOpt = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    method: Method = MethodOpt.projection,
    fail_on: FailOn = None,
    raw: RawOpt = False,
) -> None:
    """Progress per target for the region, then a member-state x target matrix."""
    _report("status", fmt, state, target, as_of, method, fail_on, raw)


@app.command()
def gaps(
    fmt: FormatOpt = Fmt.table,
    state: StateOpt = None,
    target: TargetOpt = None,
    as_of: AsOfOpt = None,
    method: Method = MethodOpt.projection,
    fail_on: FailOn = None,
    raw: RawOpt = False,
) -> None:
    """Gap report: gap, pace needed vs observed, projection and shortfall per target and state, worst first."""
    _report("gaps", fmt, state, target, as_of, method, fail_on, raw)


def _report(kind: str, fmt: Fmt, state, target, as_of, method: MethodOpt, fail_on, raw: bool) -> None:
    from admtrack import report
    from admtrack.render import emit

    result = report.run(_app(), state=state, target=target, as_of=as_of, method=method.value)
    getattr(emit, kind)(result, fmt.value, raw=raw)
    _fail_on(result, fail_on)


def _fail_on(result, fail_on: Optional[StatusOpt]) -> None:
    if fail_on is None:
        return
    from admtrack.report import failing

    hits = failing(result, fail_on.value)
    if hits:
        shown = ", ".join(hits[:5]) + (f" and {len(hits) - 5} more" if len(hits) > 5 else "")
        sys.stderr.write(f"admtrack: --fail-on {fail_on.value}: {len(hits)} series at or worse: {shown}\n")
        raise typer.Exit(3)


@app.command()
def targets(fmt: FormatOpt = Fmt.table, target: TargetOpt = None, raw: RawOpt = False) -> None:
    """The plan's targets and indicators."""
    from admtrack.render import emit

    ctx = _app()
    emit.targets(ctx.plan, ctx.pick_targets(target), fmt.value, raw=raw)


@app.command()
def states(fmt: FormatOpt = Fmt.table, raw: RawOpt = False) -> None:
    """The member states, with their codes and accepted names."""
    from admtrack.render import emit

    emit.states(_app().plan, fmt.value, raw=raw)


@app.command()
def history(
    state: Annotated[str, typer.Argument(help="Member state, or ASEAN.")],
    indicator: Annotated[str, typer.Argument(help="Indicator id.")],
    fmt: FormatOpt = Fmt.table,
    raw: RawOpt = False,
) -> None:
    """Every observation and revision of one series, with sources, and a sparkline of current values."""
    from admtrack.render import emit

    ctx = _app()
    emit.history(ctx.history(state, indicator), fmt.value, raw=raw)


@app.command()
def export(
    fmt: Annotated[ExportFmt, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)] = ExportFmt.csv,
    all_revisions: Annotated[bool, typer.Option("--all-revisions", help="Every entry, superseded and retracted ones included.")] = False,
    state: StateOpt = None,
    indicator: Annotated[Optional[list[str]], typer.Option("--indicator", "-i", help="Indicator id. Repeatable.")] = None,
    as_of: AsOfOpt = None,
    dataflow: Annotated[str, typer.Option("--dataflow", help="SDMX-CSV dataflow id, AGENCY:ID(VERSION).")] = "ASEAN:ADM2030(1.0)",
    raw: RawOpt = False,
) -> None:
    """All current observations (recorded, not derived) as CSV, TSV, JSON, JSON Lines or SDMX-CSV."""
    from admtrack.render import emit

    ctx = _app()
    rows = ctx.export_rows(all_revisions=all_revisions, states=state, indicators=indicator, as_of=as_of)
    emit.export(rows, fmt.value, dataflow=dataflow, plan=ctx.plan, raw=raw, all_revisions=all_revisions)


@app.command()
def check() -> None:
    """Validate the targets file, the store and the reference layer; exit 1 on any problem."""
    from admtrack.context import run_check

    ok_lines, problems = run_check(G.data_dir, no_reference=G.no_reference)
    for line in ok_lines:
        sys.stdout.write(line + "\n")
    for p in problems:
        sys.stderr.write(f"admtrack: error: {_printable(p)}\n")
    if problems:
        sys.stderr.write(f"admtrack: {len(problems)} problem(s) found\n")
        raise typer.Exit(1)


# ---- writing commands --------------------------------------------------------------------------

@app.command(context_settings={"ignore_unknown_options": False})
def record(
    state: Annotated[Optional[str], typer.Argument(help="Member state (or ASEAN).", show_default=False)] = None,
    indicator: Annotated[Optional[str], typer.Argument(help="Indicator id.", show_default=False)] = None,
    year: Annotated[Optional[str], typer.Argument(help="Calendar year of the figure.", show_default=False)] = None,
    value: Annotated[Optional[str], typer.Argument(help="The figure (a negative one follows --).", show_default=False)] = None,
    file: Annotated[Optional[str], typer.Option("--file", help="Record many from a CSV, TSV, JSON or JSON Lines file; '-' for stdin.")] = None,
    input_format: Annotated[Optional[InFmt], typer.Option("--input-format", help="Format of --file (default: from the extension, else sniffed).", case_sensitive=False)] = None,
    source: Annotated[Optional[str], typer.Option("--source", help="Where the figure comes from.")] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="A note (definition, caveat).")] = None,
    revise: Annotated[bool, typer.Option("--revise", help="Supersede a different figure already recorded.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report, write nothing.")] = False,
) -> None:
    """Record one observation, or many with --file (all or nothing)."""
    from admtrack.commands import record as recording

    ctx = _app()
    if file is not None:
        if any(x is not None for x in (state, indicator, year, value)):
            raise _usage("record: give either STATE INDICATOR YEAR VALUE or --file, not both")
        if source is not None or note is not None:
            raise _usage("record --file: --source and --note come from the file's columns")
        recording.record_file(ctx, file, input_format.value if input_format else None, revise=revise, dry_run=dry_run)
        return
    missing = [n for n, v in (("STATE", state), ("INDICATOR", indicator), ("YEAR", year), ("VALUE", value)) if v is None]
    if missing:
        raise _usage(f"record: missing argument {missing[0]} (or use --file PATH)")
    recording.record_one(ctx, state, indicator, year, value, source=source, note=note, revise=revise, dry_run=dry_run)


@app.command()
def retract(
    state: Annotated[str, typer.Argument(help="Member state (or ASEAN).")],
    indicator: Annotated[str, typer.Argument(help="Indicator id.")],
    year: Annotated[str, typer.Argument(help="Calendar year of the figure.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the figure is withdrawn (kept in history).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report, write nothing.")] = False,
) -> None:
    """Withdraw a figure (from the store or the reference layer); it stays in history."""
    from admtrack.commands import record as recording

    recording.retract(_app(), state, indicator, year, reason=reason, dry_run=dry_run)


@app.command()
def init(
    folder: Annotated[Optional[Path], typer.Argument(help="Folder (default: the data folder).", file_okay=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing targets.toml.")] = False,
) -> None:
    """Write an editable copy of the bundled targets.toml into a data folder."""
    from admtrack.context import init_folder

    init_folder(folder, G.data_dir, force=force)


def _usage(message: str) -> Exception:
    from admtrack.errors import UsageError

    return UsageError(message)


# ---- entry point -------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> None:
    from admtrack.errors import AdmError

    # Typer >= 0.29 vendors Click (typer._click); older releases use Click itself.
    try:
        from typer._click import exceptions as cx
    except ImportError:  # pragma: no cover - Typer < 0.29
        from click import exceptions as cx
    no_args = getattr(cx, "NoArgsIsHelpError", ())
    base = getattr(cx, "ClickException", None) or cx.TyperException

    args = sys.argv[1:] if argv is None else argv
    code = 0
    try:
        if not args:
            args = ["--help"]
        rv = app(args=args, prog_name="admtrack", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except no_args as exc:
        sys.stdout.write(exc.ctx.get_help() + "\n")
        code = 0
    except cx.UsageError as exc:
        hint = ""
        if exc.ctx is not None and exc.ctx.command_path:
            hint = f" (see '{exc.ctx.command_path} --help')"
        sys.stderr.write(f"admtrack: error: {_printable(exc.format_message().replace('Value error, ', ''))}{hint}\n")
        code = 2
    except base as exc:
        sys.stderr.write(f"admtrack: error: {_printable(exc.format_message())}\n")
        code = exc.exit_code or 1
    except AdmError as exc:
        sys.stderr.write(f"admtrack: error: {_printable(exc.message)}\n")
        for line in exc.details[:20]:
            sys.stderr.write(f"  {_printable(line)}\n")
        if len(exc.details) > 20:
            sys.stderr.write(f"  … and {len(exc.details) - 20} more\n")
        code = exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        sys.stderr.write("\n")
        code = 130
    except BrokenPipeError:
        code = 0
    except SystemExit as exc:
        # Typer turns a closed pipe into exit 1 after wrapping stdout; a closed pipe is not an error here
        broken_pipe = type(sys.stdout).__name__ == "PacifyFlushWrapper"
        code = 0 if broken_pipe else (exc.code if isinstance(exc.code, int) else 1)
    except MemoryError:
        sys.stderr.write("admtrack: error: out of memory (input too large?)\n")
        code = 1
    if argv is None:
        import signal

        # the work is done: a Ctrl-C now, during the interpreter's shutdown (after Python hands SIGINT back
        # to the system), would end the process by the signal instead of with the exit code (SPEC §6)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _flush_quietly()
    sys.exit(code)


def _printable(text: str) -> str:
    """A message on one line: control characters from user input (newlines, escape sequences) shown as
    escapes, never sent to the terminal."""
    import re

    return re.sub(r"[\x00-\x1f\x7f-\x9f]", lambda m: repr(m.group())[1:-1], text)


def _flush_quietly() -> None:
    """A closed pipe (`| head`) must end quietly, including the final flush of stdout."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
