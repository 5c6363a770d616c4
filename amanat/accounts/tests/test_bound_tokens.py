"""A token bound to polling stations (a field device) reaches only the API operations that
narrow what they answer to its stations (auth review 2, F3).

Each bound-aware endpoint narrows by ``stations.selectors.token_station_ids`` or
``token_unit_ids`` itself; an endpoint that forgot (the candidates' inquiry answers, a
write) let a device's token act over its user's whole scope.  The API's token check now
refuses a bound token on any operation not listed in ``amanat.api.BOUND_TOKEN_OPERATIONS``
(404, before the body is read), so a new endpoint is closed to field devices until it
narrows and is listed.  This walk requests every API route with a bound token.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User

from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import Personas
from amanat.accounts.tests.test_url_walk import (
    EXPECTATIONS,
    PUBLIC,
    WEBHOOK,
    World,
    _cases,
    _url,
    _walk_stations,
    build_world,
    iter_routes,
    post_rolled_back,
    walk_client,
)
from amanat.api import BOUND_TOKEN_OPERATIONS
from amanat.stations.services import station_token_issue


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(small_geo, personas)


def _bound_tokens(world: World) -> dict[str, str]:
    """A device token bound to Gharchak's walk station for a governor, an executive board
    member (who may record inquiry answers) and the national administrator."""
    board = User.objects.create_user("gharchak_board")
    Membership.objects.create(user=board, role=Role.EXECUTIVE_BOARD, unit=world.geo.gharchak)
    station = _walk_stations(world)[0]
    users = {"gharchak_governor": world.personas.gharchak_governor, "board": board,
             "admin": world.personas.admin}
    return {who: station_token_issue(user=user, name="device", ttl_days=1, actor=user,
                                     stations=[station])[1] for who, user in users.items()}


def _token_routes() -> list[Any]:
    return [route for route in iter_routes() if route.name.startswith("api:")
            and EXPECTATIONS[route.name].kind not in (PUBLIC, WEBHOOK)]


@pytest.mark.django_db
def test_a_bound_token_reaches_only_the_operations_that_narrow_by_its_stations(
        world: World) -> None:
    client = walk_client()
    problems = []
    for who, plaintext in _bound_tokens(world).items():
        bearer = {"Authorization": f"Bearer {plaintext}"}
        for route in _token_routes():
            if route.name.removeprefix("api:") in BOUND_TOKEN_OPERATIONS:
                continue
            for kwargs, _unit in _cases(EXPECTATIONS[route.name], world):
                url = _url(route, kwargs)
                got = client.get(url, headers=bearer)
                posted, writes = post_rolled_back(client, url, {}, api=True, headers=bearer)
                for method, response in (("GET", got), ("POST", posted)):
                    if response.status_code not in (404, 405):
                        problems.append(f"{route.name} {method} {url} as {who}'s device "
                                        f"→ {response.status_code}, expected 404")
                if writes.leaked():
                    problems.append(f"{route.name} POST {url} as {who}'s device wrote "
                                    f"{writes.leaked()}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_listed_operations_still_answer_a_bound_token(world: World) -> None:
    """With and without the trailing slash (the API's fallback route calls the operation)."""
    plaintext = _bound_tokens(world)["gharchak_governor"]
    bearer = {"Authorization": f"Bearer {plaintext}"}
    client = walk_client()
    for url in ("/api/v1/me", "/api/v1/stations/", "/api/v1/stations",
                f"/api/v1/stations/{_walk_stations(world)[0].pk}"):
        assert client.get(url, headers=bearer).status_code == 200, url
    # The other county's station stays out of reach, and an unbound token is unchanged.
    assert client.get(f"/api/v1/stations/{_walk_stations(world)[1].pk}",
                      headers=bearer).status_code == 404


def test_every_listed_operation_exists() -> None:
    names = {route.name.removeprefix("api:") for route in iter_routes()
             if route.name.startswith("api:")}
    assert names >= BOUND_TOKEN_OPERATIONS, sorted(BOUND_TOKEN_OPERATIONS - names)
