"""The plan: ``targets.toml`` (SPEC §2.1), validated, as plain records with look-ups.

Validation is Pydantic's (``plan_schema``), and building those models costs more than the rest of a
``status`` run; so a validated plan is cached as JSON in the user cache folder, keyed on the file's
content hash and admtrack's version, and a plan that has been validated once loads without Pydantic.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from admtrack import __version__
from admtrack.errors import AdmError, Problem
from admtrack.model import REGION, Goal, Thresholds

ENV_CACHE_DIR = "ADMTRACK_CACHE_DIR"


def _pick(cls, data: dict):
    """A dataclass from a table of the (already validated) plan, ignoring keys it does not declare."""
    names = cls.__dataclass_fields__
    return cls(**{k: v for k, v in data.items() if k in names})


def _dump(obj) -> dict:
    """The file's keys of a plan table (absent optional keys left out), JSON-ready."""
    out: dict = {}
    for name in obj.__dataclass_fields__:
        value = getattr(obj, name)
        if value is None:
            continue
        if hasattr(value, "__dataclass_fields__"):
            value = _dump(value)
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


@dataclass(frozen=True, slots=True)
class PlanThresholds:
    on_track: float = 0.95
    acceleration_needed: float = 0.60
    limited_progress: float = 0.0


@dataclass(frozen=True, slots=True)
class PlanMeta:
    id: str
    name: str
    baseline_year: int
    target_year: int
    adopted: str | None = None
    source: str | None = None
    min_coverage: float = 0.5
    thresholds: PlanThresholds = PlanThresholds()

    @classmethod
    def of(cls, data: dict) -> PlanMeta:
        meta = _pick(cls, data)
        return replace(meta, thresholds=_pick(PlanThresholds, data.get("thresholds") or {}))

    def dump(self) -> dict:
        return _dump(self)


@dataclass(frozen=True, slots=True)
class State:
    code: str  # ISO 3166-1 alpha-3
    alpha2: str
    name: str
    aliases: tuple[str, ...] = ()
    joined: str | None = None  # ISO date

    @classmethod
    def of(cls, data: dict) -> State:
        return replace(_pick(cls, data), aliases=tuple(data.get("aliases") or ()))

    def dump(self) -> dict:
        return _dump(self)


@dataclass(frozen=True, slots=True)
class Derive:
    op: str  # "product" | "ratio"
    of: tuple[str, str]
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class IlostatSeries:
    """How an indicator is published by ILOSTAT (SPEC §9)."""

    id: str
    filter: dict[str, str]
    classif1: tuple[str, ...] = ()
    total: str | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    id: str
    name: str
    unit: str  # percent | usd-bn | usd | persons | index
    min: float | None = None
    max: float | None = None
    derive: Derive | None = None
    description: str | None = None
    proxy: str | None = None  # what it stands in for (SPEC §8)
    worldbank: str | None = None  # WDI series code (SPEC §9)
    ilostat: IlostatSeries | None = None
    scale: float | None = None  # from the agency's unit to this indicator's unit

    @classmethod
    def of(cls, data: dict) -> Indicator:
        names = cls.__dataclass_fields__  # (one constructor call: a plan may hold thousands of indicators)
        kw = {k: v for k, v in data.items() if k in names}
        d, ilo = data.get("derive"), data.get("ilostat")
        if d is not None:
            kw["derive"] = Derive(d["op"], (d["of"][0], d["of"][1]), d.get("scale", 1.0))
        if ilo is not None:
            kw["ilostat"] = IlostatSeries(ilo["id"], dict(ilo.get("filter") or {}), tuple(ilo.get("classif1") or ()),
                                          ilo.get("total"))
        return cls(**kw)

    def dump(self) -> dict:
        return _dump(self)


@dataclass(frozen=True, slots=True)
class Target:
    id: str
    title: str
    indicator: str
    kind: str  # "level" | "relative"
    direction: str  # "increase" | "decrease"
    aggregate: str  # "sum" | "mean" | "weighted_mean"
    value: float | None = None
    change: float | None = None
    weight: str | None = None
    source: str | None = None
    description: str | None = None
    baseline_year: int | None = None
    target_year: int | None = None

    def dump(self) -> dict:
        return _dump(self)


class Plan:
    """The validated plan (frozen tables) plus look-ups."""

    def __init__(self, data: dict, path: str, fingerprint: str | None = None) -> None:
        self.path = path
        #: identifies the plan's content (and admtrack's version): what the store cache's checks rely on
        self.fingerprint = fingerprint
        self.meta = PlanMeta.of(data["plan"])
        self.states: list[State] = [State.of(s) for s in data["state"]]
        self.indicators: dict[str, Indicator] = {i["id"]: Indicator.of(i) for i in data["indicator"]}
        self.targets: list[Target] = [_pick(Target, t) for t in data.get("target", [])]
        self.target_by_id = {t.id: t for t in self.targets}
        self.state_codes = [s.code for s in self.states]
        self.state_by_code = {s.code: s for s in self.states}
        names: dict[str, str] = {}
        for s in self.states:
            for label in (s.code, s.alpha2, s.name, *s.aliases):
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

    def goal(self, target: Target) -> Goal:
        return Goal(
            kind=target.kind,  # type: ignore[arg-type]
            direction=target.direction,  # type: ignore[arg-type]
            value=target.value,
            change=target.change,
            baseline_year=target.baseline_year or self.meta.baseline_year,
            target_year=target.target_year or self.meta.target_year,
        )

    def to_dict(self) -> dict:
        return {"plan": self.meta.dump(), "state": [s.dump() for s in self.states],
                "indicator": [i.dump() for i in self.indicators.values()],
                "target": [t.dump() for t in self.targets]}


def fold(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


def bundled_path() -> Path:
    """The plan that ships with the package (or, in a source checkout, ``data/targets.toml``)."""
    packaged = Path(__file__).resolve().parent / "data" / "targets.toml"  # in the wheel
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "data" / "targets.toml"


def bundled_text() -> str:
    return bundled_path().read_text(encoding="utf-8")


def plan_path(data_dir: Path | None) -> Path:
    """The data folder's ``targets.toml`` if there is one, else the bundled plan. Something in its place
    that is not a readable file (a folder, a dangling symbolic link, a FIFO) is an error, never a silent
    fall-back to the bundled plan."""
    if data_dir is not None:
        user = data_dir / "targets.toml"
        try:
            st = user.stat()
        except FileNotFoundError:
            if user.is_symlink():
                raise AdmError(Problem(str(user), None, None,
                                       f"is a symbolic link to {os.readlink(user)}, which does not exist; fix the "
                                       "link, or remove it to use the bundled plan")) from None
            return bundled_path()
        except OSError as exc:
            raise AdmError(Problem(str(user), None, None, f"cannot read: {exc.strerror or exc}")) from None
        if stat.S_ISREG(st.st_mode):
            return user
        kind = "a folder" if stat.S_ISDIR(st.st_mode) else "not a regular file"
        raise AdmError(Problem(str(user), None, None,
                               f"is {kind}, not a plan file; move it away to use the bundled plan "
                               "(`admtrack init` writes an editable copy)"))
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
    more = f" (and {len(result) - 1} more problem(s); run `admtrack check`)" if len(result) > 1 else ""
    raise AdmError(f"{result[0]}{more}")


def check_plan_file(path: Path) -> Plan | list[Problem]:
    """The plan, or every problem found in it (always validated; no cache)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [Problem(str(path), None, "file", f"cannot read: {exc.strerror or exc}")]
    return _validate(raw, path)


def _validate(raw: bytes, path: Path) -> Plan | list[Problem]:
    if raw.startswith(b"\xef\xbb\xbf"):
        return [Problem(str(path), 1, "file", "starts with a byte-order mark (BOM), which TOML does not allow: "
                                              "save it as UTF-8 without a BOM")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [Problem(str(path), line, "file", f"not UTF-8 text (byte {exc.start})")]
    from admtrack.plan_schema import validate_text

    result = validate_text(text)
    if isinstance(result, list):
        return [p._replace(path=str(path)) for p in result]
    return Plan(result, str(path))


def _fingerprint(raw: bytes) -> str:
    """The plan's content, admtrack's version and the validation rules themselves (so that a plan
    validated under older rules is validated again)."""
    h = hashlib.sha256(raw)
    h.update(f"\0admtrack {__version__}\0".encode())
    with contextlib.suppress(OSError):
        h.update(Path(__file__).with_name("plan_schema.py").read_bytes())
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
