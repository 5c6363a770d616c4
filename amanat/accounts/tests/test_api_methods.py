"""The API's operations on methods other than GET and POST (auth review 2).

``test_url_walk`` sends GET and POST to every route; an operation on PATCH, PUT or DELETE
(a station's change) was never walked.  Here every such operation of the served API is
requested as every persona, for objects inside and outside their scope: allowed for a role
that may change the object there (an answer from the view: 200, or 422 for the empty body),
404 for everyone else, and nothing written by a refused request but ``access.denied``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.db import connection, transaction

from amanat.accounts import access
from amanat.accounts.testing import Personas
from amanat.accounts.tests.test_url_walk import (
    _TOKEN_STAMP,
    _WRITE,
    EXPECTATIONS,
    World,
    Writes,
    _cases,
    _url,
    build_world,
    iter_routes,
    walk_client,
)
from amanat.api import api

WALKED = frozenset({"GET", "POST"})
# The policy action each other method asks for.
ACTIONS = {"PATCH": "change", "PUT": "change", "DELETE": "delete"}


def other_methods() -> dict[str, set[str]]:
    """url name → the methods of its operations besides GET and POST."""
    found: dict[str, set[str]] = {}
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                extra = set(operation.methods) - WALKED
                if extra:
                    found.setdefault(f"api:{operation.url_name}", set()).update(extra)
    return found


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(small_geo, personas)


@pytest.mark.django_db
def test_every_other_method_answers_as_the_policy_says(world: World) -> None:
    problems = walk_other_methods(world)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_walk_sees_a_change_that_skips_its_scope(world: World,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from amanat.stations import selectors
    from amanat.stations.models import Station

    monkeypatch.setattr(selectors, "station_detail",
                        lambda user, pk, write=False: Station.objects.get(pk=pk))
    problems = walk_other_methods(world)
    assert any("as gharchak_governor" in p and "expected 404" in p for p in problems), problems


def walk_other_methods(world: World) -> list[str]:
    methods = other_methods()
    assert methods, "the API has a PATCH (a station's change): the walk found none"
    routes = {route.name: route for route in iter_routes()}
    client = walk_client()
    problems = []
    for name, verbs in sorted(methods.items()):
        expect = EXPECTATIONS[name]
        for kwargs, unit in _cases(expect, world):
            url = _url(routes[name], kwargs)
            for verb in sorted(verbs):
                for who, user in world.personas.items():
                    label = expect.model or ""
                    allowed = access.can(user, ACTIONS[verb], label, unit)
                    writes = Writes()

                    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any,
                            writes: Writes = writes) -> Any:
                        match = _WRITE.match(sql)
                        if match and not _TOKEN_STAMP.match(sql):
                            writes.tables.add(match.group(1).lower())
                        return execute(sql, params, many, context)

                    cookies = copy.deepcopy(client.cookies)
                    with transaction.atomic():
                        with connection.execute_wrapper(spy):
                            response = client.generic(
                                verb, url, data="{}", content_type="application/json",
                                headers={"Authorization": f"Bearer {world.tokens[who]}"})
                        transaction.set_rollback(True)
                    client.cookies = cookies
                    status = response.status_code
                    if allowed and status not in (200, 422):
                        problems.append(f"{verb} {url} as {who} → {status}, expected the view")
                    if not allowed and status != 404:
                        problems.append(f"{verb} {url} as {who} → {status}, expected 404")
                    leaked = writes.tables - {"audit_event", "audit_chainhead"}
                    if not allowed and leaked:
                        problems.append(f"{verb} {url} as {who} wrote {sorted(leaked)}")
    return problems
