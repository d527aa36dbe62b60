"""`admtrack check`: validate the targets file, the store and the reference layer; list every problem."""

from __future__ import annotations

from pathlib import Path

from admtrack.context import resolve_data_dir
from admtrack.errors import AdmError, Problem
from admtrack.plan import Plan


def run(data_dir: Path | None, *, no_reference: bool) -> tuple[list[str], list[Problem]]:
    """(summary lines, problems): every problem, not just the first."""
    from admtrack.plan import check_plan_file, plan_path
    from admtrack.rules import check_reference, check_stored
    from admtrack.store import Store

    folder = resolve_data_dir(data_dir)
    ok: list[str] = []
    problems: list[Problem] = []
    try:
        ppath = plan_path(folder)
        result = check_plan_file(ppath)
    except AdmError as exc:  # something in the place of targets.toml: the store is still read
        ppath, result = None, [Problem(None, None, None, exc.message)]
    plan = result if isinstance(result, Plan) else None
    if plan is not None:
        ok.append(f"ok  {ppath}: {len(plan.targets)} targets, {len(plan.indicators)} indicators, "
                  f"{len(plan.states)} states")
    else:
        problems += result  # type: ignore[arg-type]
    store = Store(folder)
    wrong: list[Problem] = []
    try:
        entries: list | None = store.load().rows
    except AdmError:  # every wrong entry, not just the first (and the plan's checks of the others)
        try:
            entries, wrong = store.every_problem()
        except AdmError as exc:
            problems.append(Problem(None, None, None, exc.message))
            entries = None
    if entries is not None:
        found = sorted(wrong + (check_stored(plan, entries, store.path) if plan else []),
                       key=lambda p: p.line or 0)
        problems += found
        if not store.path.exists():
            ok.append(f"ok  {store.path}: not created yet (no observations recorded)")
        elif plan is None:
            ok.append(f"--  {store.path}: {len(entries)} entries read, not checked against the plan (fix the "
                      "plan first)")
        elif not found:
            ok.append(f"ok  {store.path}: {len(entries)} entries")
    if not no_reference:
        from admtrack.reference import load_reference, placeable, reference_path

        rpath = reference_path()
        try:
            refs = load_reference(rpath)
        except (OSError, ValueError, KeyError) as exc:
            problems.append(Problem(str(rpath), None, None, f"cannot read the reference layer: {exc}"))
            refs = None
        if refs is not None and plan is not None:
            placed = placeable(plan, refs)
            found = check_reference(plan, placed, rpath)
            problems += found
            if not found:
                left = len(refs) - len(placed)
                ok.append(f"ok  reference layer: {len(placed)} figures"
                          + (f" ({left} left out: their state or indicator is not in this plan, or their value is "
                             "outside its bounds)" if left else ""))
    return ok, problems
