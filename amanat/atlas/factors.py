"""The atlas's factor catalogue: the one list of what a risk score is made of.

Each factor rates a *place or a process* (a station's infrastructure, a county's history,
agencies' assessments, reported incidents) on a 0–1 scale. None describes people: no
factor reads, infers or stores ethnicity, religion, language or political opinion, and
none may be added (docs/atlas-method.md).

``kind`` follows International IDEA's Electoral Risk Management Tool: *internal* factors
belong to the electoral process itself (infrastructure, logistics, operations), *external*
ones to its context (security environment, history, incidents).

Station factors are computed here, vectorised with numpy over every station at once;
county factors are loaded by ``amanat.atlas.compute``. The weights here are the defaults
of docs/atlas-method.md (catalogue version 0); a national administrator edits them as new
versions of ``atlas.catalogue``, which the recompute reads; ``amanat.atlas.scoring`` turns
values and weights into scores.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from django.db.models import Case, FloatField, Q, Value, When
from django.db.models.functions import Cast, Coalesce

from amanat.elections.models import Election
from amanat.incidents.selectors import open_case_load

FloatArray = npt.NDArray[np.float64]

Level = Literal["station", "county", "province"]
Kind = Literal["internal", "external", "roll-up"]


@dataclass(frozen=True)
class Factor:
    code: str
    name_fa: str
    name_en: str
    kind: Kind
    level: Level
    source: str
    normalisation: str
    weight: float


STATION_FACTORS: tuple[Factor, ...] = (
    Factor("sensitive", "شعبه حساس", "Sensitive station", "external", "station",
           "stations.Station.sensitive (set by the county headquarters)",
           "1 if the station is marked sensitive, else 0", 3.0),
    Factor("no_cctv", "نبود دوربین مدار بسته", "No CCTV", "internal", "station",
           "stations.Station.cctv",
           "none 1, recorded only 0.4, live 0", 2.0),
    Factor("no_fibre_evoting", "نبود فیبر نوری با رأی‌گیری الکترونیکی",
           "No fibre where e-voting is planned", "internal", "station",
           "stations.Station.evoting_planned, fibre",
           "e-voting planned and no fibre 1, fibre only planned 0.5, connected or no "
           "e-voting 0", 1.5),
    Factor("over_capacity", "رأی‌دهندگان بیش از ظرفیت", "Expected voters above capacity",
           "internal", "station", "stations.Station.expected_voters, capacity",
           "(expected − capacity) / (capacity / 2), clipped to 0–1: 50% over capacity is 1; "
           "0 when the capacity is unknown", 1.0),
    Factor("mobile_remote", "شعبه سیار یا دورافتاده", "Mobile or remote station", "internal",
           "station", "stations.Station.kind, unit (a village)",
           "mobile 1, fixed station in a village 0.5, otherwise 0", 1.0),
    Factor("incidents", "حوادث باز و اخیر", "Open and recent incidents", "external", "station",
           "incidents app through atlas.factors.incident_load (severity 1–4, closed cases "
           "decay with a one-week half-life); 0 while the app is absent",
           "1 − exp(−load / 4): one critical open case ≈ 0.63, saturating towards 1", 3.0),
)

COUNTY_FACTORS: tuple[Factor, ...] = (
    Factor("high_risk_share", "سهم شعب پرخطر", "Share of high-risk stations", "roll-up",
           "county", "station scores", "share of the county's stations in tier 1 or 2", 1.5),
    Factor("annulled_history", "ابطال انتخابات دوره قبل", "Previous election annulled",
           "external", "county", "atlas.CountyHistory.annulled (set by national admins)",
           "1 if the county's previous election was annulled, else 0", 1.5),
    Factor("assessments", "ارزیابی دستگاه‌ها", "Agency assessments", "external", "county",
           "atlas.Assessment: the latest assessment of each agency",
           "mean over agencies of (score − 1) / 4 (scale 1–5); 0 without assessments", 2.0),
    Factor("national_tier", "سطح‌بندی ملی", "National tier", "external", "county",
           "atlas.NationalTier (National Security Council tiering)",
           "tier 1 → 1, 2 → 0.67, 3 → 0.33, 4 or none → 0; the tier is also a floor", 1.0),
)

PROVINCE_FACTORS: tuple[Factor, ...] = (
    Factor("high_risk_counties", "سهم شهرستان‌های پرخطر", "Share of high-risk counties",
           "roll-up", "province", "county tiers (after the national floor)",
           "share of the province's counties in tier 1 or 2", 1.0),
)

# Weight of the voter-weighted mean of the level below in a county or province score.
STATION_MEAN_WEIGHT = 5.0
COUNTY_MEAN_WEIGHT = 4.0

STATION_CODES = tuple(f.code for f in STATION_FACTORS)
COUNTY_CODES = STATION_CODES + tuple(f.code for f in COUNTY_FACTORS)
PROVINCE_CODES = COUNTY_CODES + tuple(f.code for f in PROVINCE_FACTORS)
CATALOGUE: dict[str, Factor] = {
    f.code: f for f in STATION_FACTORS + COUNTY_FACTORS + PROVINCE_FACTORS
}

CCTV_VALUE = {"none": 1.0, "recorded": 0.4, "live": 0.0}
FIBRE_VALUE = {"none": 1.0, "planned": 0.5, "connected": 0.0}
INCIDENT_SCALE = 4.0  # load at which the factor reaches 1 − 1/e
OVER_CAPACITY_SPAN = 0.5  # 50% above capacity saturates the factor


def incident_load(election: Election) -> dict[int, float]:
    """Incident load per station of ``election`` ({station id: load}; absent means 0).

    The one place the atlas reads incidents.
    """
    return {int(k): float(v) for k, v in open_case_load(election).items()}


def _mapped(field: str, mapping: dict[str, float]) -> Case:
    """A CASE expression giving ``mapping[field]``; an unknown value counts as the worst."""
    whens = [When(**{field: key}, then=Value(value)) for key, value in mapping.items()]
    return Case(*whens, default=Value(max(mapping.values())), output_field=FloatField())


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1.0)), default=Value(0.0), output_field=FloatField())


# The station inputs the factors read, each a numeric SQL expression so that the
# recompute reads 59,000 rows of plain numbers in one query; named like StationColumns.
def station_sql_columns() -> dict[str, Any]:
    return {
        "sensitive": _flag(Q(sensitive=True)),
        "cctv": _mapped("cctv", CCTV_VALUE),
        "evoting_planned": _flag(Q(evoting_planned=True)),
        "fibre": _mapped("fibre", FIBRE_VALUE),
        "expected_voters": Cast("expected_voters", FloatField()),
        "capacity": Coalesce(Cast("capacity", FloatField()), Value(0.0)),
        "mobile": _flag(Q(kind="mobile")),
        # A village segment in the unit's materialised path ("…/V<code>/").
        "village": _flag(Q(unit_path__contains="/V")),
    }


@dataclass
class StationColumns:
    """Raw station fields, one numpy array per field (one entry per station)."""

    sensitive: npt.NDArray[np.bool_]
    cctv: npt.NDArray[np.float64]  # CCTV_VALUE already applied
    evoting_planned: npt.NDArray[np.bool_]
    fibre: npt.NDArray[np.float64]  # FIBRE_VALUE already applied
    expected_voters: FloatArray
    capacity: FloatArray  # 0 when unknown
    mobile: npt.NDArray[np.bool_]
    village: npt.NDArray[np.bool_]
    incident_load: FloatArray

    @classmethod
    def from_columns(cls, columns: Mapping[str, FloatArray], incident_load: FloatArray
                     ) -> StationColumns:
        """From ``station_sql_columns``' numbers read back by name (flags as booleans)."""
        return cls(
            sensitive=columns["sensitive"] > 0, cctv=columns["cctv"],
            evoting_planned=columns["evoting_planned"] > 0, fibre=columns["fibre"],
            expected_voters=columns["expected_voters"], capacity=columns["capacity"],
            mobile=columns["mobile"] > 0, village=columns["village"] > 0,
            incident_load=incident_load,
        )


def matrix(factors: tuple[Factor, ...], columns: Mapping[str, npt.NDArray[Any]]
           ) -> FloatArray:
    """The (rows × factors) matrix with each factor's column taken by its code, so that no
    column depends on its position in a list kept elsewhere."""
    if set(columns) != {f.code for f in factors}:
        raise ValueError(f"factor columns {sorted(columns)} do not match the catalogue")
    return np.column_stack([np.asarray(columns[f.code], dtype=np.float64) for f in factors])


def station_factor_values(cols: StationColumns, *, incident_scale: float = INCIDENT_SCALE,
                          over_capacity_span: float = OVER_CAPACITY_SPAN) -> FloatArray:
    """The (stations × STATION_FACTORS) matrix of factor values in 0–1; the two
    parameters come from the catalogue version in force (``atlas.catalogue``)."""
    n = cols.sensitive.shape[0]
    known = cols.capacity > 0
    over = np.divide(cols.expected_voters - cols.capacity, cols.capacity * over_capacity_span,
                     out=np.zeros(n), where=known)
    return matrix(STATION_FACTORS, {
        "sensitive": cols.sensitive,
        "no_cctv": cols.cctv,
        "no_fibre_evoting": np.where(cols.evoting_planned, cols.fibre, 0.0),
        "over_capacity": np.clip(over, 0.0, 1.0),
        "mobile_remote": np.where(cols.mobile, 1.0, np.where(cols.village, 0.5, 0.0)),
        "incidents": 1.0 - np.exp(-np.maximum(cols.incident_load, 0.0) / incident_scale),
    })


def national_tier_value(tier: npt.NDArray[np.int64]) -> FloatArray:
    """Tier 1 → 1, 2 → 2/3, 3 → 1/3, 4 or none (0) → 0."""
    return np.where(tier > 0, (4 - tier) / 3.0, 0.0).astype(np.float64)


def assessment_value(score: float) -> float:
    """An agency's 1–5 rating on the 0–1 scale."""
    return (score - 1.0) / 4.0
