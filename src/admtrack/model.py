"""Plain value types shared by the assessment core and the renderers.

Standard-library dataclasses only, so that importing them costs nothing at start-up.
"""

from __future__ import annotations

import math
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
    obs_status: str | None = None  # SDMX CL_OBS_STATUS (SPEC §8); None = ``A``, normal


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
    """SPEC §5.5: how many member states made a region value, and their share of the weight."""

    states: int
    of: int
    weight_share: float


#: SPEC §5.7: why an assessment is ``insufficient_data``.
Reason = Literal["no_data", "no_target", "no_trend", "low_coverage", "no_base_year", "one_year"]
REASONS: tuple[str, ...] = ("no_data", "no_target", "no_trend", "low_coverage", "no_base_year", "one_year")


@dataclass(frozen=True, slots=True)
class TrendSpan:
    """SPEC §5.7: the years a trend was drawn from (``from``–``to``) and how many points it rests on."""

    from_year: int
    to_year: int
    points: int


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
    reason: Reason | None = None  # SPEC §5.7: set exactly when status is insufficient_data
    trend: TrendSpan | None = None  # SPEC §5.7: None without a trend
    years_left: int | None = None
    shortfall: float | None = None
    ratio: float | None = None  # --method cagr-ratio only
    # region only
    coverage: Coverage | None = None
    goal: float | None = None  # region of a level ``sum`` target: the plan's T (``target`` is T_c)
    basis: str | None = None  # "aggregated" | "reported"
    carried_forward: tuple[str, ...] = ()
    # gaps: this state's share of the region's gap (null for non-contributors)
    contribution: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def shortfall_share(self) -> float | None:
        """SPEC §5.7: shortfall / |target|, unit-free; None when either is unknown or the target is 0."""
        if self.shortfall is None or self.target is None or self.target == 0:
            return None
        share = self.shortfall / abs(self.target)
        return share if math.isfinite(share) else None
