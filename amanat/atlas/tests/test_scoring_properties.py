"""Property-based tests of the pure scoring function (amanat.atlas.scoring)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from amanat.atlas import factors as fx
from amanat.atlas import scoring

K = len(fx.STATION_CODES)
INCIDENTS = fx.STATION_CODES.index("incidents")
NO_CCTV = fx.STATION_CODES.index("no_cctv")
TOL = 1e-9

unit_float = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@st.composite
def atlas_inputs(draw: st.DrawFn) -> scoring.AtlasInputs:
    n_provinces = draw(st.integers(1, 3))
    m = draw(st.integers(1, 6))
    n = draw(st.integers(0, 25))
    values = np.array(draw(st.lists(st.lists(unit_float, min_size=K, max_size=K),
                                    min_size=n, max_size=n)), dtype=np.float64).reshape(n, K)
    voters = np.array(draw(st.lists(st.integers(0, 3000), min_size=n, max_size=n)),
                      dtype=np.int64)
    station_county = np.array(draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n)),
                              dtype=np.int64)
    floor = np.array(draw(st.lists(st.integers(0, 4), min_size=m, max_size=m)), dtype=np.int64)
    annulled = draw(st.lists(st.sampled_from([0.0, 1.0]), min_size=m, max_size=m))
    assessed = draw(st.lists(unit_float, min_size=m, max_size=m))
    county_values = {"annulled_history": np.array(annulled), "assessments": np.array(assessed),
                     "national_tier": fx.national_tier_value(floor)}
    t3 = draw(st.floats(1, 30))
    t2 = draw(st.floats(t3 + 1, 60))
    t1 = draw(st.floats(t2 + 1, 100))
    province_floor = np.array(draw(st.lists(st.integers(0, 4), min_size=n_provinces,
                                            max_size=n_provinces)), dtype=np.int64)
    return scoring.AtlasInputs(
        province_floor=province_floor,
        station_values=values, station_voters=voters, station_county=station_county,
        county_values=county_values, county_floor=floor,
        county_province=np.array(draw(st.lists(st.integers(0, n_provinces - 1), min_size=m,
                                               max_size=m)), dtype=np.int64),
        n_provinces=n_provinces, thresholds=(t1, t2, t3),
    )


def _levels(result: scoring.AtlasResult) -> list[scoring.LevelScores]:
    return [result.stations, result.counties, result.provinces]


@settings(max_examples=100, deadline=None)
@given(atlas_inputs())
def test_scores_are_deterministic(inputs: scoring.AtlasInputs) -> None:
    first, second = scoring.compute(inputs), scoring.compute(dataclasses.replace(inputs))
    for a, b in zip(_levels(first), _levels(second), strict=True):
        assert np.array_equal(a.score, b.score)
        assert np.array_equal(a.tier, b.tier)
        assert np.array_equal(a.contributions, b.contributions)


@settings(max_examples=100, deadline=None)
@given(atlas_inputs())
def test_contributions_add_up_to_the_score(inputs: scoring.AtlasInputs) -> None:
    result = scoring.compute(inputs)
    for level in _levels(result):
        assert np.all(level.score >= 0) and np.all(level.score <= 100 + TOL)
        for row in range(level.score.shape[0]):
            explained = scoring.explanation(level, row)
            total = sum(float(f["contribution"]) for f in explained["factors"])  # type: ignore[attr-defined]
            assert abs(total - level.score[row]) < TOL


@settings(max_examples=100, deadline=None)
@given(atlas_inputs())
def test_the_national_tier_is_a_floor(inputs: scoring.AtlasInputs) -> None:
    counties = scoring.compute(inputs).counties
    floor = inputs.county_floor
    set_ = floor > 0
    assert np.all(counties.tier[set_] <= floor[set_])
    # The explanation says when the floor, not the data, decided.
    for row in range(len(floor)):
        explained = scoring.explanation(counties, row)
        assert ("floor" in explained) == bool(counties.computed_tier[row] > counties.tier[row])
        assert counties.tier[row] == min(counties.computed_tier[row], floor[row] or 4)


@settings(max_examples=100, deadline=None)
@given(atlas_inputs())
def test_the_national_tier_is_a_floor_for_provinces(inputs: scoring.AtlasInputs) -> None:
    provinces = scoring.compute(inputs).provinces
    floor = inputs.province_floor
    assert floor is not None
    for row in range(len(floor)):
        assert provinces.tier[row] == min(provinces.computed_tier[row], floor[row] or 4)
        explained = scoring.explanation(provinces, row)
        assert ("floor" in explained) == bool(provinces.computed_tier[row] > provinces.tier[row])


def _assert_not_lower(before: scoring.AtlasResult, after: scoring.AtlasResult) -> None:
    for a, b in zip(_levels(before), _levels(after), strict=True):
        assert np.all(b.score >= a.score - TOL)
        assert np.all(b.tier <= a.tier)  # tier 1 is the highest risk


@settings(max_examples=100, deadline=None)
@given(atlas_inputs(), st.data())
def test_an_incident_never_lowers_a_score(inputs: scoring.AtlasInputs, data: st.DataObject
                                          ) -> None:
    n = inputs.station_values.shape[0]
    if n == 0:
        return
    row = data.draw(st.integers(0, n - 1))
    severity = data.draw(st.integers(1, 4))
    before = scoring.compute(inputs)
    # Add the incident the way the factor does: the load rises, the value follows.
    old = inputs.station_values[row, INCIDENTS]
    load = -fx.INCIDENT_SCALE * np.log1p(-min(old, 1 - 1e-12))
    values = inputs.station_values.copy()
    values[row, INCIDENTS] = 1 - np.exp(-(load + severity) / fx.INCIDENT_SCALE)
    _assert_not_lower(before, scoring.compute(dataclasses.replace(inputs, station_values=values)))


@settings(max_examples=100, deadline=None)
@given(atlas_inputs(), st.data())
def test_removing_cctv_never_lowers_a_score(inputs: scoring.AtlasInputs, data: st.DataObject
                                            ) -> None:
    n = inputs.station_values.shape[0]
    if n == 0:
        return
    row = data.draw(st.integers(0, n - 1))
    worse = data.draw(st.sampled_from(sorted(fx.CCTV_VALUE.values())))
    values = inputs.station_values.copy()
    values[row, NO_CCTV] = min(fx.CCTV_VALUE.values())
    before = scoring.compute(dataclasses.replace(inputs, station_values=values))
    values = values.copy()
    values[row, NO_CCTV] = worse
    _assert_not_lower(before, scoring.compute(dataclasses.replace(inputs, station_values=values)))


def test_station_factor_values_follow_the_catalogue() -> None:
    cols = fx.StationColumns(
        sensitive=np.array([True, False, False]),
        cctv=np.array([fx.CCTV_VALUE["none"], fx.CCTV_VALUE["recorded"], fx.CCTV_VALUE["live"]]),
        evoting_planned=np.array([True, True, False]),
        fibre=np.array([fx.FIBRE_VALUE["none"], fx.FIBRE_VALUE["planned"],
                        fx.FIBRE_VALUE["none"]]),
        expected_voters=np.array([1500.0, 900.0, 500.0]),
        capacity=np.array([1000.0, 1000.0, 0.0]),
        mobile=np.array([True, False, False]),
        village=np.array([False, True, False]),
        incident_load=np.array([4.0, 0.0, 0.0]),
    )
    values = fx.station_factor_values(cols)
    np.testing.assert_allclose(values, [
        [1.0, 1.0, 1.0, 1.0, 1.0, 1 - np.exp(-1)],
        [0.0, 0.4, 0.5, 0.0, 0.5, 0.0],
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    ])


def test_factor_columns_are_taken_by_code_not_position() -> None:
    """A missing, extra or misspelt factor column is refused rather than shifting the rest."""
    ones = np.ones(2)
    with pytest.raises(ValueError, match="do not match"):
        fx.matrix(fx.PROVINCE_FACTORS, {"high_risk_countiez": ones})
    with pytest.raises(ValueError, match="do not match"):
        fx.matrix(fx.PROVINCE_FACTORS, {"high_risk_counties": ones, "extra": ones})
    shuffled = {"assessments": np.full(2, 0.5), "high_risk_share": np.zeros(2),
                "national_tier": ones, "annulled_history": np.full(2, 0.25)}
    np.testing.assert_allclose(fx.matrix(fx.COUNTY_FACTORS, shuffled)[0], [0, 0.25, 0.5, 1])


def test_station_sql_columns_name_every_station_input() -> None:
    fields = {f.name for f in dataclasses.fields(fx.StationColumns)} - {"incident_load"}
    assert set(fx.station_sql_columns()) == fields
