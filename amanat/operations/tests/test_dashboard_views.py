"""The election-day pages through their views: the dashboard and its JSON data at the
country, a province and a county, the station's day, the web check-in form and the
windows page; allowed and denied paths."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from amanat.audit.models import Event
from amanat.operations import services
from amanat.operations.models import Checkin, DaySettings, StationDay, Window
from amanat.operations.services import Values
from amanat.plans.tests.conftest import client_for
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db


def _open_now(day: Any, *codes: str) -> None:
    """Move the windows ``codes`` so that they are open now (the form offers only those)."""
    now = timezone.now()
    Window.objects.filter(election=day.election, code__in=codes).update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=1))


def _data(client: Any, unit: Any, day: Any) -> dict[str, Any]:
    url = reverse("operations:dashboard_data", args=[unit.pk]) + f"?election={day.election.slug}"
    response = client.get(url)
    assert response.status_code == 200
    return dict(response.json())


def _turnout(day: Any, station: Any, voters: int, code: str = "T1") -> None:
    _open_now(day, code)
    window = Window.objects.get(election=day.election, code=code)
    services.checkin_record(station=station, window=window, values=Values(voters=voters),
                            source="web")


def test_country_dashboard_counts_per_province(day: Any, personas: Any, small_geo: Any) -> None:
    _turnout(day, day.gharchak_station, 200)
    client = client_for(personas.admin)
    page = client.get(reverse("operations:dashboard") + f"?election={day.election.slug}")
    assert page.status_code == 200
    assert page.context["unit"] == small_geo.iran
    data = _data(client, small_geo.iran, day)
    assert data["level"] == "province"
    rows = {row["id"]: row for row in data["rows"]}
    tehran = rows[small_geo.tehran.pk]
    assert (tehran["stations"], tehran["opened"], tehran["reporting"], tehran["voters"],
            tehran["registered"], tehran["turnout"]) == (1, 0, 1, 200, 800, 25.0)
    kerman = rows[small_geo.kerman_province.pk]
    assert (kerman["reporting"], kerman["voters"], kerman["turnout"]) == (0, 0, 0.0)
    assert data["totals"]["stations"] == 2
    assert data["totals"]["voters"] == 200


def test_quarantined_turnout_never_reaches_the_dashboard(day: Any, personas: Any,
                                                        small_geo: Any) -> None:
    _turnout(day, day.gharchak_station, 300)
    # Above the 800 registered voters: flagged, quarantined, not published.
    _turnout(day, day.gharchak_station, 950, code="T2")
    data = _data(client_for(personas.admin), small_geo.tehran, day)
    [gharchak] = data["rows"]
    assert gharchak["voters"] == 300
    assert gharchak["flagged"] == 1


def test_silent_and_closed_stations(day: Any, personas: Any, small_geo: Any) -> None:
    DaySettings.objects.update_or_create(election=day.election,
                                         defaults={"silent_after_minutes": 30})
    long_ago = timezone.now() - datetime.timedelta(hours=3)
    StationDay.objects.filter(station=day.kerman_station).update(last_heard_at=long_ago)
    _turnout(day, day.gharchak_station, 10)
    data = _data(client_for(personas.admin), small_geo.iran, day)
    assert (data["totals"]["reporting"], data["totals"]["silent"]) == (1, 1)
    StationDay.objects.filter(station=day.kerman_station).update(closed_at=long_ago)
    data = _data(client_for(personas.admin), small_geo.iran, day)
    assert (data["totals"]["silent"], data["totals"]["closed"]) == (0, 1)


def test_province_and_county_levels(day: Any, personas: Any, small_geo: Any) -> None:
    _turnout(day, day.gharchak_station, 40)
    client = client_for(personas.tehran_officer)
    data = _data(client, small_geo.tehran, day)
    assert data["level"] == "county"
    assert [row["id"] for row in data["rows"]] == [small_geo.gharchak.pk]
    data = _data(client, small_geo.gharchak, day)
    assert data["level"] == "station"
    [row] = data["rows"]
    assert (row["id"], row["state"], row["voters"]) == (day.gharchak_station.pk, "reporting", 40)


def test_home_unit_is_the_users_scope(day: Any, personas: Any, small_geo: Any) -> None:
    page = client_for(personas.gharchak_governor).get(
        reverse("operations:dashboard") + f"?election={day.election.slug}")
    assert page.context["unit"] == small_geo.gharchak
    assert page.context["data"]["level"] == "station"


def test_out_of_scope_is_404(day: Any, personas: Any, small_geo: Any) -> None:
    governor = client_for(personas.gharchak_governor)
    query = f"?election={day.election.slug}"
    for unit in (small_geo.iran, small_geo.tehran, small_geo.kerman_county):
        assert governor.get(reverse("operations:dashboard_unit", args=[unit.pk]) + query
                            ).status_code == 404
        assert governor.get(reverse("operations:dashboard_data", args=[unit.pk]) + query
                            ).status_code == 404
    # A unit that is no dashboard level (a city) is not found either.
    admin = client_for(personas.admin)
    assert admin.get(reverse("operations:dashboard_unit", args=[small_geo.gharchak_city.pk])
                     + query).status_code == 404
    # Roles without the day (the police officer, someone with no role): 404.
    for user in (personas.police, personas.outsider):
        client = client_for(user)
        assert client.get(reverse("operations:dashboard") + query).status_code == 404
        assert client.get(reverse("operations:dashboard_data", args=[small_geo.gharchak.pk])
                          + query).status_code == 404
    assert governor.get(reverse("operations:station_day", args=[day.kerman_station.pk])
                        ).status_code == 404


def test_dashboard_data_query_count_is_constant(day: Any, personas: Any, small_geo: Any,
                                                count_queries: Any) -> None:
    client = client_for(personas.admin)
    url = (reverse("operations:dashboard_data", args=[small_geo.iran.pk])
           + f"?election={day.election.slug}")
    before = count_queries(lambda: client.get(url))
    for number in range(5):
        make_station(day.election, small_geo.kerman_county, f"09{number}",
                     unit=small_geo.kerman_city, expected_voters=300)
    services.day_prepare(election=day.election)
    _turnout(day, day.kerman_station, 5)
    assert count_queries(lambda: client.get(url)) == before
    county_url = (reverse("operations:dashboard_data", args=[small_geo.kerman_county.pk])
                  + f"?election={day.election.slug}")
    assert len(client.get(county_url).json()["rows"]) == 6


def test_navigation_links_for_the_roles_that_watch(day: Any, personas: Any) -> None:
    home = client_for(personas.gharchak_governor).get("/")
    assert b'data-testid="nav-operations"' in home.content
    assert b'data-testid="home-operations"' in home.content
    home = client_for(personas.police).get("/")
    assert b'data-testid="nav-operations"' not in home.content
    # From a station's record to its day, and from the field app to the check-ins.
    inspector = client_for(personas.inspector)
    page = inspector.get(reverse("stations:detail", args=[day.gharchak_station.pk]))
    assert b'data-testid="station-day-link"' in page.content
    assert b'data-testid="field-checkin"' in inspector.get(reverse("portal:field")).content


# -- the station's day and the web check-in ------------------------------------------

def test_inspector_files_a_turnout_checkin(day: Any, personas: Any) -> None:
    _open_now(day, "T1")
    client = client_for(personas.inspector)
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    form = client.get(url)
    assert form.status_code == 200
    offered = [label for _value, label in form.context["form"].fields["window"].choices]
    assert len(offered) == 1  # only the open window
    window = Window.objects.get(election=day.election, code="T1")
    response = client.post(url, {"window": window.pk, "voters": "۱۲۰"})
    assert response.status_code == 302
    checkin = Checkin.objects.get(station=day.gharchak_station)
    assert (checkin.voters, checkin.source, checkin.reporter_id) == (
        120, "web", personas.inspector.pk)
    assert Event.objects.filter(action="operations.checkin.receive").count() == 1
    page = client.get(reverse("operations:station_day", args=[day.gharchak_station.pk]))
    assert page.status_code == 200
    assert len(page.context["checkins"]) == 1
    assert page.context["day"].voters == 120


def test_opening_checkin_with_staff(day: Any, personas: Any) -> None:
    _open_now(day, "O")
    client = client_for(personas.gharchak_governor)
    window = Window.objects.get(election=day.election, code="O")
    response = client.post(reverse("operations:checkin", args=[day.gharchak_station.pk]), {
        "window": window.pk, "staff_representative": "1", "staff_member": "4",
        "materials": "yes", "cameras": "no", "network": "yes"})
    assert response.status_code == 302
    checkin = Checkin.objects.get(station=day.gharchak_station)
    assert checkin.staff == {"representative": 1, "member": 4}
    assert (checkin.materials, checkin.cameras) == (True, False)
    assert StationDay.objects.get(station=day.gharchak_station).opened_at is not None


@pytest.mark.parametrize("language", ["fa", "en"])
def test_impossible_numbers_are_refused_and_nothing_stored(day: Any, personas: Any,
                                                           language: str) -> None:
    _open_now(day, "T1")
    client = client_for(personas.inspector)
    client.cookies["django_language"] = language
    window = Window.objects.get(election=day.election, code="T1")
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    response = client.post(url, {"window": window.pk, "voters": "250000"},
                           HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    text = response.content.decode()
    assert ("is not a possible number of voters" in text) == (language == "en")
    assert Checkin.objects.count() == 0
    # Turnout without its number: refused too.
    response = client.post(url, {"window": window.pk}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    assert Checkin.objects.count() == 0


def test_closed_window_is_not_offered_nor_accepted(day: Any, personas: Any) -> None:
    client = client_for(personas.inspector)
    url = reverse("operations:checkin", args=[day.gharchak_station.pk])
    page = client.get(url)
    assert b'data-testid="no-window"' in page.content
    window = Window.objects.get(election=day.election, code="T1")  # closed (June)
    response = client.post(url, {"window": window.pk, "voters": "10"})
    assert response.status_code == 200
    # The service's refusal says when the window is open.
    [message] = response.context["form"].errors["window"]
    assert "۱۰:۰۰" in message
    assert Checkin.objects.count() == 0


def test_checkin_denied_paths(day: Any, personas: Any) -> None:
    _open_now(day, "T1")
    window = Window.objects.get(election=day.election, code="T1")
    # Another county's station, a role that may not check in, no role at all: 404.
    for user, station in ((personas.inspector, day.kerman_station),
                          (personas.auditor, day.gharchak_station),
                          (personas.police, day.gharchak_station),
                          (personas.outsider, day.gharchak_station)):
        client = client_for(user)
        url = reverse("operations:checkin", args=[station.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"window": window.pk, "voters": "5"}).status_code == 404
    assert Checkin.objects.count() == 0
    # The auditor reads the station's day but is offered no check-in.
    page = client_for(personas.auditor).get(
        reverse("operations:station_day", args=[day.gharchak_station.pk]))
    assert page.status_code == 200
    assert b'data-testid="checkin-link"' not in page.content


# -- the windows and the day's settings ----------------------------------------------

def test_national_admin_changes_the_windows(day: Any, personas: Any) -> None:
    client = client_for(personas.admin)
    query = f"?election={day.election.slug}"
    page = client.get(reverse("operations:windows") + query)
    assert b'data-testid="windows-edit-link"' in page.content
    url = reverse("operations:windows_edit") + query
    page = client.get(url)
    assert page.status_code == 200
    data = dict(page.context["form"].initial)
    t1 = Window.objects.get(election=day.election, code="T1")
    data.update({key: value.strftime("%H:%M") for key, value in data.items()
                 if hasattr(value, "strftime")})
    data[f"w{t1.pk}_opens"], data[f"w{t1.pk}_closes"] = "09:30", "11:00"
    data["silent_after_minutes"] = "45"
    response = client.post(url, data)
    assert response.status_code == 302
    t1.refresh_from_db()
    assert timezone.localtime(t1.opens_at).strftime("%H:%M") == "09:30"
    assert timezone.localtime(t1.closes_at).strftime("%H:%M") == "11:00"
    assert DaySettings.objects.get(election=day.election).silent_after_minutes == 45
    event = Event.objects.get(action="operations.windows.update")
    assert event.before["windows"]["T1"][0].endswith("09:45")
    # The closing window still ends on the next day.
    closing = Window.objects.get(election=day.election, code="C")
    assert (timezone.localtime(closing.closes_at).date()
            > timezone.localtime(closing.opens_at).date())


def test_windows_page_denied_paths(day: Any, personas: Any) -> None:
    query = f"?election={day.election.slug}"
    governor = client_for(personas.gharchak_governor)
    page = governor.get(reverse("operations:windows") + query)
    assert page.status_code == 200  # the times are public to every role
    assert b'data-testid="windows-edit-link"' not in page.content
    url = reverse("operations:windows_edit") + query
    assert governor.get(url).status_code == 404
    assert governor.post(url, {"silent_after_minutes": "5"}).status_code == 404
    assert Event.objects.filter(action="operations.windows.update").count() == 0
    assert Event.objects.filter(action="access.denied").count() == 1
    # The Tehran officer (headquarters, not national administrator) may not either.
    assert client_for(personas.tehran_officer).get(url).status_code == 404


def test_default_windows_created_from_the_page(personas: Any, small_geo: Any) -> None:
    from amanat.elections.models import Election

    election = Election.objects.create(name="دیگر", slug="other",
                                       election_day=datetime.date(2026, 9, 1))
    client = client_for(personas.admin)
    assert b'data-testid="windows-create"' in client.get(
        reverse("operations:windows") + "?election=other").content
    url = reverse("operations:windows_edit") + "?election=other"
    assert client.post(url, {"create": "1"}).status_code == 302
    assert Window.objects.filter(election=election).count() == 6
    assert Event.objects.filter(action="operations.windows.create").count() == 1
