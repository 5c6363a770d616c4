"""The atlas read API: scores, tiers and explanations of counties and provinces, scoped by
the token's user (and narrowed to a field device's stations), and the catalogue in force."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amanat.accounts.services import api_token_issue
from amanat.atlas import recompute, services
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.stations.models import TokenStation

pytestmark = pytest.mark.django_db
UNITS = "/api/v1/atlas/units/"


def _get(user: Any, url: str, params: dict[str, Any] | None = None, *,
         bind: list[Any] | None = None) -> Any:
    token, plaintext = api_token_issue(user=user, name="device", ttl_days=1, actor=user)
    for station in bind or []:
        TokenStation.objects.create(token=token, station=station)
    return Client().get(url, params or {}, headers={"Authorization": f"Bearer {plaintext}"})


@pytest.fixture
def scored(atlas_world: AtlasWorld) -> AtlasWorld:
    services.national_tier_set(election=atlas_world.election, county=atlas_world.geo.gharchak,
                               tier=1, actor=None, note="")
    recompute.atlas_recompute(election=atlas_world.election)
    return atlas_world


def test_counties_with_tiers_and_explanations(scored: AtlasWorld, personas: Any) -> None:
    response = _get(personas.admin, UNITS, {"election": "test-atlas"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and body["election"] == "test-atlas"
    gharchak = next(r for r in body["results"] if r["unit"]["code"] == "2310")
    assert gharchak["tier"] == 1 and gharchak["national_tier"] == 1
    assert gharchak["floor_applied"] is (gharchak["computed_tier"] > 1)
    assert gharchak["unit"]["parent_code"] == "23" and gharchak["level"] == "county"
    total = sum(f["contribution"] for f in gharchak["factors"])
    assert abs(total - gharchak["score"]) < 1e-6
    assert {"code", "name_fa", "name_en", "value", "contribution"} <= set(gharchak["factors"][0])
    provinces = _get(personas.admin, UNITS, {"level": "province"}).json()
    assert {r["unit"]["code"] for r in provinces["results"]} == {"23", "8"}
    only_kerman = _get(personas.admin, UNITS, {"province": "8"}).json()
    assert {r["unit"]["code"] for r in only_kerman["results"]} == {"815", "809"}
    tier1 = _get(personas.admin, UNITS, {"tier": "1"}).json()
    assert [r["unit"]["code"] for r in tier1["results"]] == ["2310"]


def test_scope_and_denied_paths(scored: AtlasWorld, personas: Any) -> None:
    geo = scored.geo
    body = _get(personas.gharchak_governor, UNITS).json()
    assert [r["unit"]["code"] for r in body["results"]] == ["2310"]
    # Another county is 404, not an empty answer.
    assert _get(personas.gharchak_governor, f"{UNITS}{geo.kerman_county.pk}").status_code == 404
    one = _get(personas.gharchak_governor, f"{UNITS}{geo.gharchak.pk}")
    assert one.status_code == 200 and one.json()["unit"]["code"] == "2310"
    assert Client().get(UNITS).status_code == 401
    assert _get(personas.admin, UNITS, {"election": "nope"}).status_code == 404
    assert _get(personas.admin, UNITS, {"tier": "9"}).status_code == 422


def test_a_field_device_token_reaches_only_its_stations_counties(scored: AtlasWorld,
                                                                 personas: Any) -> None:
    body = _get(personas.admin, UNITS, bind=[scored.s3]).json()
    assert [r["unit"]["code"] for r in body["results"]] == ["815"]
    provinces = _get(personas.admin, UNITS, {"level": "province"}, bind=[scored.s3]).json()
    assert [r["unit"]["code"] for r in provinces["results"]] == ["8"]
    assert _get(personas.admin, f"{UNITS}{scored.geo.gharchak.pk}",
                bind=[scored.s3]).status_code == 404


def test_the_catalogue_in_force(scored: AtlasWorld, personas: Any) -> None:
    body = _get(personas.police, "/api/v1/atlas/factors/").json()
    assert body["version"] == 0 and body["station_mean_weight"] == 5.0
    weights = {f["code"]: f["weight"] for f in body["factors"]}
    assert weights["sensitive"] == 3.0 and weights["national_tier"] == 1.0
