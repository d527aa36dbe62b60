"""The schema of ``targets.toml`` as Pydantic models, and the checks that report every mistake in a
hand-edited plan with its line, key and reason (SPEC §2.1). Imported only when a plan is validated."""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from admtrack.errors import Problem, toml_error_line
from admtrack.model import REGION
from admtrack.plan import fold as _fold

KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _kebab(v: str) -> str:
    if not KEBAB.match(v):
        raise ValueError(f"must be kebab-case (lower-case words joined by '-'), got {v!r}")
    return v


KebabId = Annotated[str, AfterValidator(_kebab)]


def _toml_kind(v: object) -> str:
    """What a TOML value is, as a reader of the file would name it: 'a boolean (true)'."""
    if isinstance(v, bool):
        return f"a boolean ({str(v).lower()})"
    if isinstance(v, str):
        return f"a string ({json.dumps(v, ensure_ascii=False)})"
    if isinstance(v, float):
        return f"a float ({v!r})"
    if isinstance(v, int):
        return f"an integer ({v})"
    if isinstance(v, list):
        return "an array"
    if isinstance(v, dict):
        return "a table"
    return f"a {type(v).__name__}"  # a date or time


# TOML values are typed: `true`, `"30"` or `2025.0` where a number or a year belongs is a mistake in the
# file, which Pydantic's lax mode would quietly turn into 1.0, 30.0 or 2025.
def _number(v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise ValueError(f"must be a number, not {_toml_kind(v)}")
    return v


def _integer(v: object) -> object:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ValueError(f"must be an integer, not {_toml_kind(v)}")
    return v


def _day(v: object) -> object:
    """A calendar day: a TOML date (``1967-08-08``) or its text; never a number (Pydantic's lax mode reads
    an integer as seconds since 1970) nor a date and time."""
    if isinstance(v, datetime | bool | int | float) or not isinstance(v, date | str):
        raise ValueError(f"must be a date (YYYY-MM-DD), not {_toml_kind(v)}")
    return v


Number = Annotated[float, BeforeValidator(_number)]
Integer = Annotated[int, BeforeValidator(_integer)]
Day = Annotated[date, BeforeValidator(_day)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)


class ThresholdsModel(_Strict):
    on_track: Number = 0.95
    acceleration_needed: Number = 0.60
    limited_progress: Number = 0.0

    @model_validator(mode="after")
    def _ordered(self) -> ThresholdsModel:
        if not (self.on_track >= self.acceleration_needed >= self.limited_progress):
            raise ValueError("must satisfy on_track >= acceleration_needed >= limited_progress")
        return self


class PlanMeta(_Strict):
    id: str
    name: str
    adopted: str | None = None
    baseline_year: Integer = Field(ge=1900, le=2200)
    target_year: Integer = Field(ge=1900, le=2200)
    source: str | None = None
    min_coverage: Number = Field(default=0.5, ge=0, le=1)
    thresholds: ThresholdsModel = ThresholdsModel()

    @model_validator(mode="after")
    def _years(self) -> PlanMeta:
        if self.target_year <= self.baseline_year:
            raise ValueError("target_year must be after baseline_year")
        return self


class StateModel(_Strict):
    code: str = Field(pattern=r"^[A-Z]{3}$")
    alpha2: str = Field(pattern=r"^[A-Z]{2}$")
    name: str = Field(min_length=1)
    aliases: list[str] = []
    joined: Day | None = None


class Derive(_Strict):
    op: Literal["product", "ratio"]
    of: tuple[str, str]
    scale: Number = 1.0


def _scale(v: float | None) -> float | None:
    if v is not None and v == 0:
        raise ValueError("must not be 0")
    return v


NonEmpty = Annotated[str, Field(min_length=1, pattern=r"\S")]


class IlostatMap(_Strict):
    """Where an indicator is published in ILOSTAT (SPEC §9): the indicator id, the fixed dimensions, the
    ``classif1`` items summed, and — for a share — the item they are divided by (× 100)."""

    id: NonEmpty
    filter: dict[NonEmpty, NonEmpty] = {}
    classif1: list[NonEmpty] = []
    total: NonEmpty | None = None

    @model_validator(mode="after")
    def _shape(self) -> IlostatMap:
        if self.total is not None and not self.classif1:
            raise ValueError("`total` divides the summed `classif1` items: give `classif1` too")
        if len(set(self.classif1)) != len(self.classif1):
            raise ValueError("`classif1` lists an item twice")
        if self.total is not None and self.total in self.classif1:
            raise ValueError("`total` must not be one of the `classif1` items")
        return self


class IndicatorModel(_Strict):
    id: KebabId
    name: str = Field(min_length=1)
    unit: Literal["percent", "usd-bn", "usd", "persons", "index"]
    min: Number | None = None
    max: Number | None = None
    derive: Derive | None = None
    description: str | None = None
    proxy: NonEmpty | None = None
    worldbank: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.]+$")] | None = None
    ilostat: IlostatMap | None = None
    scale: Annotated[Number | None, AfterValidator(_scale)] = None

    @model_validator(mode="after")
    def _bounds(self) -> IndicatorModel:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min must not exceed max")
        if self.scale is not None and self.worldbank is None and self.ilostat is None:
            raise ValueError("`scale` converts a fetched series: give `worldbank` or `ilostat` too")
        if self.derive is not None and (self.worldbank is not None or self.ilostat is not None):
            raise ValueError("a derived indicator is computed, not fetched: drop `worldbank`/`ilostat` or `derive`")
        return self


class TargetModel(_Strict):
    id: KebabId
    title: str = Field(min_length=1)
    indicator: str
    kind: Literal["level", "relative"]
    value: Number | None = None
    change: Number | None = None
    direction: Literal["increase", "decrease"]
    aggregate: Literal["sum", "mean", "weighted_mean"]
    weight: str | None = None
    source: str | None = None
    description: str | None = None
    baseline_year: Integer | None = Field(default=None, ge=1900, le=2200)
    target_year: Integer | None = Field(default=None, ge=1900, le=2200)

    @model_validator(mode="after")
    def _shape(self) -> TargetModel:
        if self.kind == "level":
            if self.value is None:
                raise ValueError("a level target needs `value`")
            if self.change is not None:
                raise ValueError("a level target takes `value`, not `change`")
        else:
            if self.change is None:
                raise ValueError("a relative target needs `change` (e.g. -0.40 or 1.5)")
            if self.value is not None:
                raise ValueError("a relative target takes `change`, not `value`")
            if self.change <= -1:
                raise ValueError("`change` must be greater than -1")
        if self.aggregate == "weighted_mean" and not self.weight:
            raise ValueError("aggregate = 'weighted_mean' needs a `weight` indicator")
        return self


class PlanFile(_Strict):
    plan: PlanMeta
    state: list[StateModel] = Field(min_length=1)
    indicator: list[IndicatorModel] = Field(min_length=1)
    target: list[TargetModel] = []


def validate_text(text: str) -> dict | list[Problem]:
    """The plan as a plain JSON-ready dict (the file's keys, defaults filled in), or every problem."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [Problem(None, toml_error_line(exc, text), "toml", str(exc).split(" (at")[0])]
    try:
        data = PlanFile.model_validate(doc)
    except ValidationError as exc:
        out = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            out.append(Problem(None, _locate(text, loc), _keyname(doc, loc), _reason(err)))
        return out
    problems = _cross_check(data, text)
    return problems or data.model_dump(mode="json", exclude_none=True)


def _reason(err) -> str:  # a pydantic ErrorDetails
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    msg = err["msg"]
    return msg.removeprefix("Value error, ")


def _keyname(doc: dict, loc: tuple) -> str:
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            if parts and i == 1:
                # name the table by its id where it has one: target[digital-economy-share]
                try:
                    ident = doc[loc[0]][part].get("id") or doc[loc[0]][part].get("code")
                except (KeyError, IndexError, AttributeError, TypeError):
                    ident = None
                parts[-1] += f"[{ident}]" if ident else f"[{part + 1}]"
            else:
                parts[-1] += f"[{part}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "file"


def _locate(text: str, loc: tuple) -> int | None:
    """Best-effort line of a key given a Pydantic error location such as ('target', 2, 'value')."""
    lines = text.splitlines()
    if not loc:
        return None
    table = str(loc[0])
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    rest = [str(p) for p in loc[(2 if index is not None else 1) :] if not isinstance(p, int)]
    start, end = None, len(lines)
    count = -1
    header_aot = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.-]+)\s*\]\]")
    header = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]")
    for n, line in enumerate(lines):
        m = header_aot.match(line) or header.match(line)
        if not m:
            continue
        name = m.group(1)
        if start is not None and not name.startswith(table + "."):
            end = n
            break
        if name == table:
            if index is None:
                start = n
            else:
                count += 1
                if count == index:
                    start = n
    if start is None:
        return None
    if not rest:
        return start + 1
    # the innermost key that appears on a line of its own table, e.g. `ilostat = { … bar = 2 }` for
    # ('indicator', 3, 'ilostat', 'bar')
    for key in reversed(rest):
        pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
        sub_header = re.compile(rf"^\s*\[\s*{re.escape(table)}\.{re.escape(key)}\s*\]")
        for n in range(start, end):
            if pat.match(lines[n]) or sub_header.match(lines[n]):
                return n + 1
    return start + 1


def _cross_check(data: PlanFile, text: str) -> list[Problem]:
    out: list[Problem] = []

    def add(loc: tuple, key: str, reason: str) -> None:
        out.append(Problem(None, _locate(text, loc), key, reason))

    seen: dict[str, int] = {}
    for i, s in enumerate(data.state):
        # each label at the key that gives it: the line a reader has to fix
        labelled = [("code", s.code), ("alpha2", s.alpha2), ("name", s.name), *(("aliases", a) for a in s.aliases)]
        for key, label in labelled:
            f = _fold(label)
            if f == _fold(REGION):
                add(("state", i, key), f"state[{s.code}].{key}", f"{label!r} is reserved for the region")
            elif f in seen and seen[f] != i:
                add(("state", i, key), f"state[{s.code}].{key}", f"name or code {label!r} is used twice")
            seen[f] = i
    ids: set[str] = set()
    for i, ind in enumerate(data.indicator):
        if ind.id in ids:
            add(("indicator", i, "id"), f"indicator[{ind.id}].id", "duplicate indicator id")
        ids.add(ind.id)
    for i, ind in enumerate(data.indicator):
        if ind.derive:
            for ref in ind.derive.of:
                if ref not in ids:
                    add(("indicator", i, "derive"), f"indicator[{ind.id}].derive.of", f"unknown indicator {ref!r}")
                elif ref == ind.id:
                    add(
                        ("indicator", i, "derive"),
                        f"indicator[{ind.id}].derive.of",
                        "an indicator cannot derive from itself",
                    )
    by_id = {i.id: i for i in data.indicator}
    for i, s in enumerate(data.state):
        for k, alias in enumerate(s.aliases):
            if not alias.strip():
                add(("state", i, "aliases"), f"state[{s.code}].aliases[{k}]", "an alias must not be empty")
    # derivation cycles, through either operand (depth-first over the derive graph)
    reported: set[frozenset] = set()
    for i, ind in enumerate(data.indicator):
        cycle = _find_cycle(ind.id, by_id)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            add(("indicator", i, "derive"), f"indicator[{ind.id}].derive", "derivation cycle: " + " -> ".join(cycle))
    tids: set[str] = set()
    for i, t in enumerate(data.target):
        if t.id in tids:
            add(("target", i, "id"), f"target[{t.id}].id", "duplicate target id")
        tids.add(t.id)
        if t.indicator not in ids:
            add(("target", i, "indicator"), f"target[{t.id}].indicator", f"unknown indicator {t.indicator!r}")
        if t.weight is not None and t.weight not in ids:
            add(("target", i, "weight"), f"target[{t.id}].weight", f"unknown indicator {t.weight!r}")
        target_ind = by_id.get(t.indicator)
        if target_ind is not None and t.kind == "level" and t.value is not None and _outside(t.value, target_ind):
            lo = "-inf" if target_ind.min is None else f"{target_ind.min:g}"
            hi = "inf" if target_ind.max is None else f"{target_ind.max:g}"
            add(
                ("target", i, "value"),
                f"target[{t.id}].value",
                f"{t.value:g} is outside the bounds of indicator {target_ind.id!r} ({lo} to {hi})",
            )
        by = t.baseline_year or data.plan.baseline_year
        ty = t.target_year or data.plan.target_year
        if ty <= by:
            add(("target", i, "target_year"), f"target[{t.id}].target_year", "must be after the baseline year")
    return out


def _outside(value: float, ind: IndicatorModel) -> bool:
    return (ind.min is not None and value < ind.min) or (ind.max is not None and value > ind.max)


def _find_cycle(start: str, by_id: dict) -> list[str] | None:
    """A derive path that leads from ``start`` back to ``start`` (through either operand), or None."""
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        ind = by_id.get(node)
        if ind is None or ind.derive is None:
            continue
        for ref in ind.derive.of:
            if ref == start and len(path) > 1:
                return path + [ref]
            if ref == start:
                continue  # self-reference: reported on its own
            if ref not in seen:
                seen.add(ref)
                stack.append((ref, path + [ref]))
    return None
