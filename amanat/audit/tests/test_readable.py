"""The audit log as a person reads it: sentences, labelled changes, links to records,
filters by person, record, action and date, and the raw event one click away."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.audit.services import audit_record
from amanat.elections.models import Election
from amanat.lib.jalali import format_jalali
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db


@pytest.fixture
def station(small_geo: Any) -> Any:
    election = Election.objects.create(name="انتخابات", slug="e-1",
                                       election_day=datetime.date(2026, 6, 12))
    return make_station(election, small_geo.gharchak, "2310-0042", name="دبستان نیلوفر")


@pytest.fixture
def logged(personas: Any, small_geo: Any, station: Any) -> list[Event]:
    governor = personas.gharchak_governor
    return [
        audit_record(action="station.update", actor=governor, unit=small_geo.gharchak,
                     obj=station, before={"cctv": "none", "name": "دبستان\u200cنو"},
                     after={"cctv": "live", "name": "دبستان\u200cنیلوفر"}),
        audit_record(action="auth.sign_in", actor=governor, extra={"ip": "10.1.2.3"}),
        audit_record(action="atlas.demo_seed", actor_name="system:demo",
                     extra={"seed": 1405}),
    ]


def _page(client: Client, **query: Any) -> str:
    response = client.get(reverse("audit:events"), query)
    assert response.status_code == 200
    return response.content.decode()


def test_each_event_is_a_sentence_with_labelled_changes(client: Client, personas: Any,
                                                        logged: list[Event], station: Any):
    sign_in(client, personas.auditor)
    html = _page(client, object_type="stations.station", object_id=str(station.pk))
    assert "gharchak_governor" in html
    sentence = html.split('data-testid="event-sentence">')[1].split("</span>\n")[0]
    assert "station.update" not in sentence and "تغییر شعبه" in sentence
    assert "دوربین" in html  # the field's label, not "cctv"
    assert "برخط" in html  # the choice's label, not "live"
    assert f'href="/stations/{station.pk}/"' in html  # the record itself
    assert "\\u200c" not in html
    assert "{'" not in html and "': '" not in html  # no Python dict reprs


def test_sign_in_says_from_where(client: Client, personas: Any, logged: list[Event]):
    sign_in(client, personas.auditor)
    html = _page(client, action="auth.sign_in", actor="gharchak")
    assert '<bdi dir="ltr">10.1.2.3</bdi>' in html


def test_the_raw_event_is_one_click_away(client: Client, personas: Any, logged: list[Event]):
    sign_in(client, personas.auditor)
    html = _page(client, object_type="stations.station")
    raw = html.split('data-testid="event-raw">')[1].split("</pre>")[0]
    assert "&quot;action&quot;: &quot;station.update&quot;" in raw
    assert "دبستان\u200cنیلوفر" in raw  # the joiner itself, not an escape
    assert "<details" in html


def test_filters_by_person_record_action_and_date(client: Client, personas: Any,
                                                  logged: list[Event]):
    sign_in(client, personas.auditor)
    rows = client.get(reverse("audit:events"), {"action": "atlas.demo_seed"}).context["rows"]
    assert [r.event.action for r in rows] == ["atlas.demo_seed"]
    assert "system:demo" not in str(rows[0].sentence)  # the software, in words
    rows = client.get(reverse("audit:events"), {"actor": "gharchak_governor"}).context["rows"]
    assert {r.event.action for r in rows} == {"station.update", "auth.sign_in"}
    tomorrow = datetime.date.today() + datetime.timedelta(days=2)
    rows = client.get(reverse("audit:events"), {"since": format_jalali(tomorrow)}
                      ).context["rows"]
    assert rows == []


def test_an_unknown_action_is_refused_and_shows_nothing(client: Client, personas: Any,
                                                        logged: list[Event]):
    sign_in(client, personas.auditor)
    response = client.get(reverse("audit:events"), {"action": "nope.nothing"})
    assert response.context["rows"] == []
    assert 'data-testid="error-action"' in response.content.decode()


def test_the_log_stays_closed_to_a_county_governor(client: Client, personas: Any,
                                                   logged: list[Event]):
    sign_in(client, personas.gharchak_governor)
    assert client.get(reverse("audit:events")).status_code == 404
