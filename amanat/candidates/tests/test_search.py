"""The staff list's text search through the trigram index (FTS5 on SQLite, pg_trgm on
PostgreSQL): the same rows as a scan, for rare and common keys, kept up to date on
insert, update and delete, and rebuilt when its triggers were lost."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.candidates import search, selectors
from amanat.candidates.models import Candidacy
from amanat.candidates.tests.conftest import World, nid
from amanat.candidates.tests.test_staff import _register
from amanat.lib.persian import search_key

pytestmark = pytest.mark.django_db

KEYS = ["کریمی", "نام1", "نام12", nid(3), nid(3)[:5], "zzzz", "ری", "1", "B"]


def _listed(client: Client, query: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    for page in (1, 2, 3):
        html = client.get(reverse("candidates:list"), {**query, "page": page}).content.decode()
        refs |= set(re.findall(r'data-testid="candidate-row">\s*<td><a [^>]*>'
                               r'(?:<bdi dir="ltr">)?([^<]+)<', html))
    return refs


def _expected(key: str) -> set[str]:
    wanted = search_key(key)
    return {c.reference for c in Candidacy.objects.all() if wanted in c.search_text}


def _persian_digits(text: str) -> str:
    return text.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))


def _refs(expected: set[str]) -> set[str]:
    return {_persian_digits(ref) for ref in expected}


@pytest.mark.parametrize("dense", [False, True])
def test_search_lists_the_rows_holding_the_key(world: World, client: Client, dense: bool,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    if dense:  # every key "common": the page is read by walking the list's order
        monkeypatch.setattr(selectors, "DENSE_MATCHES", 0)
    for n in range(14):
        _register(world, n)
    _register(world, 100, county=world.geo.kerman_county, city=world.geo.kerman_city)
    sign_in(client, world.personas.admin)
    for key in KEYS:
        assert _listed(client, {"q": key}) == _refs(_expected(key)), key
    assert len(_expected("کریمی")) == 15 and len(_expected(nid(3))) == 1
    # Within a county, and with a state: the same rows as a scan of them.
    kerman = {c.reference for c in Candidacy.objects.filter(county=world.geo.kerman_county)}
    assert _listed(client, {"q": "کریمی", "county": world.geo.kerman_county.pk}) == _refs(
        _expected("کریمی") & kerman)
    assert _listed(client, {"q": "کریمی", "state": "registered"}) == set()


def test_the_index_follows_updates_and_deletes(world: World, client: Client) -> None:
    first, second = _register(world, 1), _register(world, 2)
    sign_in(client, world.personas.admin)
    assert _listed(client, {"q": nid(1)}) == _refs({first.reference})
    Candidacy.objects.filter(pk=first.pk).update(search_text=search_key("تازه‌نام " + nid(1)))
    assert _listed(client, {"q": "تازهنام"}) == _refs({first.reference})
    assert _listed(client, {"q": "کریمی"}) == _refs({second.reference})
    Candidacy.objects.filter(pk=second.pk).delete()
    assert _listed(client, {"q": "کریمی"}) == set()
    assert _listed(client, {"q": nid(1)}) == _refs({first.reference})


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's triggers (PostgreSQL: "
                    "an index, kept by the database)")
def test_the_index_is_rebuilt_when_its_triggers_were_lost(world: World, client: Client) -> None:
    """A migration that rebuilds the table on SQLite drops its triggers: ``ensure`` (run
    after every migrate) puts them back and reads the rows written meanwhile."""
    before = _register(world, 1)
    search.drop(connection)
    during = _register(world, 2)
    search.ensure(connection)
    search.ensure(connection)  # idempotent
    sign_in(client, world.personas.admin)
    assert _listed(client, {"q": "کریمی"}) == _refs({before.reference, during.reference})
    after = _register(world, 3)
    assert _listed(client, {"q": nid(3)}) == _refs({after.reference})
