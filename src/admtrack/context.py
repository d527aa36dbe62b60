"""The workspace: where the data lives (SPEC §2.4) and loading it — the plan, the store (checked against
the plan), the reference layer — plus turning command-line names into codes. Commands get one of these;
nothing here prints."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from admtrack.errors import AdmError, UsageError
from admtrack.model import Key, Observation

if TYPE_CHECKING:
    from admtrack.plan import Plan, Target
    from admtrack.series import Series
    from admtrack.store import Loaded, Store

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
    """``as_recorded`` (YYYY-MM-DD, SPEC §8): the data as it stood at the end of that day (UTC) — store
    entries recorded later and reference figures released later are left out everywhere."""

    def __init__(self, data_dir: Path | None, *, no_reference: bool = False, as_recorded: str | None = None) -> None:
        self.data_dir = resolve_data_dir(data_dir)
        self.no_reference = no_reference
        self.as_recorded = as_recorded

    def _known_then(self, o: Observation) -> bool:
        """Was ``o`` known at the end of the ``as_recorded`` day? (A figure with no date always was.)"""
        if self.as_recorded is None:
            return True
        stamp = o.recorded_at if o.layer == "store" else o.released
        return stamp is None or stamp[:10] <= self.as_recorded

    @property
    def entries(self) -> list[Observation]:
        """Every store entry in file order (revisions and retractions included), as of ``as_recorded``."""
        rows = self.loaded.rows
        return rows if self.as_recorded is None else [o for o in rows if self._known_then(o)]

    def entries_where(self, keep: Callable[[Observation], bool]) -> list[Observation]:
        """``entries`` that ``keep`` keeps (read a piece of the index at a time)."""
        return self.loaded.each_row(lambda o: keep(o) and self._known_then(o))

    @cached_property
    def in_force(self) -> dict[Key, Observation]:
        """The store entry in force per (state, indicator, year), as of ``as_recorded``."""
        if self.as_recorded is None:
            return self.loaded.current
        return {o.key: o for o in self.entries}

    @cached_property
    def plan(self) -> Plan:
        from admtrack.plan import load_plan, plan_path

        return load_plan(plan_path(self.data_dir))

    @cached_property
    def store(self) -> Store:
        from admtrack.store import Store

        return Store(self.data_dir)

    @cached_property
    def loaded(self) -> Loaded:
        """The parsed store, checked against the plan (the first problem is an error)."""
        verdict = self.plan.fingerprint
        loaded = self.store.load(vouch=None if verdict is None else self._vouch)
        if verdict is None or loaded.verdict != verdict:
            self.check_rows(loaded.rows)
            if verdict is not None:
                self.store.remember(loaded, verdict)
        return loaded

    def _vouch(self, rows: list[Observation]) -> str | None:
        """Check every entry of a store that had to be parsed; the plan's fingerprint if all pass."""
        self.check_rows(rows)
        return self.plan.fingerprint

    def check_rows(self, rows: list[Observation]) -> None:
        """Raise on the first stored entry the plan refuses (all of them: `admtrack check`)."""
        from admtrack.rules import check_stored

        problems = check_stored(self.plan, rows, self.store.path)
        if problems:
            more = f" (and {len(problems) - 1} more; run `admtrack check`)" if len(problems) > 1 else ""
            raise AdmError(f"{problems[0]}{more}")

    @cached_property
    def reference(self) -> list[Observation]:
        if self.no_reference:
            return []
        from admtrack.reference import load_reference, placeable

        return [e for e in placeable(self.plan, load_reference()) if self._known_then(e)]

    def series(self, *, as_of: int | None = None, indicators: set[str] | None = None) -> Series:
        """Current values (derived ones included) of ``indicators`` (default: all) and what they derive from."""
        from admtrack.series import Series, layered

        needed = None if indicators is None else self.with_inputs(indicators)
        # the entries in force of the needed indicators only: the index reads those, not every row
        latest = self.in_force if needed is None or self.as_recorded is not None else self.loaded.current_for(needed)
        current, retracted = layered(latest, self.reference, as_of=as_of, indicators=needed)
        return Series(self.plan, current, retracted)

    def with_inputs(self, indicators: Iterable[str]) -> set[str]:
        """``indicators`` and, for derived ones, what they are computed from (all the way down)."""
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

    # ---- names on the command line -> codes ----------------------------------------------------
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
            target = self.plan.target_by_id.get(ind)
            if target is not None:
                raise err(f"indicator: {ind!r} is a target, not an indicator; it measures the indicator "
                          f"{target.indicator!r}")
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

    def pick_targets(self, targets: list[str] | None) -> list[Target]:
        if not targets:
            return list(self.plan.targets)
        out: list[Target] = []
        for t in targets:
            tgt = self.plan.target_by_id.get(t.strip())
            if tgt is None:
                known = ", ".join(self.plan.target_by_id)
                raise UsageError(f"--target: unknown target {t!r} (one of: {known})")
            if tgt not in out:
                out.append(tgt)
        return out

