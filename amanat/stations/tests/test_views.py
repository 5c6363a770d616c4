"""The station list, detail and edit pages: filters, sorting, query counts, scope, edits."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.stations.models import Station
from amanat.stations.tests.conftest import Registry, make_station

LIST = reverse("stations:list")


def client_for(user: Any, language: str | None = None) -> Client:
    client = sign_in(Client(), user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.get("/")  # settle the session so it stays out of query counts
    return client


def codes(response: Any) -> list[str]:
    return [s.code for s in response.context["page"].object_list]


@pytest.fixture
def admin(registry: Registry) -> Client:
    return client_for(registry.personas.admin)


@pytest.fixture
def governor(registry: Registry) -> Client:
    return client_for(registry.personas.gharchak_governor)


# --- list ---------------------------------------------------------------------------------


def test_list_shows_current_election_scoped_to_the_governor(
    registry: Registry, governor: Client
) -> None:
    response = governor.get(LIST)
    assert response.status_code == 200
    assert codes(response) == ["101", "102", "103", "104"]
    assert "مدرسه کرمان" not in response.content.decode()
    # Persian digits on display.
    assert "۱۰۱" in response.content.decode()


def test_list_filter_choices_are_limited_to_the_scope(registry: Registry, governor: Client) -> None:
    form = governor.get(LIST).context["form"]
    counties = [label for value, label in form.fields["county"].choices if value]
    assert counties == ["قرچک"]
    provinces = [label for value, label in form.fields["province"].choices if value]
    assert provinces == ["تهران"]


def test_a_county_outside_the_scope_is_not_a_valid_filter(
    registry: Registry, governor: Client
) -> None:
    response = governor.get(LIST, {"county": registry.geo.kerman_county.pk})
    assert codes(response) == []
    assert response.context["form"].errors


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["101", "102", "103", "104", "201", "202", "301"]),
        ({"ready": "yes"}, ["101", "201", "301"]),
        ({"ready": "no"}, ["102", "103", "104", "202"]),
        ({"sensitive": "yes"}, ["102", "202"]),
        ({"sensitive": "no"}, ["101", "103", "104", "201", "301"]),
        ({"cctv": "none"}, ["102"]),
        ({"cctv": "any"}, ["101", "103", "104", "201", "202", "301"]),
        ({"cctv": "recorded"}, ["103", "104"]),
        ({"fibre": "connected"}, ["101"]),
        ({"fibre": "planned"}, ["104"]),
        ({"status": "closed"}, ["202"]),
        ({"q": "۱۰۳"}, ["103"]),  # Persian digits find the ASCII code
        ({"q": "قلعه نو"}, ["102"]),  # a space matches the stored ZWNJ
        ({"q": "مدرسه كرمان"}, ["201"]),  # Arabic kaf matches Persian kaf
        ({"q": "مدرسه"}, ["201", "301"]),
    ],
)
def test_list_filters(
    registry: Registry, admin: Client, params: dict[str, str], expected: list[str]
) -> None:
    assert codes(admin.get(LIST, params)) == expected


def test_list_filters_by_province_and_county(registry: Registry, admin: Client) -> None:
    geo = registry.geo
    assert codes(admin.get(LIST, {"province": geo.kerman_province.pk})) == ["201", "202", "301"]
    assert codes(admin.get(LIST, {"county": geo.rafsanjan.pk})) == ["301"]
    # A county list narrowed to the chosen province.
    form = admin.get(LIST, {"province": geo.kerman_province.pk}).context["form"]
    assert sorted(label for value, label in form.fields["county"].choices if value) == [
        "رفسنجان", "کرمان"
    ]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("code", ["101", "102", "103", "104", "201", "202", "301"]),
        ("-voters", ["103", "101", "201", "102", "202", "104", "301"]),
        ("voters", ["301", "104", "202", "102", "201", "101", "103"]),
    ],
)
def test_list_sorting(registry: Registry, admin: Client, sort: str, expected: list[str]) -> None:
    assert codes(admin.get(LIST, {"sort": sort})) == expected


def test_list_sort_by_name(registry: Registry, admin: Client) -> None:
    # Collations differ between databases for Persian letters; these pairs agree in all.
    by_name = codes(admin.get(LIST, {"sort": "name"}))
    assert by_name[0] == "202"  # «خانه…» comes first
    assert by_name.index("101") < by_name.index("104")  # «دبس…» before «دبی…»
    assert codes(admin.get(LIST, {"sort": "-name"})) == by_name[::-1]


def test_list_sort_by_county_and_updated(registry: Registry, admin: Client) -> None:
    by_county = codes(admin.get(LIST, {"sort": "county"}))
    assert by_county.index("301") < by_county.index("101")  # رفسنجان before قرچک
    Station.objects.filter(pk=registry.r_ready.pk).update(name="تازه")
    registry.k_ready.name = "تازه‌تر"
    registry.k_ready.save()  # auto_now: the most recently updated
    assert codes(admin.get(LIST, {"sort": "-updated"}))[0] == "201"


def test_list_other_election_by_slug_and_unknown_slug(registry: Registry, admin: Client) -> None:
    from amanat.elections.models import Election

    Election.objects.create(name="Other", slug="other", election_day=registry.election.election_day)
    assert codes(admin.get(LIST, {"election": "other"})) == []
    assert admin.get(LIST, {"election": "nope"}).status_code == 404


def test_list_paginates_by_50(registry: Registry, admin: Client) -> None:
    for i in range(60):
        make_station(registry.election, registry.geo.rafsanjan, f"9{i:03d}")
    first = admin.get(LIST)
    assert len(first.context["page"].object_list) == 50
    assert first.context["page"].paginator.count == 67
    assert len(admin.get(LIST, {"page": 2}).context["page"].object_list) == 17


def _queries(client: Client, count_queries: Any, params: dict[str, Any]) -> int:
    def run() -> None:
        response = client.get(LIST, params)
        assert response.status_code == 200
        assert response.context["page"].object_list

    return int(count_queries(run))


def test_list_query_count_is_constant(
    registry: Registry, admin: Client, count_queries: Any
) -> None:
    baseline = _queries(admin, count_queries, {})
    geo = registry.geo
    for i in range(80):
        make_station(registry.election, geo.kerman_county, f"8{i:03d}",
                     unit=geo.villages[i % 3], cctv="live", cameras=1, sensitive=bool(i % 2),
                     sensitivity_reason="x")
    cases: list[dict[str, Any]] = [
        {}, {"page": 2}, {"ready": "no"}, {"sensitive": "yes", "sort": "county"},
        {"province": geo.kerman_province.pk, "sort": "-voters"},
        {"county": geo.kerman_county.pk, "cctv": "live", "q": "شعبه"},
        {"fibre": "none", "status": "active", "sort": "-updated"},
    ]
    counts = {str(params): _queries(admin, count_queries, params) for params in cases}
    assert set(counts.values()) == {baseline}, counts


def test_list_query_count_is_constant_for_a_governor(
    registry: Registry, governor: Client, count_queries: Any
) -> None:
    baseline = _queries(governor, count_queries, {})
    for i in range(60):
        make_station(registry.election, registry.geo.gharchak, f"7{i:03d}")
    assert _queries(governor, count_queries, {"ready": "no", "sort": "name"}) == baseline
    assert _queries(governor, count_queries, {"page": 2}) == baseline


def test_list_is_denied_to_a_user_without_a_role(registry: Registry) -> None:
    assert client_for(registry.personas.outsider).get(LIST).status_code == 404


# --- detail ------------------------------------------------------------------------------


def test_detail_shows_fields_map_and_history(registry: Registry, governor: Client) -> None:
    from amanat.stations.services import station_update

    station = registry.g_overdue
    station_update(station=station, data={"expected_voters": 1300},
                   actor=registry.personas.gharchak_governor)
    station_update(station=station, data={"power_backup": False},
                   actor=registry.personas.gharchak_governor)
    response = governor.get(reverse("stations:detail", args=[station.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "کانون فرهنگی" in body and "۱٬۳۰۰" in body
    assert 'id="station-point"' in body and "stations/station-point.js" in body
    history = list(response.context["history"])
    assert [row.event.action for row in history] == ["station.update", "station.update"]
    assert history[0].event.after == {"power_backup": False}  # newest first
    assert history[1].event.before == {"expected_voters": 1200}


def test_detail_outside_scope_is_404(registry: Registry, governor: Client) -> None:
    response = governor.get(reverse("stations:detail", args=[registry.k_ready.pk]))
    assert response.status_code == 404
    assert Event.objects.filter(action="access.denied").exists()


# --- edit --------------------------------------------------------------------------------


def _form_data(station: Station, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": station.name, "address": station.address,
        "unit": station.unit_id or "", "latitude": station.latitude or "",
        "longitude": station.longitude or "", "venue": station.venue, "kind": station.kind,
        "route": station.route, "expected_voters": station.expected_voters,
        "capacity": station.capacity or "", "cctv": station.cctv, "cameras": station.cameras,
        "fibre": station.fibre, "fibre_date": "", "sensitivity_reason": station.sensitivity_reason,
        "status": station.status, "closed_reason": station.closed_reason,
    }
    for flag in ("power_backup", "evoting_planned", "evoting_ready", "accessible", "sensitive"):
        if getattr(station, flag):
            data[flag] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not False}


def test_edit_valid_saves_and_audits_only_the_changes(
    registry: Registry, governor: Client
) -> None:
    station = registry.g_no_cctv
    url = reverse("stations:edit", args=[station.pk])
    assert governor.get(url).status_code == 200
    response = governor.post(url, _form_data(
        station, cctv="live", cameras="۳", expected_voters="۶۵۰", fibre_date="",
    ))
    assert response.status_code == 302
    station.refresh_from_db()
    assert (station.cctv, station.cameras, station.expected_voters) == ("live", 3, 650)
    event = Event.objects.get(action="station.update", object_id=str(station.pk))
    assert event.object_type == "stations.station"
    assert event.before == {"cameras": 0, "cctv": "none", "expected_voters": 500}
    assert event.after == {"cameras": 3, "cctv": "live", "expected_voters": 650}
    assert event.actor_name == "gharchak_governor"


def test_edit_jalali_fibre_date(registry: Registry, governor: Client) -> None:
    station = registry.g_overdue
    response = governor.post(reverse("stations:edit", args=[station.pk]), _form_data(
        station, fibre="planned", fibre_date="۱۴۰۴/۱۲/۱۰",
    ))
    assert response.status_code == 302
    station.refresh_from_db()
    assert station.fibre_date is not None and station.fibre_date.isoformat() == "2026-03-01"


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fa", "برای شعبه حساس دلیل حساسیت لازم است"),
        ("en", "a sensitive station needs a reason"),
    ],
)
def test_edit_invalid_changes_nothing_and_shows_the_rule(
    registry: Registry, language: str, message: str
) -> None:
    client = client_for(registry.personas.gharchak_governor, language)
    station = registry.g_ready
    before = Station.objects.filter(pk=station.pk).values().get()
    response = client.post(reverse("stations:edit", args=[station.pk]), _form_data(
        station, sensitive="on", sensitivity_reason="", expected_voters="5",
    ))
    assert response.status_code == 200
    assert response.context["form"].errors["sensitivity_reason"] == [message]
    assert message in response.content.decode()
    assert Station.objects.filter(pk=station.pk).values().get() == before
    assert not Event.objects.filter(action="station.update").exists()


def test_edit_invalid_camera_rule_in_persian(registry: Registry, governor: Client) -> None:
    station = registry.g_no_cctv
    response = governor.post(reverse("stations:edit", args=[station.pk]),
                             _form_data(station, cameras="2"))
    assert response.context["form"].errors["cameras"] == [
        "شعبه بدون دوربین مدار بسته نمی‌تواند تعداد دوربین داشته باشد"
    ]
    station.refresh_from_db()
    assert station.cameras == 0


def test_edit_outside_scope_is_404_and_changes_nothing(
    registry: Registry, governor: Client
) -> None:
    station = registry.k_ready
    url = reverse("stations:edit", args=[station.pk])
    assert governor.get(url).status_code == 404
    response = governor.post(url, _form_data(station, name="دستکاری"))
    assert response.status_code == 404
    station.refresh_from_db()
    assert station.name == "مدرسه کرمان"


def test_view_only_role_cannot_edit(registry: Registry) -> None:
    police = client_for(registry.personas.police)
    station = registry.g_ready
    assert police.get(reverse("stations:detail", args=[station.pk])).status_code == 200
    response = police.post(reverse("stations:edit", args=[station.pk]),
                           _form_data(station, name="دستکاری"))
    assert response.status_code == 404
    station.refresh_from_db()
    assert station.name == "دبستان فردوسی"


def test_number_boxes_take_persian_digits_as_typed(registry: Registry, governor: Client) -> None:
    """A browser's type=number box drops «۱۲۰۰» before it is sent: counts are text boxes
    with the digit keypad, shown and read in Persian digits."""
    station = registry.g_no_cctv
    page = governor.get(reverse("stations:edit", args=[station.pk])).content.decode()
    box = re.search(r'<input[^>]*name="expected_voters"[^>]*>', page)
    assert box is not None
    assert 'type="text"' in box[0] and 'inputmode="numeric"' in box[0]
    assert 'value="۵۰۰"' in box[0] and 'dir="ltr"' in box[0]
    assert 'type="number"' not in page
