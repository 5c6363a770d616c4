"""The pure scoring function: factor values in, scores, tiers and explanations out.

No database, no Django: numpy arrays in, numpy arrays out, so that the same code scores
59,000 stations at once (``amanat.atlas.compute``), one province after a change, and the
inputs hypothesis invents in the property tests.

Every score is a sum of contributions, one per factor, and is *computed as that sum*,
so an explanation's contributions add up to its score by construction:

* station: ``contribution_i = 100 · w_i · f_i / Σw``;
* county: the voter-weighted mean of its stations' contributions, scaled by
  ``STATION_MEAN_WEIGHT / W_county``, plus ``100 · w_f · f_f / W_county`` for each county
  factor (share of high-risk stations, annulled history, assessments, national tier);
* province: likewise from its counties (weighted by their voters) plus the share of
  high-risk counties.

Tiers: 1 is the highest risk, 4 the lowest (docs/atlas-method.md). A county's or a
province's national tier is a floor: its tier is never a higher number (lower risk) than
the national tier.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from amanat.atlas import factors as fx

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_THRESHOLDS = (60.0, 40.0, 20.0)  # minimum score of tiers 1, 2 and 3
HIGH_RISK_TIER = 2  # tiers 1 and 2 count as high risk in the roll-ups


def _weights(factors: tuple[fx.Factor, ...]) -> FloatArray:
    return np.array([f.weight for f in factors], dtype=np.float64)


@dataclass(frozen=True)
class Weights:
    station: FloatArray = field(default_factory=lambda: _weights(fx.STATION_FACTORS))
    county: FloatArray = field(default_factory=lambda: _weights(fx.COUNTY_FACTORS))
    province: FloatArray = field(default_factory=lambda: _weights(fx.PROVINCE_FACTORS))
    station_mean: float = fx.STATION_MEAN_WEIGHT
    county_mean: float = fx.COUNTY_MEAN_WEIGHT


@dataclass
class AtlasInputs:
    """Everything one recompute needs, as arrays.

    ``county_values`` holds the county factors other than the high-risk share (computed
    here), by factor code. ``county_floor`` is the national tier (1–4) or 0 for none.
    """

    station_values: FloatArray  # (n, len(STATION_CODES)) in 0–1
    station_voters: IntArray  # (n,)
    station_county: IntArray  # (n,) index into counties
    county_values: Mapping[str, FloatArray]  # {code: (m,)} in 0–1
    county_floor: IntArray  # (m,) 0 or 1–4
    county_province: IntArray  # (m,) index into provinces
    n_provinces: int
    thresholds: tuple[float, float, float] = DEFAULT_THRESHOLDS
    weights: Weights = field(default_factory=Weights)
    province_floor: IntArray | None = None  # (p,) 0 or 1–4; None: no province floors


@dataclass
class LevelScores:
    """Scores of one level: row r has ``values[r, j]`` and ``contributions[r, j]`` for
    factor ``codes[j]``; ``score[r] == contributions[r].sum()``."""

    codes: tuple[str, ...]
    values: FloatArray
    contributions: FloatArray
    score: FloatArray
    computed_tier: IntArray
    tier: IntArray
    floor_applied: BoolArray
    voters: IntArray
    members: IntArray  # stations of a county, counties of a province; 1 for a station


@dataclass
class AtlasResult:
    stations: LevelScores
    counties: LevelScores
    provinces: LevelScores


def tiers_for(score: FloatArray, thresholds: tuple[float, float, float]) -> IntArray:
    """Tier 1 at or above the first threshold, … tier 4 below the third."""
    t1, t2, t3 = thresholds
    tier = 4 - (score >= t3).astype(np.int64) - (score >= t2) - (score >= t1)
    return tier.astype(np.int64)


def apply_floor(tier: IntArray, floor: IntArray) -> tuple[IntArray, BoolArray]:
    """The national tier as a floor: never a higher tier number than the floor."""
    floored = np.where(floor > 0, np.minimum(tier, floor), tier).astype(np.int64)
    return floored, floored < tier


def score_stations(values: FloatArray, voters: IntArray, inputs: AtlasInputs) -> LevelScores:
    w = inputs.weights.station
    contributions = values * (100.0 * w / w.sum())
    score = contributions.sum(axis=1)
    tier = tiers_for(score, inputs.thresholds)
    n = values.shape[0]
    return LevelScores(fx.STATION_CODES, values, contributions, score, tier, tier,
                       np.zeros(n, dtype=bool), voters.astype(np.int64),
                       np.ones(n, dtype=np.int64))


def _weighted_means(index: IntArray, weight: FloatArray, matrix: FloatArray, size: int
                    ) -> tuple[FloatArray, FloatArray]:
    """Per group: Σ weight·matrix / Σ weight (0 for an empty group), and Σ weight."""
    # bincount of an empty input is integer-typed: cast so the division stays float.
    total = np.bincount(index, weights=weight, minlength=size).astype(np.float64)
    sums = np.zeros((size, matrix.shape[1]))
    for j in range(matrix.shape[1]):
        sums[:, j] = np.bincount(index, weights=weight * matrix[:, j], minlength=size)
    means = np.divide(sums, total[:, None], out=np.zeros_like(sums), where=total[:, None] > 0)
    return means, total


def _roll_up(
    below: LevelScores, index: IntArray, size: int, mean_weight: float,
    own_values: FloatArray, own_weights: FloatArray,
) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Values and contributions of the level above: the voter-weighted mean of the
    contributions below, scaled, followed by the level's own factors."""
    weight = np.maximum(below.voters, 1).astype(np.float64)
    total_w = mean_weight + own_weights.sum()
    mean_values, _ = _weighted_means(index, weight, below.values, size)
    mean_contrib, _ = _weighted_means(index, weight, below.contributions, size)
    values = np.column_stack([mean_values, own_values])
    contributions = np.column_stack([
        mean_contrib * (mean_weight / total_w),
        own_values * (100.0 * own_weights / total_w),
    ])
    voters = np.bincount(index, weights=below.voters, minlength=size).astype(np.int64)
    members = np.bincount(index, minlength=size).astype(np.int64)
    return values, contributions, voters, members


def _high_risk_share(index: IntArray, tier: IntArray, size: int) -> FloatArray:
    count = np.bincount(index, minlength=size).astype(np.float64)
    high = np.bincount(index, weights=(tier <= HIGH_RISK_TIER).astype(np.float64),
                       minlength=size).astype(np.float64)
    return np.divide(high, count, out=np.zeros(size), where=count > 0)


def score_counties(stations: LevelScores, inputs: AtlasInputs) -> LevelScores:
    m = inputs.county_floor.shape[0]
    share = _high_risk_share(inputs.station_county, stations.tier, m)
    own = fx.matrix(fx.COUNTY_FACTORS, {"high_risk_share": share, **inputs.county_values})
    values, contributions, voters, members = _roll_up(
        stations, inputs.station_county, m, inputs.weights.station_mean, own,
        inputs.weights.county,
    )
    score = contributions.sum(axis=1)
    computed = tiers_for(score, inputs.thresholds)
    tier, floored = apply_floor(computed, inputs.county_floor)
    return LevelScores(fx.COUNTY_CODES, values, contributions, score, computed, tier,
                       floored, voters, members)


def score_provinces(counties: LevelScores, inputs: AtlasInputs) -> LevelScores:
    p = inputs.n_provinces
    share = _high_risk_share(inputs.county_province, counties.tier, p)
    values, contributions, voters, members = _roll_up(
        counties, inputs.county_province, p, inputs.weights.county_mean,
        fx.matrix(fx.PROVINCE_FACTORS, {"high_risk_counties": share}),
        inputs.weights.province,
    )
    score = contributions.sum(axis=1)
    computed = tiers_for(score, inputs.thresholds)
    floor = (inputs.province_floor if inputs.province_floor is not None
             else np.zeros(p, dtype=np.int64))
    tier, floored = apply_floor(computed, floor)
    return LevelScores(fx.PROVINCE_CODES, values, contributions, score, computed, tier,
                       floored, voters, members)


def compute(inputs: AtlasInputs) -> AtlasResult:
    """Score every station, county and province of ``inputs``."""
    stations = score_stations(inputs.station_values, inputs.station_voters, inputs)
    counties = score_counties(stations, inputs)
    return AtlasResult(stations, counties, score_provinces(counties, inputs))


def explanation(level: LevelScores, row: int) -> dict[str, object]:
    """The JSON explanation of one row: every factor that contributed, largest first,
    with its value (0–1) and contribution (score points); they add up to ``score``."""
    items = [
        {"code": code, "value": float(level.values[row, j]),
         "contribution": float(level.contributions[row, j])}
        for j, code in enumerate(level.codes) if level.contributions[row, j] > 0
    ]
    items.sort(key=lambda item: (-float(item["contribution"]), str(item["code"])))  # type: ignore[arg-type]
    result: dict[str, object] = {
        "score": float(level.score[row]),
        "factors": items,
        "computed_tier": int(level.computed_tier[row]),
    }
    if level.floor_applied[row]:
        result["floor"] = int(level.tier[row])
    return result
