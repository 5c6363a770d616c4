"""The national demo registry generator (stations.demo)."""

from __future__ import annotations

import datetime
from typing import Any

import h3
import pytest

from amanat.audit.models import Event
from amanat.elections.demo import seed_example_election
from amanat.elections.models import Election
from amanat.geo.models import KIND_LETTER, AdminUnit, Kind, Placement
from amanat.lib.persian import normalize, search_key
from amanat.stations.demo import (
    EVOTING_CITY_POPULATION,
    apportion,
    incomplete_q,
    seed_demo_stations,
)
from amanat.stations.models import VALIDATED_FIELDS, Station
from amanat.stations.validation import validate_station

pytestmark = pytest.mark.django_db

PROVINCES = [("23", "تهران", 35.7, 51.4), ("11", "سیستان وبلوچستان", 29.5, 60.9),
             ("00", "مرکزی", 34.1, 49.7)]
COUNTIES_PER_PROVINCE = 4
VILLAGES_PER_COUNTY = 30
ROW_FIELDS = ("county_id", "code", "unit_id", "constituency_id", "unit_path", "h3_cell",
              *VALIDATED_FIELDS)


def _unit(kind: str, code: str, name: str, parent: AdminUnit | None, **kw: Any) -> AdminUnit:
    letter = KIND_LETTER[Kind(kind)]
    segment = f"{letter}-{code}" if kind == Kind.COUNTRY else f"{letter}{code}"
    return AdminUnit(
        kind=kind, code=code, name=normalize(name), name_key=search_key(name), parent=parent,
        path=(parent.path if parent else "") + segment + "/",
        depth=parent.depth + 1 if parent else 0, **kw,
    )


def _level(units: list[AdminUnit]) -> list[AdminUnit]:
    AdminUnit.objects.bulk_create(units)
    by_code = {(u.kind, u.code): u for u in AdminUnit.objects.filter(
        path__in=[u.path for u in units])}
    return [by_code[(u.kind, u.code)] for u in units]


def build_tree() -> None:
    """Three provinces (high, low and middle infrastructure tiers) of four counties, each
    with a large city (above the e-voting size), a small one without a population, and
    30 villages, two with a population and one without a point of its own."""
    iran = _level([_unit("country", "IR", "ایران", None, latitude=32.4, longitude=53.7)])[0]
    provinces = _level([_unit("province", code, name, iran, latitude=lat, longitude=lon)
                        for code, name, lat, lon in PROVINCES])
    counties = _level([
        _unit("county", f"{p.code}{i}", f"{p.name} {i}", p, latitude=p.latitude + i * 0.3,
              longitude=p.longitude, placement=Placement.MATCHED_PLACE)
        for p in provinces for i in range(COUNTIES_PER_PROVINCE)
    ])
    districts = _level([_unit("district", f"{c.code}01", "بخش مرکزی", c) for c in counties])
    cities, rurals = [], []
    for c, d in zip(counties, districts, strict=True):
        point = {"latitude": c.latitude, "longitude": c.longitude}
        cities += [
            _unit("city", f"{d.code}1", f"شهر {c.name}", d, population=250_000,
                  placement=Placement.MATCHED_PLACE, **point),
            _unit("city", f"{d.code}2", f"شهرک {c.name}", d, placement=Placement.PARENT,
                  **point),
        ]
        rurals.append(_unit("rural_district", f"{d.code}01", f"دهستان {c.name}", d))
    _level(cities)
    rurals = _level(rurals)
    villages = []
    for r, c in zip(rurals, counties, strict=True):
        for v in range(VILLAGES_PER_COUNTY):
            placed = v != 2
            villages.append(_unit(
                "village", f"{r.code}{v:03d}", f"روستای {v}", r,
                population=1500 if v < 2 else None,
                latitude=c.latitude + (0.05 if placed else 0), longitude=c.longitude,
                placement=Placement.MATCHED_PLACE if placed else Placement.PARENT,
            ))
    _level(villages)


@pytest.fixture
def demo_election(db: None) -> Election:
    build_tree()
    return seed_example_election()


def dump(election: Election) -> list[tuple[Any, ...]]:
    return sorted(Station.objects.filter(election=election).values_list(*ROW_FIELDS))


def test_apportion_is_exact_and_proportional() -> None:
    assert apportion(10, [1, 1, 2], [0, 1, 2]) == [3, 2, 5]
    assert sum(apportion(1000, [3.3, 7.1, 0.2, 9], [0.5, 0.1, 0.9, 0.3])) == 1000
    assert apportion(2, [1, 1, 1], [0.9, 0.1, 0.5]) == [0, 1, 1]  # ties by tiebreak
    assert apportion(5, [0, 0], [0, 1]) == [0, 0]


def test_target_count_and_urban_stations_in_cities_rural_in_villages(
    demo_election: Election,
) -> None:
    result = seed_demo_stations(election=demo_election, target=3000, check=True)

    stations = Station.objects.filter(election=demo_election).select_related("unit", "county")
    assert result.created == result.planned == stations.count() == 3000
    counties = AdminUnit.objects.filter(kind=Kind.COUNTY)
    assert set(stations.values_list("county", flat=True).distinct()) == {c.pk for c in counties}
    urban = stations.filter(unit__kind=Kind.CITY).count()
    rural = stations.filter(unit__kind=Kind.VILLAGE).count()
    assert (urban, rural) == (result.urban, result.rural)
    assert urban + rural == 3000
    assert 0.72 <= urban / 3000 <= 0.78
    for station in stations:
        assert station.unit is not None
        assert station.unit_path == station.unit.path
        assert station.unit.path.startswith(station.county.path)
        assert station.constituency is not None
        assert station.constituency.code == f"CC-{station.county.code}"


def test_every_row_is_valid_normalised_and_clearly_synthetic(demo_election: Election) -> None:
    seed_demo_stations(election=demo_election, target=2000)

    rows = Station.objects.filter(election=demo_election).values(*ROW_FIELDS)
    assert len(rows) == 2000
    for row in rows:
        assert validate_station(row) == [], row
        assert normalize(row["name"]) == row["name"]
        assert normalize(row["address"]) == row["address"]
        assert row["address"] == "" or row["address"].endswith("(نشانی ساختگی)")
        if row["latitude"] is None:
            assert row["h3_cell"] == ""
        else:
            assert row["h3_cell"] == h3.latlng_to_cell(row["latitude"], row["longitude"], 7)
    codes = [(r["county_id"], r["code"]) for r in rows]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 4 and code.isdigit() for _county, code in codes)


def test_same_seed_gives_the_same_rows_and_another_seed_does_not(
    demo_election: Election,
) -> None:
    seed_demo_stations(election=demo_election, target=1500)
    first = dump(demo_election)
    Station.objects.all().delete()

    seed_demo_stations(election=demo_election, target=1500)
    assert dump(demo_election) == first

    Station.objects.all().delete()
    seed_demo_stations(election=demo_election, target=1500, seed=7)
    assert dump(demo_election) != first


def test_second_run_creates_nothing_and_refills_only_what_is_missing(
    demo_election: Election,
) -> None:
    first = seed_demo_stations(election=demo_election, target=1200)
    before = dump(demo_election)
    assert Event.objects.filter(action="station.demo_seed").count() == 1
    event = Event.objects.get(action="station.demo_seed")
    assert event.extra["created"] == 1200

    again = seed_demo_stations(election=demo_election, target=1200)
    assert (again.created, again.existing) == (0, 1200)
    assert dump(demo_election) == before
    assert Event.objects.filter(action="station.demo_seed").count() == 1  # nothing changed

    gone = list(Station.objects.order_by("pk").values_list("pk", flat=True)[:25])
    Station.objects.filter(pk__in=gone).delete()
    refill = seed_demo_stations(election=demo_election, target=1200)
    assert (refill.created, refill.existing) == (25, 1175)
    assert dump(demo_election) == before
    assert first.planned == 1200


def test_shares_follow_the_design(demo_election: Election) -> None:
    result = seed_demo_stations(election=demo_election, target=6000)

    stations = Station.objects.filter(election=demo_election)
    n = stations.count()
    assert 0.025 <= stations.filter(sensitive=True).count() / n <= 0.065
    assert not stations.filter(sensitive=True, sensitivity_reason="").exists()
    assert 0.02 <= stations.filter(kind="mobile").count() / n <= 0.04
    assert not stations.filter(kind="mobile", route="").exists()
    voters = [v for v in stations.values_list("expected_voters", flat=True) if v]
    assert 950 <= sum(voters) / len(voters) <= 1150

    def cctv_share(province: str) -> float:
        unit = AdminUnit.objects.get(kind=Kind.PROVINCE, code=province)
        ours = stations.within_path(unit.path)
        return ours.exclude(cctv="none").count() / ours.count()

    assert cctv_share("23") > cctv_share("00") > cctv_share("11")  # Tehran > mid > remote

    planned = stations.filter(evoting_planned=True).exclude(incomplete_q())
    assert planned.exists()
    assert not planned.exclude(unit__population__gte=EVOTING_CITY_POPULATION).exists()
    assert not planned.exclude(fibre="connected").filter(fibre_date__isnull=True).exists()

    incomplete = stations.filter(incomplete_q())
    assert incomplete.count() == result.incomplete
    assert 0.002 * n <= result.incomplete <= 0.01 * n
    assert not incomplete.ready().exists()


def test_small_geo_with_a_county_without_places(small_geo: Any) -> None:
    """Rafsanjan has no cities or villages in the small tree: its stations sit at the
    county (no unit), around the county's point."""
    AdminUnit.objects.filter(pk=small_geo.gharchak_city.pk).update(population=300_000)
    AdminUnit.objects.filter(pk=small_geo.kerman_city.pk).update(population=500_000)
    election = Election.objects.create(name="نمونه", slug="demo-test",
                                       election_day=datetime.date(2026, 5, 15))

    result = seed_demo_stations(election=election, target=60, check=True)

    assert result.created == Station.objects.count() == 60
    rafsanjan = Station.objects.filter(county=small_geo.rafsanjan)
    assert rafsanjan.exists()
    assert all(s.unit_id is None and s.unit_path == small_geo.rafsanjan.path
               for s in rafsanjan)
    assert Station.objects.filter(unit=small_geo.gharchak_city).exists()
    assert Station.objects.filter(unit__in=small_geo.villages).exists()


@pytest.mark.slow
def test_national_demo_on_the_real_geography() -> None:
    from amanat.geo.services import geo_import

    geo_import()
    election = seed_example_election()

    result = seed_demo_stations(election=election, check=True)

    stations = Station.objects.filter(election=election)
    assert result.created == stations.count()
    assert 58_410 <= stations.count() <= 59_590
    assert stations.values("county").distinct().count() == 448
    assert 200 <= stations.filter(incomplete_q()).count() <= 500
    assert 0.03 <= stations.filter(sensitive=True).count() / stations.count() <= 0.05
    assert stations.filter(constituency__isnull=True).count() == 0
