"""Binding an API token to polling stations on the token page (linked from the profile)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import ApiToken
from amanat.accounts.testing import Personas, in_language, sign_in
from amanat.accounts.tests.conftest import actions
from amanat.elections.models import Election
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import seed_categories
from amanat.lib.persian import to_persian_digits
from amanat.stations.models import Station

pytestmark = pytest.mark.django_db

BODY = {"category": "VB", "text": "پول در ازای رأی"}


@dataclass
class Place:
    first: Station  # 2310-0042, Gharchak: the inspector's county
    second: Station  # 2310-0043
    third: Station  # 2310-0044, in scope but never bound
    kerman: Station  # 815-0007, outside the inspector's scope


@pytest.fixture
def place(small_geo: Any, personas: Personas) -> Place:
    seed_categories()
    election = Election.objects.create(
        name="انتخابات آزمایشی", slug="test-1405",
        election_day=timezone.localdate() + datetime.timedelta(days=30),
    )

    def station(county: Any, unit: Any, code: str) -> Station:
        return Station.objects.create(election=election, county=county, unit=unit,
                                      unit_path=unit.path, code=code, name=f"شعبه {code}")

    city = small_geo.gharchak_city
    return Place(
        first=station(small_geo.gharchak, city, "0042"),
        second=station(small_geo.gharchak, city, "0043"),
        third=station(small_geo.gharchak, city, "0044"),
        kerman=station(small_geo.kerman_county, small_geo.villages[0], "0007"),
    )


def _issue(client: Client, stations: str, **extra: Any) -> Any:
    return client.post(reverse("stations:api_token_issue"),
                       {"name": "tablet", "ttl_days": 10, "stations": stations}, **extra)


def _bound(token: ApiToken) -> set[Station]:
    return {b.station for b in token.station_bindings.all()}


def _report(plaintext: str, station_code: str, key: str) -> int:
    response = Client().post(
        "/api/v1/incidents/reports", content_type="application/json",
        data={**BODY, "station_code": station_code},
        headers={"Authorization": f"Bearer {plaintext}", "Idempotency-Key": key},
    )
    return response.status_code


def test_token_bound_to_two_stations_reaches_only_them(
    client: Client, personas: Personas, place: Place, audit_events: list[dict[str, Any]]
) -> None:
    sign_in(client, personas.inspector)
    response = _issue(client, "2310-0042, 2310-0043")
    assert response.status_code == 200
    token = ApiToken.objects.get(user=personas.inspector)
    assert _bound(token) == {place.first, place.second}
    tokens = [e for e in audit_events if e["action"].startswith("api_token.")]
    assert actions(tokens) == ["api_token.issue", "api_token.bind"]
    assert tokens[1]["after"]["stations"] == sorted([place.first.pk, place.second.pk])

    profile = client.get(reverse("accounts_profile")).content.decode()
    assert reverse("stations:api_tokens") in profile
    listed = client.get(reverse("stations:api_tokens")).content.decode()
    assert to_persian_digits("2310-0042") in listed and to_persian_digits("2310-0043") in listed
    assert to_persian_digits("2310-0044") not in listed

    plaintext = response.context["plaintext"]
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert Client().get(f"/api/v1/stations/{place.first.pk}", headers=headers).status_code == 200
    assert Client().get(f"/api/v1/stations/{place.third.pk}", headers=headers).status_code == 404
    assert _report(plaintext, "2310-0042", "a") == 201
    assert _report(plaintext, "2310-0043", "b") == 201
    # In the user's scope, not bound: as a station that does not exist (user review F11).
    assert _report(plaintext, "2310-0044", "c") == 422
    assert Report.objects.count() == 2


def test_station_outside_scope_is_refused_like_an_unknown_one(
    client: Client, personas: Personas, place: Place, audit_events: list[dict[str, Any]]
) -> None:
    sign_in(client, personas.inspector)
    outside = _issue(client, "2310-0042\n815-0007")
    unknown = _issue(client, "2310-0042\n815-9999")
    for response, code in ((outside, "815-0007"), (unknown, "815-9999")):
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count("در انتخابات جاری و در حوزه شما یافت نشد") == 1
        # The code isolated left to right, in the page's digits.
        isolated = f'<bdi dir="ltr">{to_persian_digits(code)}</bdi>'
        assert f"شعبه «{isolated}» در انتخابات جاری و در حوزه شما یافت نشد." in page
        assert "plaintext" not in response.context
    assert not ApiToken.objects.exists()
    assert "api_token.issue" not in actions(audit_events)


def test_unreadable_codes_are_each_named_in_persian_and_english(
    client: Client, personas: Personas, place: Place
) -> None:
    sign_in(client, personas.inspector)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the user chose English
    response = _issue(client, "abc 2310-0042 2310-9999")
    page = response.content.decode()
    assert page.count("in the current election within your area.") == 2
    assert "No polling station “abc” in the current election within your area." in page
    assert "No polling station “2310-9999” in the current election within your area." in page
    assert not ApiToken.objects.exists()


def test_persian_digits_and_separators_are_accepted(
    client: Client, personas: Personas, place: Place
) -> None:
    sign_in(client, personas.inspector)
    response = _issue(client, "۲۳۱۰-۰۰۴۲، ۲۳۱۰/۰۰۴۳\n2310-0042")
    assert "plaintext" in response.context
    token = ApiToken.objects.get(user=personas.inspector)
    assert _bound(token) == {place.first, place.second}


def test_no_stations_keeps_the_whole_area(
    client: Client, personas: Personas, place: Place, audit_events: list[dict[str, Any]]
) -> None:
    sign_in(client, personas.inspector)
    response = _issue(client, "")
    assert "plaintext" in response.context
    assert not ApiToken.objects.get(user=personas.inspector).station_bindings.exists()
    assert "api_token.issue" in actions(audit_events)
    assert "api_token.bind" not in actions(audit_events)


@pytest.mark.parametrize(("language", "separator"), [("en", "2310-0042, 2310-0043"),
                                                     ("fa", "۲۳۱۰-۰۰۴۲، ۲۳۱۰-۰۰۴۳")])
def test_the_bound_stations_are_listed_in_the_page_language(
    client: Client, personas: Personas, place: Place, language: str, separator: str
) -> None:
    sign_in(client, personas.inspector)
    _issue(client, "2310-0042 2310-0043")
    listed = in_language(client, language).get(reverse("stations:api_tokens"))
    cell = re.search(r'data-testid="token-stations">(.*?)</td>', listed.content.decode())
    assert cell is not None
    assert re.sub(r"<[^>]+>", "", cell.group(1)) == separator
