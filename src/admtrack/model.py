"""Plain value types shared by the assessment core and the renderers.

Standard-library dataclasses only, so that importing them costs nothing at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

Kind = Literal["level", "relative"]
Direction = Literal["increase", "decrease"]
Rule = Literal["sum", "mean", "weighted_mean"]
Method = Literal["projection", "cagr-ratio"]

#: Status names, best first; ``insufficient_data`` is outside the order.
STATUS_ORDER: tuple[str, ...] = (
    "achieved",
    "on_track",
    "acceleration_needed",
    "limited_progress",
    "regressing",
)
INSUFFICIENT = "insufficient_data"
STATUSES: tuple[str, ...] = STATUS_ORDER + (INSUFFICIENT,)

REGION = "ASEAN"

#: (state, indicator, year): what a revision supersedes and a retraction hides
Key = tuple[str, str, int]


class Observation(NamedTuple):
    """One figure, as it travels from a file (the store, the reference layer, an input) to the renderers.

    ``value`` is None only on a retraction. ``layer`` says where it came from: ``store`` (recorded with
    admtrack), ``reference`` (bundled) or ``derived`` (computed from other indicators). ``line`` is the
    line of the entry in its file, for messages. ``released`` is the publication date of a bundled
    figure (YYYY-MM-DD), ``obs_status`` its SDMX CL_OBS_STATUS code (None = ``A``, normal).
    """

    state: str
    indicator: str
    year: int
    value: float | None
    source: str | None = None
    note: str | None = None
    recorded_at: str | None = None
    retracted: bool = False
    reason: str | None = None
    line: int | None = None
    layer: str = "store"
    obs_status: str | None = None
    released: str | None = None

    @property
    def key(self) -> Key:
        return (self.state, self.indicator, self.year)


@dataclass(frozen=True, slots=True)
class Point:
    """One current observation (or derived value) of a series."""

    year: int
    value: float
    source: str | None = None


@dataclass(frozen=True, slots=True)
class Goal:
    """What one target asks of a series."""

    kind: Kind
    direction: Direction
    value: float | None  # level targets
    change: float | None  # relative targets: -0.40 = 40% below the baseline
    baseline_year: int
    target_year: int


@dataclass(frozen=True, slots=True)
class Thresholds:
    on_track: float = 0.95
    acceleration_needed: float = 0.60
    limited_progress: float = 0.0


@dataclass(frozen=True, slots=True)
class Coverage:
    states: int
    of: int
    weight_share: float


@dataclass(slots=True)
class Assessment:
    """The assessment of one series (a member state or the region) against one goal."""

    state: str
    baseline: Point | None = None
    latest: Point | None = None
    target: float | None = None
    progress: float | None = None
    attainment: float | None = None
    gap: float | None = None
    observed_rate: float | None = None
    required_rate: float | None = None
    projected: float | None = None
    anticipated: float | None = None
    status: str = INSUFFICIENT
    years_left: int | None = None
    shortfall: float | None = None
    ratio: float | None = None  # --method cagr-ratio only
    # region only
    coverage: Coverage | None = None
    basis: str | None = None  # "aggregated" | "reported"
    carried_forward: tuple[str, ...] = ()
    # gaps: this state's share of the region's gap (null for non-contributors)
    contribution: float | None = None
    # trend window points used (first year, last year) — for explanations
    trend_from: int | None = None
    notes: list[str] = field(default_factory=list)
