"""The plan: ``targets.toml`` (SPEC §2.1), validated, as plain records with look-ups.

Validation is Pydantic's (``plan_schema``), and building those models costs more than the rest of a
``status`` run; so a validated plan is cached as JSON in the user cache folder, keyed on the file's
content hash and admtrack's version, and a plan that has been validated once loads without Pydantic.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path

from admtrack import __version__
from admtrack.errors import AdmError, where
from admtrack.model import REGION, Goal, Thresholds

ENV_CACHE_DIR = "ADMTRACK_CACHE_DIR"


class Rec(dict):
    """A plan table: a dict of the file's keys, read as attributes (absent optional keys read None)."""

    __slots__ = ()

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            if name.startswith("__"):
                raise AttributeError(name) from None
            return None

    def dump(self) -> dict:
        return {k: (v.dump() if isinstance(v, Rec) else v) for k, v in self.items() if v is not None}


def _rec(obj):
    if isinstance(obj, dict):
        return Rec({k: _rec(v) for k, v in obj.items()})
    if isinstance(obj, list):
        return [_rec(v) for v in obj]
    return obj


@dataclass(frozen=True)
class PlanProblem:
    line: int | None
    key: str
    reason: str



class Plan:
    """The validated plan plus look-ups."""

    def __init__(self, data: dict, path: str, fingerprint: str | None = None) -> None:
        data = _rec(data)
        self.data = data
        self.path = path
        #: identifies the plan's content (and admtrack's version): what the store cache's checks rely on
        self.fingerprint = fingerprint
        self.meta = data.plan
        self.states = list(data.state)
        self.indicators = {i.id: i for i in data.indicator}
        self.targets = list(data.get("target", []))
        self.target_by_id = {t.id: t for t in self.targets}
        self.state_codes = [s.code for s in self.states]
        self.state_by_code = {s.code: s for s in self.states}
        names: dict[str, str] = {}
        for s in self.states:
            for label in (s.code, s.alpha2, s.name, *(s.aliases or [])):
                names[fold(label)] = s.code
        names[fold(REGION)] = REGION
        self._names = names

    @cached_property
    def thresholds(self) -> Thresholds:
        t = self.meta.thresholds
        return Thresholds(t.on_track, t.acceleration_needed, t.limited_progress)

    def resolve_state(self, text: str, *, allow_region: bool = True) -> str | None:
        code = self._names.get(fold(text))
        if code == REGION and not allow_region:
            return None
        return code

    def goal(self, target) -> Goal:
        return Goal(
            kind=target.kind,
            direction=target.direction,
            value=target.value,
            change=target.change,
            baseline_year=target.baseline_year or self.meta.baseline_year,
            target_year=target.target_year or self.meta.target_year,
        )

    def to_dict(self) -> dict:
        return self.data.dump()


def fold(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def bundled_path() -> Path:
    """The plan that ships with the package (or, in a source checkout, ``data/targets.toml``)."""
    packaged = Path(str(resources.files("admtrack"))) / "data" / "targets.toml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "targets.toml"


def bundled_text() -> str:
    return bundled_path().read_text(encoding="utf-8")


def plan_path(data_dir: Path | None) -> Path:
    if data_dir is not None:
        user = data_dir / "targets.toml"
        if user.is_file():
            return user
    return bundled_path()


def load_plan(path: Path) -> Plan:
    """The plan at ``path``; the first problem (of all, counted) is an error."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise AdmError(f"{path}: cannot read: {exc.strerror or exc}") from None
    fingerprint = _fingerprint(raw)
    cache = _cache_file(fingerprint)
    if cache is not None:
        try:
            return Plan(json.loads(cache.read_bytes()), str(path), fingerprint)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            pass
    result = _validate(raw, path)
    if isinstance(result, Plan):
        result.fingerprint = fingerprint
        if cache is not None:
            _write_cache(cache, result.to_dict())
        return result
    first = result[0]
    more = f" (and {len(result) - 1} more problem(s); run `admtrack check`)" if len(result) > 1 else ""
    raise AdmError(f"{where(path, first.line)}: {first.key}: {first.reason}{more}")


def check_plan_file(path: Path) -> Plan | list[PlanProblem]:
    """The plan, or every problem found in it (always validated; no cache)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [PlanProblem(None, "file", f"cannot read: {exc.strerror or exc}")]
    return _validate(raw, path)


def _validate(raw: bytes, path: Path) -> Plan | list[PlanProblem]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return [PlanProblem(raw[: exc.start].count(b"\n") + 1, "file", f"not UTF-8 text (byte {exc.start})")]
    from admtrack.plan_schema import validate_text

    result = validate_text(text)
    return result if isinstance(result, list) else Plan(result, str(path))


def _fingerprint(raw: bytes) -> str:
    """The plan's content, admtrack's version and the validation rules themselves (so that a plan
    validated under older rules is validated again)."""
    h = hashlib.sha256(raw)
    h.update(f"\0admtrack {__version__}\0".encode())
    try:
        h.update(Path(__file__).with_name("plan_schema.py").read_bytes())
    except OSError:
        pass
    return h.hexdigest()


def _cache_file(digest: str) -> Path | None:
    folder = os.environ.get(ENV_CACHE_DIR)
    if not folder:
        try:
            from platformdirs import user_cache_dir

            folder = user_cache_dir("admtrack", appauthor=False)
        except Exception:  # pragma: no cover - no cache folder on this platform
            return None
    return Path(folder) / "plans" / f"{digest}.json"


def _write_cache(path: Path, doc: dict) -> None:
    from admtrack.store import atomic_write

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"), durable=False)
    except OSError:
        pass  # a cache is an optimisation only
