"""validate_station: the rules, one by one, in both languages."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from amanat.stations.tabular import DEFAULTS
from amanat.stations.validation import validate_station


def row(**changes: Any) -> dict[str, Any]:
    return {**DEFAULTS, "code": "12", "county_code": "815", "name": "مدرسه", **changes}


def fields(**changes: Any) -> list[str]:
    return [e.field for e in validate_station(row(**changes), county_codes={"815"})]


def test_a_plain_station_is_valid() -> None:
    assert fields(latitude=30.3, longitude=57.1) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"latitude": 24.9, "longitude": 57.0}, ["latitude"]),
        ({"latitude": 30.0, "longitude": 63.5}, ["longitude"]),
        ({"latitude": 30.0}, ["longitude"]),
        ({"expected_voters": -1}, ["expected_voters"]),
        ({"capacity": -1}, ["capacity"]),
        ({"kind": "mobile"}, ["route"]),
        ({"kind": "mobile", "route": "روستاها"}, []),
        ({"sensitive": True}, ["sensitivity_reason"]),
        ({"status": "closed"}, ["closed_reason"]),
        ({"status": "closed", "closed_reason": "تخریب"}, []),
        ({"fibre": "planned"}, ["fibre_date"]),
        ({"fibre": "planned", "fibre_date": datetime.date(2026, 2, 1)}, []),
        ({"cctv": "live"}, ["cameras"]),
        ({"cctv": "none", "cameras": 2}, ["cameras"]),
        ({"cctv": "recorded", "cameras": 2}, []),
        ({"code": "12 3"}, ["code"]),
        ({"code": ""}, ["code"]),
        ({"name": ""}, ["name"]),
        ({"county_code": "999"}, ["county_code"]),
    ],
)
def test_rules(changes: dict[str, Any], expected: list[str]) -> None:
    assert fields(**changes) == expected


def test_messages_are_in_both_languages() -> None:
    (error,) = validate_station(row(expected_voters=-3))
    assert "negative" in error.render("en") and "منفی" in error.render("fa")
    assert "۳" in error.render("fa")
