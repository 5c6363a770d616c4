"""A GET never changes anything: walk every URL by GET and compare the database.

A link from another site makes a signed-in browser send a GET with its cookies, so a GET
that locks a case, records an export or creates a row acts on the user's behalf without
their intent.  State changes are POST (with CSRF).  This walks every route of the URL
walk (``accounts/tests/test_url_walk.py``) by GET as a fully verified national
administrator, as every persona and anonymously, and asserts that the rows of every
table of the project's apps (and of the second-factor devices) are exactly as before.

The one write a GET may cause is the record of a refused attempt (``access.denied``, on
a 404): probing other counties must leave a trace.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.test import Client

from amanat.accounts.testing import Personas, sign_in
from amanat.accounts.tests.test_url_walk import (
    EXPECTATIONS,
    World,
    _url,
    build_world,
    iter_routes,
)
from amanat.audit.models import Event

# GETs that still write, each with its owner; each must still write (so the entry is
# removed once fixed), nothing else may.
KNOWN_WRITES: dict[str, str] = {}
DENIED = "access.denied"
# The log and its head: a denial adds to them, and any other event is caught one by one.
AUDIT_TABLES = {"audit.Event", "audit.ChainHead"}


def _tables() -> list[type[models.Model]]:
    """Every concrete model of the project's apps, and the second-factor devices."""
    return [
        model for model in apps.get_models()
        if model.__module__.startswith("amanat.") or model._meta.app_label == "otp_totp"
    ]


# Bookkeeping of authentication, not of the request: a token's last use (a bearer token
# is never sent by another site's link).
IGNORED_COLUMNS = {"accounts.ApiToken": {"last_used_at"}}


def _state(tables: list[type[models.Model]]) -> dict[str, tuple[int, str]]:
    """Per table: the row count and a digest of every row's values, in key order."""
    state = {}
    for model in tables:
        ignored = IGNORED_COLUMNS.get(model._meta.label, set())
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in ignored]
        rows = model._default_manager.order_by("pk").values_list(*columns)
        digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
        state[model._meta.label] = (len(rows), digest)
    return state


def _changed(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
             ) -> list[str]:
    return sorted(label for label in before if before[label] != after[label])


def _requests(world: World, only: set[str] | None) -> list[tuple[str, str, bool]]:
    """(route name, url, api) for every route of the walk (or those in ``only``), with
    its objects."""
    found = []
    for route in iter_routes():
        if only is not None and route.name not in only:
            continue
        expect = EXPECTATIONS.get(route.name)
        assert expect is not None, f"{route.name}: no entry in the URL walk's EXPECTATIONS"
        cases = expect.objects(world) if expect.objects else [({}, None)]
        found += [(route.name, _url(route, kwargs), route.name.startswith("api:"))
                  for kwargs, _unit in cases]
    return found


def _walk(world: World, personas: Personas, only: set[str] | None = None
          ) -> dict[str, list[str]]:
    """Every GET of every route, as everyone: route name → what it changed.

    The tables are compared around each route's requests (comparing them around every
    request would take minutes); the audit log is checked request by request.
    """
    requests = _requests(world, only)  # creates the walk's objects before the first snapshot
    clients: list[tuple[str, Client, dict[str, str]]] = [("anonymous", Client(), {})]
    for who, user in personas.items():
        clients.append((who, sign_in(Client(), user), {}))
        clients.append((f"{who} (API token)", Client(),
                        {"Authorization": f"Bearer {world.tokens[who]}"}))
    tables = _tables()
    writes: dict[str, list[str]] = {}
    for name, url, api in requests:
        before = _state(tables)
        for who, client, headers in clients:
            if api != bool(headers) and who != "anonymous":
                continue  # pages by session, the API by token
            last = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            response = client.get(url, headers=headers)
            new = [e.action for e in Event.objects.filter(seq__gt=last)]
            if new and (response.status_code != 404 or set(new) != {DENIED}):
                writes.setdefault(name, []).append(
                    f"GET {url} as {who} → {response.status_code} recorded {new}")
        changed = [label for label in _changed(before, _state(tables))
                   if label not in AUDIT_TABLES]
        if changed:
            writes.setdefault(name, []).append(f"GET {url} changed {changed}")
    return writes


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(small_geo, personas)


@pytest.mark.django_db
def test_no_get_changes_anything(world: World, personas: Personas) -> None:
    writes = _walk(world, personas)
    unexpected = {name: found for name, found in writes.items() if name not in KNOWN_WRITES}
    assert not unexpected, "\n".join(line for found in unexpected.values() for line in found)
    fixed = set(KNOWN_WRITES) - set(writes)
    assert not fixed, f"remove fixed entries from KNOWN_WRITES: {sorted(fixed)}"


@pytest.mark.django_db
def test_the_walk_sees_a_get_that_locks_a_case(world: World, personas: Personas,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The check itself: the case step page as it was (a GET took the edit lock)."""
    from amanat.incidents import services, views

    real = views.render

    def locking_render(request: Any, template: str, context: Any = None, **kw: Any) -> Any:
        if template == "incidents/case_step.html":
            services.case_lock(case=context["case"], actor=request.user)
        return real(request, template, context, **kw)

    monkeypatch.setattr(views, "render", locking_render)
    writes = _walk(world, personas, only={"incidents:case_step"})
    assert any("incidents.Case" in line for line in writes.get("incidents:case_step", []))
