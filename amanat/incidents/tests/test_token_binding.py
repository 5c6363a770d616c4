"""A field device's token bound to its stations reaches only those stations."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World
from amanat.stations.models import Station
from amanat.stations.services import station_token_issue

BODY = {"category": "VB", "text": "پول در ازای رأی"}


def _device(world: World, *stations: Station) -> dict[str, str]:
    user = world.personas.inspector
    _, plaintext = station_token_issue(user=user, name="tablet", ttl_days=1, actor=user,
                                       stations=stations)
    return {"Authorization": f"Bearer {plaintext}"}


def test_bound_token_reports_only_for_its_station(world: World) -> None:
    other = Station.objects.create(
        election=world.election, county=world.geo.gharchak, unit=world.geo.gharchak_city,
        unit_path=world.geo.gharchak_city.path, code="0043", name="مدرسه دیگر",
    )
    headers = _device(world, world.gharchak_station)

    ok = Client().post("/api/v1/incidents/reports", content_type="application/json",
                       data={**BODY, "station_code": "2310-0042"},
                       headers={**headers, "Idempotency-Key": "a"})
    assert ok.status_code == 201, ok.content
    refused = Client().post("/api/v1/incidents/reports", content_type="application/json",
                            data={**BODY, "station_code": f"2310-{other.code}"},
                            headers={**headers, "Idempotency-Key": "b"})
    # As a station that does not exist (user review 2026-12 F11).
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "unknown_station"
    assert Report.objects.count() == 1

    listed = Client().get("/api/v1/stations/", {"election": world.election.slug},
                          headers=headers).json()
    assert [s["id"] for s in listed["results"]] == [world.gharchak_station.pk]
    assert Client().get(f"/api/v1/stations/{other.pk}", headers=headers).status_code == 404
    assert Client().get(f"/api/v1/stations/{world.gharchak_station.pk}",
                        headers=headers).status_code == 200


def test_unbound_token_keeps_the_users_scope(world: World) -> None:
    headers = _device(world)
    listed = Client().get("/api/v1/stations/", {"election": world.election.slug},
                          headers=headers).json()
    assert [s["id"] for s in listed["results"]] == [world.gharchak_station.pk]  # not Kerman's


def test_a_token_cannot_be_bound_outside_its_users_scope(world: World) -> None:
    with pytest.raises(ValidationError):
        _device(world, world.kerman_station)
    assert not world.personas.inspector.api_tokens.exists()


