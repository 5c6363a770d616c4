"""Tokens and the field API after the election-day attack review (2026-12): a station-bound
token fails closed when its bindings go (F4), an idempotent replay is never answered
before the station check (F12), and a station the token may not use gets the answer of a
station that does not exist (user review F11)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amanat.core.models import IdempotencyRecord
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import seed_categories
from amanat.operations.models import Checkin, Window
from amanat.operations.tests.conftest import Day, day  # noqa: F401  (a fixture)
from amanat.stations.admin import TokenStationAdmin
from amanat.stations.models import BoundToken, TokenStation
from amanat.stations.services import station_token_issue
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db

CHECKINS = "/api/v1/operations/checkins"
REPORTS = "/api/v1/incidents/reports"
TURNOUT = {"station": "2310-0042", "window": "T1", "voters": 120}


@pytest.fixture
def open_day(day: Day) -> Day:  # noqa: F811
    now = timezone.now()
    for window in Window.objects.filter(election=day.election):
        window.opens_at = now - datetime.timedelta(hours=1)
        window.closes_at = now + datetime.timedelta(hours=1)
        window.save()
    seed_categories()
    return day


def _token(user: Any, *stations: Any) -> str:
    _, plaintext = station_token_issue(user=user, name="tablet", ttl_days=1, actor=user,
                                       stations=stations)
    return plaintext


def _post(token: str, path: str, body: dict[str, Any], key: str) -> Any:
    return Client().post(path, content_type="application/json", data=body,
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def _get(token: str, path: str, **params: Any) -> Any:
    return Client().get(path, params, headers={"Authorization": f"Bearer {token}"})


def test_a_bound_token_whose_bindings_are_deleted_reaches_nothing(
        open_day: Day, personas: Any) -> None:
    """F4: the token was issued bound to station 0042; its bindings deleted (the admin, a
    cascade, a database edit), it must not fall back to its user's whole scope."""
    inspector = personas.inspector
    other = make_station(open_day.election, open_day.gharchak_station.county, "0043",
                         unit=open_day.gharchak_station.unit, expected_voters=600)
    device = _token(inspector, open_day.gharchak_station)
    assert _get(device, "/api/v1/operations/stations/2310-0042/day").status_code == 200
    TokenStation.objects.all().delete()

    checkin = _post(device, CHECKINS, {**TURNOUT, "station": "2310-0043"}, "k1")
    assert checkin.status_code == 422, checkin.content
    assert checkin.json()["errors"][0]["code"] == "unknown_station"
    assert _post(device, CHECKINS, TURNOUT, "k2").status_code == 422
    assert _get(device, "/api/v1/operations/stations/2310-0043/day").status_code == 404
    assert _get(device, "/api/v1/operations/stations/2310-0042/day").status_code == 404
    listed = _get(device, "/api/v1/stations/", election=open_day.election.slug)
    assert listed.status_code == 200 and listed.json()["results"] == []
    assert _get(device, f"/api/v1/stations/{other.pk}").status_code == 404
    assert _get(device, f"/api/v1/staffing/stations/{other.pk}/posts").status_code == 404
    report = _post(device, REPORTS, {"category": "VB", "text": "پول در ازای رأی",
                                     "station_code": "2310-0043"}, "r1")
    assert report.status_code == 422 and report.json()["errors"][0]["code"] == "unknown_station"
    by_place = _post(device, REPORTS, {"category": "VB", "text": "پول در ازای رأی",
                                       "unit_id": open_day.gharchak_station.county_id}, "r2")
    assert by_place.status_code == 422
    assert Checkin.objects.count() == 0 and Report.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0

    # A token issued unbound (a script at headquarters) keeps its user's scope.
    script = _token(inspector)
    assert _post(script, CHECKINS, {**TURNOUT, "station": "2310-0043"}, "k1").status_code == 201
    # Deleting a binding in Django's admin is refused (a device's bindings end with it).
    assert not TokenStationAdmin(TokenStation, None).has_delete_permission(None)  # type: ignore[arg-type]


def test_a_bound_token_is_marked_bound_for_good(open_day: Day, personas: Any) -> None:
    _token(personas.inspector, open_day.gharchak_station)
    _token(personas.inspector)
    assert BoundToken.objects.count() == 1


def test_a_replay_is_not_answered_before_the_station_check(open_day: Day, personas: Any
                                                           ) -> None:
    """F12: the same user's unbound token stores a check-in under key K; a device token of
    that user bound to another station sending the same body and key must not get the
    stored answer (another station's check-in)."""
    inspector = personas.inspector
    other = make_station(open_day.election, open_day.gharchak_station.county, "0043",
                         unit=open_day.gharchak_station.unit, expected_voters=600)
    script = _token(inspector)
    first = _post(script, CHECKINS, TURNOUT, "K")
    assert first.status_code == 201, first.content
    device = _token(inspector, other)
    replay = _post(device, CHECKINS, TURNOUT, "K")
    assert replay.status_code == 422, replay.content
    assert replay.json()["errors"][0]["code"] == "unknown_station"
    assert "id" not in replay.json() and replay.get("Idempotent-Replayed") is None
    # The unbound token still gets its replay.
    again = _post(script, CHECKINS, TURNOUT, "K")
    assert again.status_code == 201 and again.json() == first.json()
    assert again.get("Idempotent-Replayed") == "true"

    # The same for incident reports.
    body = {"category": "VB", "text": "پول در ازای رأی", "station_code": "2310-0042"}
    stored = _post(script, REPORTS, body, "R")
    assert stored.status_code == 201, stored.content
    refused = _post(device, REPORTS, body, "R")
    assert refused.status_code == 422 and "reference" not in refused.json()
    assert refused.json()["errors"][0]["code"] == "unknown_station"
    assert Checkin.objects.count() == 1 and Report.objects.count() == 1


def test_a_station_outside_the_token_is_answered_as_one_that_does_not_exist(
        open_day: Day, personas: Any) -> None:
    """User review F11: one answer, leaking nothing, whether the station is the user's
    but not the token's, in another province, or does not exist."""
    make_station(open_day.election, open_day.gharchak_station.county, "0043",
                 unit=open_day.gharchak_station.unit, expected_voters=600)
    device = _token(personas.inspector, open_day.gharchak_station)
    answers = [_post(device, CHECKINS, {**TURNOUT, "station": code}, f"k-{code}")
               for code in ("2310-0043", "815-0007", "2310-9999")]
    assert {a.status_code for a in answers} == {422}
    errors = [a.json()["errors"] for a in answers]
    assert all(len(e) == 1 and e[0]["code"] == "unknown_station"
               and e[0]["field"] == "station" for e in errors)
    assert [e[0]["message"].replace(code, "X") for e, code in
            zip(errors, ("2310-0043", "815-0007", "2310-9999"), strict=True)] \
        == [errors[2][0]["message"].replace("2310-9999", "X")] * 3
    assert Checkin.objects.count() == 0


def test_the_tokens_page_does_not_call_an_emptied_device_token_whole_area(
        open_day: Day, personas: Any, client: Any) -> None:
    from django.urls import reverse
    from django.utils import translation

    from amanat.accounts.testing import sign_in

    _token(personas.inspector, open_day.gharchak_station)
    TokenStation.objects.all().delete()
    _token(personas.inspector)  # a script's: the whole area
    sign_in(client, personas.inspector)
    page = client.get(reverse("stations:api_tokens"))
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in
             page.content.decode().split('data-testid="token-stations"')[1:]]
    with translation.override("fa"):
        expected = {translation.gettext("No station: its stations were unbound"),
                    translation.gettext("Your whole area")}
    assert set(cells) == expected, cells
