"""The writing commands: record one, record many (all or nothing), retract."""

from __future__ import annotations

import sys

from admtrack.errors import AdmError
from admtrack.store import Entry, now_utc

MAX_LISTED = 20


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")


def _num(v: float) -> str:
    return f"{v:.15g}"


def record_one(ctx, state, indicator, year, value, *, source, note, revise: bool, dry_run: bool) -> None:
    from admtrack.records import check_row, decide
    from admtrack.validate import FieldError

    plan = ctx.plan
    try:
        row = check_row(plan, {"state": state, "indicator": indicator, "year": year, "value": value,
                               "source": source, "note": note})
    except FieldError as exc:
        raise AdmError(f"{exc.field}: {exc.reason}") from None
    holder: dict = {}

    def choose(loaded) -> list[Entry]:
        d = decide(loaded.in_force, [row], revise=revise, recorded_at=now_utc())
        holder["d"] = d
        holder["old"] = loaded.in_force(row.key)
        return d.append

    ctx.store.transact(choose, dry_run=dry_run, plan_id=ctx.plan.fingerprint, check=ctx.check_rows)
    d, old = holder["d"], holder["old"]
    what = f"{row.state} {row.indicator} {row.year} = {_num(row.value)}"
    prefix = "dry run: would have " if dry_run else ""
    if d.revised:
        _say(f"{prefix}revised {what} (was {_num(old.value)})")
    elif d.recorded:
        _say(f"{prefix}recorded {what}")
    else:
        _say(f"unchanged {what} (already recorded)")


def record_file(ctx, path: str, input_format: str | None, *, revise: bool, dry_run: bool) -> None:
    from admtrack import inputs
    from admtrack.records import check_row, decide
    from admtrack.validate import FieldError, current_year

    plan = ctx.plan
    name, data = inputs.read_source(path)
    text = inputs.decode(name, data)
    fmt = inputs.detect_format(path, text, input_format)
    rows, problems = inputs.parse(name, text, fmt)
    clean: list[Entry] = []
    labels: list[str] = []
    top = current_year()
    for label, fields in rows:
        try:
            clean.append(check_row(plan, fields, max_year=top))
            labels.append(label)
        except FieldError as exc:
            problems.add(label, exc.field, exc.reason)
    if problems:
        problems.sort(key=lambda p: _order(p[0]))
        detail = [f"{name}: {lbl}: {fld}: {why}" if not lbl.startswith("line ") else
                  f"{name}:{lbl[5:]}: {fld}: {why}" for lbl, fld, why in problems]
        raise AdmError(f"{name}: {len(problems)} bad row(s), nothing recorded", details=detail)
    holder: dict = {}

    def choose(loaded) -> list[Entry]:
        d = decide(loaded.in_force, clean, revise=revise, recorded_at=now_utc(),
                   labels=[f"{name}:{lbl[5:]}" if lbl.startswith("line ") else f"{name}: {lbl}" for lbl in labels])
        holder["d"] = d
        return d.append

    ctx.store.transact(choose, dry_run=dry_run, plan_id=ctx.plan.fingerprint, check=ctx.check_rows)
    d = holder["d"]
    prefix = "dry run: would have " if dry_run else ""
    _say(f"{prefix}recorded {d.recorded}, unchanged {d.unchanged}, revised {d.revised} ({name}, {fmt})")


def _order(label: str) -> int:
    try:
        return int(label.split()[-1])
    except ValueError:
        return 0


def retract(ctx, state, indicator, year, *, reason: str, dry_run: bool) -> None:
    from admtrack.validate import FieldError, check_text, check_year

    code = ctx.state_code(state)
    ind = ctx.indicator_id(indicator)
    try:
        y = check_year(year)
        why = check_text("reason", reason, required=True)
    except FieldError as exc:
        raise AdmError(f"{exc.field}: {exc.reason}") from None
    in_reference = any(e.key == (code, ind, y) for e in ctx.reference)
    holder: dict = {}

    def choose(loaded) -> list[Entry]:
        last = loaded.in_force((code, ind, y))
        if last is not None and last.retracted:
            holder["outcome"] = "unchanged"
            return []
        if last is None and not in_reference:
            raise AdmError(f"{code} {ind} {y}: no figure recorded, nothing to retract")
        holder["outcome"] = "retracted"
        holder["was"] = last.value if last is not None else next(
            e.value for e in ctx.reference if e.key == (code, ind, y))
        return [Entry(code, ind, y, None, None, None, now_utc(), retracted=True, reason=why)]

    ctx.store.transact(choose, dry_run=dry_run, plan_id=ctx.plan.fingerprint, check=ctx.check_rows)
    if holder["outcome"] == "unchanged":
        _say(f"unchanged {code} {ind} {y} (already retracted)")
    else:
        prefix = "dry run: would have " if dry_run else ""
        _say(f"{prefix}retracted {code} {ind} {y} (was {_num(holder['was'])}); it stays in `admtrack history`")
