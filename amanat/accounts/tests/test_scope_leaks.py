"""Read every answer of every route for what it must not show (auth review 2, 2026-12).

``test_url_walk`` checks the *status* of every route for every persona: allowed in scope,
404 outside.  It cannot see an allowed answer that carries rows it should not: a list,
a map's JSON, a search, an autocomplete, an export or a page that takes a filter from the
query string and forgets the scope.  This walk reads the bodies:

* Canaries: every free-text field of every row under Kerman (found generically: any
  model whose row reaches a unit path through its own fields or its parents') is
  rewritten to a unique marker.  Each persona scoped to Gharchak or Tehran then requests
  every route (GET, the same GET with hostile filters naming Kerman, and the rolled-back
  POST of the walk) and no answer may carry a Kerman marker.
* Personal data: every national ID and mobile kept by any model (staffing, candidates,
  boards, training) must never appear in full in a GET of anyone (the pages mask them and
  show them only after the audited reveal POST), nor in a POST of anyone the policy's
  ``<app>.personaldata`` does not allow at the row's unit, reveal asked or not.

Exports are read too: an ``.xlsx`` is unzipped; PDFs keep their text in compressed,
subset-encoded streams, so they are not read (the status walk still covers them).
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.db import connection, models
from django.http import HttpResponse

from amanat.accounts import access
from amanat.accounts.testing import Personas
from amanat.accounts.tests.test_url_walk import (
    EXPECTATIONS,
    PUBLIC,
    World,
    _cases,
    _post_data,
    _route_problem,
    _url,
    build_world,
    iter_routes,
    post_rolled_back,
    walk_client,
)
from amanat.core import append_only
from amanat.geo.models import AdminUnit
from amanat.lib.persian import to_persian_digits

CANARY = "KRMNCANARY"
# Tables whose rows the database refuses to change (core.append_only) that hold text.
APPEND_ONLY = ("incidents_report",)
# Free-text fields that carry what a reader sees of a row.
TEXT_FIELDS = frozenset({
    "name", "title", "text", "summary", "first_name", "last_name", "full_name", "father_name",
    "note", "description", "address", "place", "trainer", "minutes", "attendees",
    "justification", "reasons", "decision_text", "done_note", "outcome", "evidence",
    "occupation", "employer", "ballot_name", "route", "label", "material", "search_text",
})
# Published to everyone by design (the station finder, the final lists, the public
# courses): public pages may name them wherever they are.
PUBLISHED = frozenset({"stations.station", "candidates.candidacy", "candidates.finallistentry",
                       "training.course"})
# The personas whose whole scope is one county or one province other than Kerman's.
SCOPED = ("gharchak_governor", "police", "inspector", "tehran_officer")
# Hostile filters: Kerman named by id, by code and by a search for the markers.
PERSONAL_FIELDS = ("national_id", "mobile")
# Rows of Kerman its own governor must be shown somewhere (the markers are seen at all).
SHOWN_TO_OWNER = frozenset({
    "boards.boardmember", "candidates.candidacy", "candidates.complaint", "councils.actionitem",
    "councils.council", "councils.decision", "councils.meeting", "incidents.case",
    "incidents.casestep", "incidents.report", "operations.checkin", "operations.flag",
    "plans.localisation", "plans.measure", "plans.runstep", "plans.securityplan",
    "staffing.person", "stations.station", "training.completion", "training.enrolment",
    "training.session",
})


@dataclass(frozen=True)
class Canary:
    marker: str
    label: str
    field: str


@dataclass(frozen=True)
class Personal:
    value: str
    label: str
    unit: AdminUnit | None


def _path_lookup(model: type[models.Model], depth: int = 3) -> str | None:
    """The lookup from ``model`` to a unit path (``unit_path``, ``unit__path``,
    ``county__path``), through its own foreign keys up to ``depth`` steps."""
    names = {f.name: f for f in model._meta.get_fields()}
    if "unit_path" in names and isinstance(names["unit_path"], models.CharField):
        return "unit_path"
    for own in ("unit", "county"):
        field = names.get(own)
        if field is not None and getattr(field, "related_model", None) is AdminUnit:
            return f"{own}__path"
    if depth == 0:
        return None
    for field in model._meta.get_fields():
        related = getattr(field, "related_model", None)
        if (isinstance(field, models.ForeignKey) and related is not None
                and related is not AdminUnit and related._meta.app_label != "auth"):
            below = _path_lookup(related, depth - 1)
            if below is not None:
                return f"{field.name}__{below}"
    return None


# Not scoped by design: the official geography and electoral divisions (readable by every
# signed-in user, docs/access-policy.md) and the audit log (national readers only).
UNSCOPED_APPS = frozenset({"geo", "audit"})


def _amanat_models() -> Iterator[type[models.Model]]:
    for model in apps.get_models():
        if model.__module__.startswith("amanat.") and model._meta.app_label not in UNSCOPED_APPS:
            yield model


def _letters(n: int) -> str:
    """Three capital letters for ``n``: a marker must survive the pages' digit
    localisation and bidi isolation (``<bdi>`` splits text at punctuation)."""
    return "".join(chr(ord("A") + (n // 26 ** k) % 26) for k in (2, 1, 0))


def plant_canaries(unit: AdminUnit) -> list[Canary]:
    """Rewrite every free-text field of every row under ``unit`` to a unique marker
    (append-only tables, the reports, with their triggers off)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # ALTER TABLE waits for no deferred check
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with append_only.disabled(connection, APPEND_ONLY):
        canaries = _plant(unit)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return canaries


def _plant(unit: AdminUnit) -> list[Canary]:
    canaries: list[Canary] = []
    counter = itertools.count(1)
    for model in _amanat_models():
        lookup = _path_lookup(model)
        if lookup is None:
            continue
        label = model._meta.label_lower
        rows = model._default_manager.filter(**{f"{lookup}__startswith": unit.path})
        for field in model._meta.get_fields():
            if field.name not in TEXT_FIELDS or not isinstance(
                    field, models.CharField | models.TextField) or field.choices:
                continue
            if field.max_length is not None and field.max_length < 20:
                continue
            for pk in rows.values_list("pk", flat=True):
                marker = CANARY + _letters(next(counter))
                value = marker.lower() if field.name == "search_text" else marker
                model._default_manager.filter(pk=pk).update(**{field.name: value})
                # The search text is matched, never shown: only the shown fields are looked for.
                if field.name != "search_text":
                    canaries.append(Canary(marker, label, field.name))
    return canaries


def personal_values() -> list[Personal]:
    """Every national ID and mobile any model keeps, with the row's unit when it has one."""
    found: list[Personal] = []
    paths = dict(AdminUnit.objects.values_list("path", "pk"))
    units = AdminUnit.objects.in_bulk()
    for model in _amanat_models():
        names = {f.name for f in model._meta.get_fields()}
        wanted = [n for n in PERSONAL_FIELDS if n in names]
        if not wanted:
            continue
        lookup = _path_lookup(model)
        label = model._meta.label_lower
        columns = [*wanted, lookup] if lookup else wanted
        for row in model._default_manager.values_list(*columns):
            path = row[-1] if lookup else None
            unit = units.get(paths.get(path)) if path else None
            found += [Personal(str(v), label, unit) for v in row[:len(wanted)]
                      if v and len(str(v)) >= 10]
    return found


def body_text(response: HttpResponse) -> str:
    """What a reader gets, as text: the body, or an ``.xlsx``'s sheets and strings."""
    raw = (b"".join(response.streaming_content)  # type: ignore[attr-defined]
           if getattr(response, "streaming", False) else response.content)
    if raw.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            raw = b"".join(archive.read(name) for name in archive.namelist()
                           if name.endswith(".xml"))
    text = raw.decode("utf-8", errors="replace")
    if "json" in response.get("Content-Type", ""):
        # A JSON answer may escape what it carries (ensure_ascii).
        with contextlib.suppress(ValueError):
            text += json.dumps(json.loads(raw), ensure_ascii=False)
    return text


def _personal_allowed(user: Any, item: Personal) -> bool:
    label = item.label.split(".")[0] + ".personaldata"
    return access.can(user, "view", label, item.unit)


def hostile_queries(world: World) -> list[str]:
    geo = world.geo
    from amanat.stations.models import Station

    kerman_station = Station.objects.filter(county=geo.kerman_county).first()
    by_id = {"unit": geo.kerman_county.pk, "county": geo.kerman_county.pk,
             "province": geo.kerman_province.pk, "station": getattr(kerman_station, "pk", ""),
             "q": CANARY.lower()}
    by_code = {"unit": geo.kerman_county.code, "county": geo.kerman_county.code,
               "province": geo.kerman_province.code,
               "station": f"{geo.kerman_county.code}-{getattr(kerman_station, 'code', '')}",
               "q": CANARY.lower(), "all": "1"}
    return [urlencode(by_id), urlencode(by_code)]


@dataclass(frozen=True)
class Leak:
    name: str
    who: str
    method: str
    url: str
    what: str

    def __str__(self) -> str:
        return f"{self.name} as {self.who}: {self.method} {self.url} shows {self.what}"


@dataclass
class Reading:
    leaks: list[Leak]
    # What Kerman's own governor was shown of Kerman's rows: proof that the markers
    # appear where they may (a marker no page shows would prove nothing).
    shown_to_owner: set[str]


def read_walk(world: World, only: set[str] | None = None) -> Reading:
    """Every route, as every persona (and signed out), read for Kerman's markers (the
    scoped personas) and for personal data in full."""
    cases = []
    for route in iter_routes():
        expect = EXPECTATIONS.get(route.name)
        if _route_problem(route, expect) is None:
            assert expect is not None
            # Every route's rows are made, walked or not, so that there is something to find.
            found = [(route, expect, kwargs) for kwargs, _unit in _cases(expect, world)]
            cases += found if only is None or route.name in only else []
    # Every row exists now: mark Kerman's, then collect the personal data to look for.
    canaries = plant_canaries(world.geo.kerman_county)
    assert len({c.label for c in canaries}) >= 10, canaries  # the walk's rows were reached
    personal: dict[str, list[Personal]] = {}
    for item in personal_values():
        personal.setdefault(item.value, []).append(item)
    assert {p.label for items in personal.values() for p in items} >= {
        "staffing.person", "candidates.candidacy", "boards.boardmember"}, personal
    queries = hostile_queries(world)
    who_users: list[tuple[str, Any]] = [("anonymous", None), *world.personas.items()]
    leaks: list[Leak] = []
    shown: set[str] = set()
    for who, user in who_users:
        client = walk_client(user) if user is not None else walk_client()
        scoped = who in SCOPED
        for route, expect, kwargs in cases:
            api = route.name.startswith("api:")
            url = _url(route, kwargs)
            headers = ({"Authorization": f"Bearer {world.tokens[who]}"}
                       if api and user is not None else None)
            requests: list[tuple[str, str, HttpResponse]] = []
            requests.append(("GET", url, client.get(url, headers=headers)))
            if scoped:
                for query in queries:
                    hostile = f"{url}?{query}"
                    requests.append(("GET", hostile, client.get(hostile, headers=headers)))
            data = {**_post_data(expect, kwargs, True), "reveal": "1"}
            posted, _writes = post_rolled_back(client, url, data, api=api, headers=headers)
            requests.append(("POST", url, posted))
            for method, sent, response in requests:
                if response.status_code >= 400 and response.status_code != 422:
                    continue
                text = body_text(response)
                if who == "kerman_governor":
                    shown |= {c.label for c in canaries if c.marker in text}
                if scoped:
                    for canary in canaries:
                        if expect.kind == PUBLIC and canary.label in PUBLISHED:
                            continue
                        if canary.marker in text:
                            leaks.append(Leak(route.name, who, method, sent,
                                              f"Kerman's {canary.label}.{canary.field}"))
                for value, items in personal.items():
                    if method == "POST" and user is not None and any(
                            _personal_allowed(user, item) for item in items):
                        continue  # the audited reveal or a recorded export
                    if value in text or to_persian_digits(value) in text:
                        labels = sorted({item.label for item in items})
                        leaks.append(Leak(route.name, who, method, sent,
                                          f"{'/'.join(labels)} {value} in full"))
    return Reading(leaks, shown)


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    return build_world(small_geo, personas)


@pytest.mark.django_db
def test_no_answer_shows_rows_outside_scope_or_personal_data_in_full(world: World) -> None:
    reading = read_walk(world)
    assert not reading.leaks, "\n".join(sorted({str(leak) for leak in reading.leaks}))
    assert reading.shown_to_owner >= SHOWN_TO_OWNER, sorted(reading.shown_to_owner)


@pytest.mark.django_db
def test_the_read_walk_sees_a_list_that_forgets_its_scope(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A station list that ignores the scope shows Kerman's station to Gharchak."""
    from amanat.stations import selectors
    from amanat.stations.models import Station

    monkeypatch.setattr(selectors, "stations_for_user",
                        lambda user, election, **kwargs: Station.objects.filter(election=election))
    leaks = read_walk(world, only={"stations:list"}).leaks
    assert any(leak.who == "gharchak_governor" and "stations.station" in leak.what
               for leak in leaks), leaks


@pytest.mark.django_db
def test_the_read_walk_sees_a_national_id_shown_in_full(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amanat.accounts import personaldata

    monkeypatch.setattr(personaldata.Shown, "national_id", lambda self, value: value)
    leaks = read_walk(world, only={"staffing:person"}).leaks
    assert any("staffing.person" in leak.what and leak.method == "GET" for leak in leaks), leaks

