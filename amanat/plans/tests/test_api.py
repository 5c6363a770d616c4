"""The plans read API: compliance with the current directive per county and a county's
measures by phase, scoped by the token's user (another county is 404)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amanat.accounts.services import api_token_issue
from amanat.plans import services
from amanat.plans.models import Measure
from amanat.plans.tests.conftest import World
from amanat.stations.models import TokenStation

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _get(user: Any, url: str, params: dict[str, Any] | None = None) -> Any:
    _token, plaintext = api_token_issue(user=user, name="api", ttl_days=1, actor=user)
    return Client().get(url, params or {}, headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def localised(world: World) -> World:
    directive = services.directive_create(
        election=world.election, code="d", title="دستورالعمل", text="متن", actor=None,
        localise_by=TODAY + datetime.timedelta(days=5),
        measures=[services.MeasureSpec(title=f"اقدام {k}", phase="before",
                                       owner=world.agency("police"),
                                       due_on=TODAY + datetime.timedelta(days=k - 1))
                  for k in range(2)])
    directive = services.directive_issue(directive=directive, actor=None)
    services.localisation_start(directive=directive, unit=world.geo.gharchak, actor=None)
    return world


def test_compliance_per_county(localised: World) -> None:
    world = localised
    body = _get(world.personas.admin, "/api/v1/plans/compliance/").json()
    assert body["directive"]["code"] == "d" and body["count"] == 3
    gharchak = next(r for r in body["results"] if r["county"]["code"] == "2310")
    assert gharchak["localised"] is True and gharchak["localisation_status"] == "draft"
    assert (gharchak["total"], gharchak["done"], gharchak["overdue"]) == (2, 0, 1)
    assert body["results"][0]["localised"] is False  # worst first
    kerman = _get(world.personas.admin, "/api/v1/plans/compliance/", {"province": "8"}).json()
    assert {r["county"]["code"] for r in kerman["results"]} == {"815", "809"}
    own = _get(world.personas.gharchak_governor, "/api/v1/plans/compliance/").json()
    assert [r["county"]["code"] for r in own["results"]] == ["2310"]


def test_a_countys_measures_and_denied_paths(localised: World) -> None:
    world = localised
    url = f"/api/v1/plans/counties/{world.geo.gharchak.pk}/measures/"
    body = _get(world.personas.gharchak_governor, url).json()
    assert body["county"]["code"] == "2310" and body["count"] == 2
    first = body["results"][0]
    assert first["overdue"] is True and first["source"] == "directive"
    assert first["directive"] == "d" and first["owner"] == "police"
    assert first["phase"] == "before" and first["status"] == "planned"
    other = f"/api/v1/plans/counties/{world.geo.kerman_county.pk}/measures/"
    assert _get(world.personas.gharchak_governor, other).status_code == 404
    assert Client().get(url).status_code == 401
    assert Measure.objects.count() == 2


def test_a_field_devices_token_reaches_only_its_stations_counties(localised: World) -> None:
    """Attack review 2026-12: a token bound to stations (a field device) read the
    compliance of every county of its user's scope and any county's measures; the atlas
    API narrowed it to the stations' counties, the plans API did not."""
    world = localised
    token, plaintext = api_token_issue(user=world.personas.admin, name="phone", ttl_days=1,
                                       actor=world.personas.admin)
    TokenStation.objects.create(token=token, station=world.kerman_station)
    device = {"Authorization": f"Bearer {plaintext}"}
    body = Client().get("/api/v1/plans/compliance/", headers=device).json()
    assert [r["county"]["code"] for r in body["results"]] == ["815"]
    gharchak = f"/api/v1/plans/counties/{world.geo.gharchak.pk}/measures/"
    assert Client().get(gharchak, headers=device).status_code == 404
    kerman = f"/api/v1/plans/counties/{world.geo.kerman_county.pk}/measures/"
    assert Client().get(kerman, headers=device).status_code == 200
    # Unbound, the same user reads every county.
    assert _get(world.personas.admin, gharchak).status_code == 200
def test_an_unknown_province_code_is_not_an_empty_answer(localised: World) -> None:
    """User review 2026-12 (a client generated from the OpenAPI document): «99» answered
    200 with no rows, read as "no county has localised"; the atlas API answers 404."""
    admin = localised.personas.admin
    assert _get(admin, "/api/v1/plans/compliance/", {"province": "99"}).status_code == 404
    assert _get(admin, "/api/v1/atlas/units/", {"province": "99"}).status_code == 404
    assert _get(admin, "/api/v1/plans/compliance/", {"province": "8"}).json()["count"] == 2
