"""Where the data lives (SPEC §2.4) and loading it: the plan, the store, the reference layer."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from admtrack.errors import AdmError, UsageError
from admtrack.model import REGION

ENV_DATA_DIR = "ADMTRACK_DATA_DIR"


def resolve_data_dir(option: Path | None) -> Path:
    if option is not None:
        return option.expanduser()
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("admtrack", appauthor=False))


class Context:
    def __init__(self, data_dir: Path | None, *, no_reference: bool = False) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.no_reference = no_reference

    @cached_property
    def plan(self):
        from admtrack.plan import load_plan, plan_path

        return load_plan(plan_path(self.data_dir))

    @cached_property
    def store(self):
        from admtrack.store import Store

        return Store(self.data_dir)

    @cached_property
    def loaded(self):
        """The parsed store, checked against the plan (the first problem is an error)."""
        loaded = self.store.load()
        if loaded.verdict != self.plan.fingerprint:
            self.check_rows(loaded.rows)
            self.store.remember(loaded, self.plan.fingerprint)
        return loaded

    def check_rows(self, rows) -> None:
        from admtrack.rules import check_stored

        problems = check_stored(self.plan, rows, self.store.path)
        if problems:
            more = f" (and {len(problems) - 1} more; run `admtrack check`)" if len(problems) > 1 else ""
            raise AdmError(f"{problems[0]}{more}")

    @cached_property
    def reference(self):
        if self.no_reference:
            return []
        from admtrack.reference import load_reference

        known = set(self.plan.state_codes) | {REGION}
        # a user plan may drop indicators or states: the reference figures it cannot place are left out
        return [e for e in load_reference() if e.state in known and e.indicator in self.plan.indicators]

    def series(self, *, as_of: int | None = None, indicators: set[str] | None = None):
        """Current values (derived ones included) of ``indicators`` (default: all) and what they derive from."""
        from admtrack.series import Series, layered

        needed = None if indicators is None else self._with_inputs(indicators)
        current, retracted = layered(self.loaded.current, self.reference, as_of=as_of, indicators=needed)
        return Series(self.plan, current, retracted)

    def _with_inputs(self, indicators: set[str]) -> set[str]:
        out: set[str] = set()
        todo = list(indicators)
        while todo:
            ind = todo.pop()
            if ind in out or ind not in self.plan.indicators:
                continue
            out.add(ind)
            derive = self.plan.indicators[ind].derive
            if derive:
                todo.extend(derive.of)
        return out

    # ---- argument resolution -------------------------------------------------------------------
    def state_code(self, text: str, *, allow_region: bool = True, usage: bool = False) -> str:
        code = self.plan.resolve_state(text.strip(), allow_region=allow_region)
        if code is None:
            err = UsageError if usage else AdmError
            raise err(f"state: unknown state {text!r} (see `admtrack states`)")
        return code

    def indicator_id(self, text: str, *, usage: bool = False) -> str:
        ind = text.strip()
        if ind not in self.plan.indicators:
            err = UsageError if usage else AdmError
            raise err(f"indicator: unknown indicator {text!r} (see `admtrack targets`)")
        return ind

    def pick_states(self, states: list[str] | None) -> list[str] | None:
        if not states:
            return None
        out: list[str] = []
        for s in states:
            code = self.state_code(s, usage=True)
            if code not in out:
                out.append(code)
        return out

    def pick_targets(self, targets: list[str] | None):
        if not targets:
            return list(self.plan.targets)
        out = []
        for t in targets:
            tgt = self.plan.target_by_id.get(t.strip())
            if tgt is None:
                known = ", ".join(self.plan.target_by_id)
                raise UsageError(f"--target: unknown target {t!r} (one of: {known})")
            if tgt not in out:
                out.append(tgt)
        return out

    # ---- listings ------------------------------------------------------------------------------
    def history(self, state: str, indicator: str) -> "History":
        code = self.state_code(state)
        ind = self.indicator_id(indicator)
        mine = [o for o in self.loaded.rows if o.state == code and o.indicator == ind]
        refs = sorted((e for e in self.reference if e.state == code and e.indicator == ind), key=lambda e: e.year)
        in_force = {o.key: o for o in mine}
        rows = []
        for e in refs:
            over = in_force.get(e.key)
            rows.append(HistoryRow(e, "reference", "superseded" if over and not over.retracted else
                                   ("retracted" if over else "current")))
        for e in mine:
            rows.append(HistoryRow(e, "store", "retraction" if e.retracted else
                                   ("current" if in_force[e.key] is e else "superseded")))
        series = self.series()
        points = series.points(ind, code)
        return History(code, ind, self.plan.indicators[ind], rows, points)

    def export_rows(self, *, all_revisions: bool, states, indicators, as_of):
        from admtrack.series import layered

        want_states = set(self.pick_states(states) or []) or None
        want_inds = {self.indicator_id(i, usage=True) for i in indicators} if indicators else None

        def keep(state: str, ind: str, year: int) -> bool:
            return ((want_states is None or state in want_states)
                    and (want_inds is None or ind in want_inds)
                    and (as_of is None or year <= as_of))

        rows: list[dict] = []
        if all_revisions:
            for e in self.reference:
                if keep(e.state, e.indicator, e.year):
                    rows.append(_row(e, "reference"))
            for e in self.loaded.rows:
                if keep(e.state, e.indicator, e.year):
                    rows.append(_row(e, "store"))
            return rows
        current, _ = layered(self.loaded.current, self.reference, as_of=as_of)
        for o in sorted(current.values(), key=lambda o: (o.state, o.indicator, o.year)):
            if keep(o.state, o.indicator, o.year):
                rows.append({"state": o.state, "indicator": o.indicator, "year": o.year, "value": o.value,
                             "source": o.source, "note": o.note, "recorded_at": o.recorded_at, "layer": o.layer})
        return rows


def _row(e, layer: str) -> dict:
    return {"state": e.state, "indicator": e.indicator, "year": e.year, "value": e.value, "source": e.source,
            "note": e.note, "recorded_at": e.recorded_at, "layer": layer, "retracted": e.retracted,
            "reason": e.reason}


@dataclass
class HistoryRow:
    entry: object
    layer: str
    status: str  # current | superseded | retracted | retraction


@dataclass
class History:
    state: str
    indicator: str
    indicator_model: object
    rows: list[HistoryRow]
    points: list  # current values, by year (derived ones included)


def run_check(data_dir: Path | None, *, no_reference: bool) -> tuple[list[str], list[str]]:
    """(summary lines, problems) for `admtrack check`: every problem, not just the first."""
    from admtrack.errors import where
    from admtrack.plan import Plan, check_plan_file, plan_path
    from admtrack.rules import check_stored
    from admtrack.store import Store

    folder = resolve_data_dir(data_dir)
    ok: list[str] = []
    problems: list[str] = []
    ppath = plan_path(folder)
    result = check_plan_file(ppath)
    if isinstance(result, Plan):
        plan = result
        ok.append(f"ok  {ppath}: {len(plan.targets)} targets, {len(plan.indicators)} indicators, "
                  f"{len(plan.states)} states")
    else:
        plan = None
        problems += [f"{where(ppath, p.line)}: {p.key}: {p.reason}" for p in result]
    store = Store(folder)
    try:
        entries = store.load().rows
    except AdmError as exc:
        problems.append(exc.message)
        entries = None
    if entries is not None:
        found = [str(p) for p in check_stored(plan, entries, store.path)] if plan else []
        problems += found
        if not found:
            if store.path.exists():
                ok.append(f"ok  {store.path}: {len(entries)} entries")
            else:
                ok.append(f"ok  {store.path}: not created yet (no observations recorded)")
    if not no_reference:
        from admtrack.reference import load_reference, reference_path

        rpath = reference_path()
        try:
            refs = load_reference(rpath)
        except (OSError, ValueError, KeyError) as exc:
            problems.append(f"{rpath}: cannot read the reference layer: {exc}")
            refs = None
        if refs is not None and plan is not None:
            found = _check_reference(plan, refs, rpath)
            problems += found
            if not found:
                ok.append(f"ok  reference layer: {len(refs)} figures")
    return ok, problems


def _check_reference(plan, refs, rpath) -> list[str]:
    from admtrack.errors import where
    from admtrack.validate import FieldError, check_bounds, check_text

    out = []
    codes = set(plan.state_codes) | {REGION}
    for e in refs:
        loc = where(rpath, e.line)
        if e.state not in codes:
            out.append(f"{loc}: state: {e.state!r} is not a member state of this plan")
            continue
        ind = plan.indicators.get(e.indicator)
        if ind is None:
            out.append(f"{loc}: indicator: {e.indicator!r} is not an indicator of this plan")
            continue
        try:
            check_bounds(e.value, ind.min, ind.max, ind.unit)
            check_text("source", e.source, required=True)
            check_text("note", e.note)
        except FieldError as exc:
            out.append(f"{loc}: {exc.field}: {exc.reason}")
    return out


def init_folder(folder: Path | None, data_dir: Path | None, *, force: bool) -> None:
    import sys

    from admtrack.plan import bundled_text
    from admtrack.store import atomic_write

    target_dir = (folder.expanduser() if folder is not None else resolve_data_dir(data_dir))
    path = target_dir / "targets.toml"
    if path.exists() and not force:
        raise AdmError(f"{path}: already exists (use --force to overwrite it)")
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        atomic_write(path, bundled_text().encode("utf-8"))
    except OSError as exc:
        raise AdmError(f"{path}: cannot write: {exc.strerror or exc}") from None
    sys.stderr.write(f"wrote {path}: edit it, then run `admtrack check`\n")
    if folder is not None and folder.expanduser().resolve() != resolve_data_dir(data_dir).resolve():
        sys.stderr.write(f"use it with `admtrack --data-dir {target_dir} …` or ADMTRACK_DATA_DIR={target_dir}\n")
