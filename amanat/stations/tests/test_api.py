"""/api/v1/stations/: list (filters, pages, scope, query count), get, patch (rules,
scope, audit, idempotency), tokens."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from amanat.accounts import services as accounts
from amanat.accounts.models import ApiToken
from amanat.audit.models import Event
from amanat.core.models import IdempotencyRecord
from amanat.stations.models import Station
from amanat.stations.tests.conftest import Registry, make_station

LIST = "/api/v1/stations/"


def one(station: Station) -> str:
    return f"/api/v1/stations/{station.pk}"


def token_for(user: User) -> str:
    _, plaintext = accounts.api_token_issue(user=user, name="device", ttl_days=30, actor=user)
    return plaintext


ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


class Api:
    """A test client that sends a bearer token (and JSON bodies)."""

    def __init__(self, user: User) -> None:
        self.client = Client()
        self.token = token_for(user)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, url: str, params: dict[str, Any] | None = None, language: str = "") -> Any:
        extra = {"Accept-Language": language} if language else {}
        return self.client.get(url, params or {}, headers=self.headers(extra))

    def patch(self, url: str, body: Any, key: str | None = None, language: str = "") -> Any:
        extra = {"Idempotency-Key": key} if key else {}
        if language:
            extra["Accept-Language"] = language
        return self.client.patch(
            url, json.dumps(body), content_type="application/json", headers=self.headers(extra)
        )


@pytest.fixture
def admin(registry: Registry) -> Api:
    return Api(registry.personas.admin)


@pytest.fixture
def governor(registry: Registry) -> Api:
    return Api(registry.personas.gharchak_governor)


def codes(response: Any) -> list[str]:
    return [s["code"] for s in response.json()["results"]]


# --- list ---------------------------------------------------------------------------------


def test_list_returns_every_station_in_a_stable_order(registry: Registry, admin: Api) -> None:
    response = admin.get(LIST)
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["page"], body["page_size"]) == (7, 1, 50)
    # Ordered by county then code: Gharchak (2310), Kerman (815), Rafsanjan (809) by id.
    assert codes(response) == ["101", "102", "103", "104", "201", "202", "301"]
    first = body["results"][0]
    assert first["election"] == "councils-1405"
    assert first["county"]["code"] == "2310"
    assert first["unit"]["code"] == registry.geo.gharchak_city.code
    assert (first["cctv"], first["cameras"], first["fibre"]) == ("live", 2, "connected")
    assert first["ready"] is True
    assert first["cctv_label"] == "برخط" and first["status"] == "active"


def test_list_is_scoped_to_the_gharchak_governor(registry: Registry, governor: Api) -> None:
    response = governor.get(LIST)
    assert response.status_code == 200
    assert codes(response) == ["101", "102", "103", "104"]
    assert response.json()["count"] == 4
    # Asking for Kerman gives nothing, not Kerman's stations: the answer of an unknown
    # code, so a probe cannot tell which codes exist outside the scope.
    kerman, unknown = governor.get(LIST, {"county": "815"}), governor.get(LIST, {"county": "9999"})
    assert kerman.status_code == unknown.status_code == 422
    assert kerman.json()["errors"] == [{
        "field": "county", "code": "unknown_unit",
        "message": "شهرستانی با کد 815 در حوزه شما وجود ندارد"}]
    assert governor.get(LIST, {"province": "8"}).status_code == 422
    # The governor's own province is in reach (its filter gives his stations).
    assert codes(governor.get(LIST, {"province": "23"})) == ["101", "102", "103", "104"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"county": "2310"}, ["101", "102", "103", "104"]),
        ({"province": "8"}, ["201", "202", "301"]),
        ({"sensitive": "true"}, ["102", "202"]),
        ({"sensitive": "false", "province": "8"}, ["201", "301"]),
        ({"cctv": "none"}, ["102"]),
        ({"cctv": "any", "county": "2310"}, ["101", "103", "104"]),
        ({"fibre": "planned"}, ["104"]),
        ({"status": "closed"}, ["202"]),
        ({"ready": "true"}, ["101", "201", "301"]),
        ({"ready": "false", "county": "815"}, ["202"]),
        # Arabic yeh and kaf find the normalised Persian name.
        ({"q": "فردوسي"}, ["101"]),
        ({"q": "20"}, ["201", "202"]),
        ({"election": "councils-1405", "county": "809"}, ["301"]),
    ],
)
def test_list_filters(
    registry: Registry, admin: Api, params: dict[str, str], expected: list[str]
) -> None:
    response = admin.get(LIST, params)
    assert response.status_code == 200, response.content
    assert codes(response) == expected


def test_list_pages(registry: Registry, admin: Api) -> None:
    pages = [admin.get(LIST, {"page": n, "page_size": 3}).json() for n in (1, 2, 3, 4)]
    assert [p["count"] for p in pages] == [7, 7, 7, 7]
    assert [[s["code"] for s in p["results"]] for p in pages] == [
        ["101", "102", "103"], ["104", "201", "202"], ["301"], []
    ]


def test_every_api_path_answers_json_with_or_without_its_slash(
    registry: Registry, admin: Api
) -> None:
    """``/api/v1/stations`` is ``/api/v1/stations/`` (no HTML 301 that would drop a
    POST's body); a path no operation has is the API's JSON 404, not Django's HTML."""
    from django.urls import get_resolver

    with_slash = admin.get("/api/v1/stations/")
    without = admin.get("/api/v1/stations")
    assert without.status_code == 200 and without["Content-Type"].startswith("application/json")
    assert without.json() == with_slash.json()
    # Every GET route of the API without its trailing slash.
    api_patterns = [p for p in get_resolver().url_patterns if str(p.pattern) == "api/v1/"]
    routes = [str(p.pattern) for p in api_patterns[0].url_patterns]  # type: ignore[attr-defined]
    assert "stations/" in routes
    for route in routes:
        if "<" in route or not route.endswith("/"):
            continue
        response = admin.get("/api/v1/" + route.rstrip("/"))
        assert response.status_code != 301, route
        assert response["Content-Type"].startswith("application/json"), route
    for missing in ("/api/v1/nothing", "/api/v1/nothing/", "/api/v1/stations/x/y"):
        response = admin.get(missing, language="en")
        assert response.status_code == 404, missing
        assert response.json() == {"detail": "Not found", "errors": []}, missing
    # Without a token the routed operation still refuses, in JSON.
    anonymous = Client().get("/api/v1/stations")
    assert anonymous.status_code == 401 and anonymous.json()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page_size": 501}, "page_size"),
        ({"page": 0}, "page"),
        ({"status": "open"}, "status"),
        ({"election": "no-such-round"}, "election"),
        ({"county": "9999"}, "county"),
        ({"province": "99"}, "province"),
    ],
)
def test_list_rejects_bad_filters_in_both_languages(
    registry: Registry, admin: Api, params: dict[str, Any], field: str
) -> None:
    response = admin.get(LIST, params)
    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    english = admin.get(LIST, params, language="en").json()["errors"]
    assert [e["code"] for e in english] == [e["code"] for e in errors]
    assert ARABIC_SCRIPT.search(errors[0]["message"])  # Persian by default
    assert not ARABIC_SCRIPT.search(english[0]["message"])


def test_list_query_count_does_not_grow_with_the_page(
    registry: Registry, admin: Api, count_queries: Any
) -> None:
    admin.get(LIST)  # the token's first use is recorded once; keep it out of the counts

    def queries(page_size: int) -> int:
        return int(count_queries(lambda: admin.get(LIST, {"page_size": page_size})))

    small = queries(1)
    for n in range(20):
        make_station(registry.election, registry.geo.gharchak, f"9{n:02d}",
                     unit=registry.geo.gharchak_city)
    assert queries(500) == small
    filtered = {"county": "2310", "province": "23", "q": "شعبه", "ready": "false"}
    assert int(count_queries(lambda: admin.get(LIST, filtered))) == small + 2  # two lookups


def test_list_for_a_user_without_a_role_is_404(registry: Registry) -> None:
    assert Api(registry.personas.outsider).get(LIST).status_code == 404


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", ["none", "expired"])
def test_every_endpoint_needs_a_valid_token(registry: Registry, problem: str) -> None:
    user = registry.personas.admin
    token, plaintext = accounts.api_token_issue(user=user, name="d", ttl_days=1, actor=user)
    if problem == "expired":
        past = timezone.now() - datetime.timedelta(seconds=1)
        ApiToken.objects.filter(pk=token.pk).update(expires_at=past)
    headers = {"Authorization": f"Bearer {plaintext}"} if problem == "expired" else {}
    client, url = Client(), one(registry.g_ready)
    assert client.get(LIST, headers=headers).status_code == 401
    assert client.get(url, headers=headers).status_code == 401
    response = client.patch(url, json.dumps({"name": "x"}), content_type="application/json",
                            headers=headers)
    assert response.status_code == 401
    assert Station.objects.get(pk=registry.g_ready.pk).name == "دبستان فردوسی"


# --- get -------------------------------------------------------------------------------------


def test_get_one_station(registry: Registry, governor: Api) -> None:
    response = governor.get(one(registry.g_planned))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == registry.g_planned.pk
    assert body["fibre_planned_date"] == "2026-03-01"
    assert body["fibre_planned_date_jalali"] == "1404/12/10"
    assert body["unit"] is None and body["county"]["name"] == "قرچک"


def test_get_outside_scope_or_missing_is_404(registry: Registry, governor: Api) -> None:
    assert governor.get(one(registry.k_ready)).status_code == 404
    assert governor.get("/api/v1/stations/999999").status_code == 404
    denied = Event.objects.filter(action="access.denied", object_id=str(registry.k_ready.pk))
    assert denied.exists()


# --- patch -----------------------------------------------------------------------------------


def test_patch_changes_the_station_and_is_audited(registry: Registry, governor: Api) -> None:
    station = registry.g_no_cctv
    response = governor.patch(one(station), {
        "cctv": "recorded", "cameras": 3, "fibre": "planned",
        "fibre_planned_date": "۱۴۰۴/۱۱/۳۰", "address": "خيابان  اصلي",
    })
    assert response.status_code == 200, response.content
    assert response.json()["cctv"] == "recorded"
    assert response.json()["ready"] is True
    station.refresh_from_db()
    assert (station.cctv, station.cameras, station.fibre) == ("recorded", 3, "planned")
    assert station.fibre_date == datetime.date(2026, 2, 19)
    assert station.address == "خیابان اصلی"  # normalised: Persian yeh, one space
    event = Event.objects.get(action="station.update", object_id=str(station.pk))
    assert event.actor_id == registry.personas.gharchak_governor.pk
    assert event.before["cctv"] == "none" and event.after["cctv"] == "recorded"
    assert event.before["fibre_date"] is None and event.after["fibre_date"] == "2026-02-19"
    assert "name" not in event.after  # only what changed


def test_patch_accepts_iso_dates_and_clears_nullable_fields(
    registry: Registry, governor: Api
) -> None:
    station = registry.g_ready
    response = governor.patch(one(station), {
        "fibre_planned_date": "2026-03-05", "latitude": None, "longitude": None,
    })
    assert response.status_code == 200, response.content
    station.refresh_from_db()
    assert station.fibre_date == datetime.date(2026, 3, 5)
    assert station.latitude is None and station.h3_cell == ""


def test_patch_outside_scope_is_404_and_changes_nothing(
    registry: Registry, governor: Api
) -> None:
    station = registry.k_ready
    response = governor.patch(one(station), {"name": "ربوده"})
    assert response.status_code == 404
    station.refresh_from_db()
    assert station.name == "مدرسه کرمان"
    assert not Event.objects.filter(action="station.update").exists()


@pytest.mark.parametrize("who", ["viewer", "police", "inspector"])
def test_readers_can_read_but_not_patch(registry: Registry, viewer: User, who: str) -> None:
    user = viewer if who == "viewer" else getattr(registry.personas, who)
    api = Api(user)
    station = registry.g_ready
    assert api.get(one(station)).status_code == 200
    assert api.patch(one(station), {"name": "تغییر"}).status_code == 404
    station.refresh_from_db()
    assert station.name == "دبستان فردوسی"


def test_patch_rule_errors_are_422_in_both_languages(registry: Registry, governor: Api) -> None:
    station = registry.g_ready
    response = governor.patch(one(station), {
        "cctv": "none", "sensitive": True, "latitude": 10.0, "fibre": "planned",
    })
    assert response.status_code == 422
    errors = {e["field"]: e for e in response.json()["errors"]}
    assert set(errors) == {"cameras", "sensitivity_reason", "latitude", "fibre_planned_date"}
    assert errors["cameras"]["code"] == "cameras_without_cctv"
    assert "دوربین" in errors["cameras"]["message"]
    english = governor.patch(one(station), {"cctv": "none", "cameras": 3}, language="en")
    assert english.json()["errors"][0]["message"] == "a station without CCTV cannot have cameras"
    station.refresh_from_db()
    assert (station.cctv, station.sensitive, station.latitude) == ("live", False, 35.43)
    assert not Event.objects.filter(action="station.update").exists()


@pytest.mark.parametrize(
    ("body", "field", "fa"),
    [
        ({"cctv": "maybe"}, "cctv", "مقدار مجاز نیست"),
        ({"cameras": "three"}, "cameras", "عدد صحیح"),
        ({"code": "999"}, "code", "شناخته نیست"),
        ({"name": None}, "name", "null"),
        ({"fibre_planned_date": "1404/13/01"}, "fibre_planned_date", "ماه ۱۳ وجود ندارد"),
        ({"fibre_planned_date": "2026-02-30"}, "fibre_planned_date", "تاریخ معتبری"),
        ({"name": "x" * 201}, "name", "۲۰۰"),
        ({"route": "a\x00b"}, "route", "NUL"),
    ],
)
def test_patch_unreadable_values_are_422_in_both_languages(
    registry: Registry, governor: Api, body: dict[str, Any], field: str, fa: str
) -> None:
    response = governor.patch(one(registry.g_ready), body)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert fa in errors[0]["message"]
    english = governor.patch(one(registry.g_ready), body, language="en").json()["errors"]
    assert english[0]["code"] == errors[0]["code"]
    assert english[0]["message"] and not ARABIC_SCRIPT.search(english[0]["message"])


# --- idempotency -----------------------------------------------------------------------------


def test_patch_with_a_key_is_replayed_not_redone(registry: Registry, governor: Api) -> None:
    station, key = registry.g_ready, "3f1b2c9e-1111-4b6a-9d7e-000000000001"
    first = governor.patch(one(station), {"expected_voters": 950}, key=key)
    assert first.status_code == 200
    # Someone else changes the station in between; the retry must not undo it.
    Station.objects.filter(pk=station.pk).update(expected_voters=999)
    again = governor.patch(one(station), {"expected_voters": 950}, key=key)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Station.objects.get(pk=station.pk).expected_voters == 999
    assert Event.objects.filter(action="station.update").count() == 1
    assert IdempotencyRecord.objects.filter(key=key).count() == 1


def test_patch_key_reused_with_another_body_is_422(registry: Registry, governor: Api) -> None:
    station, key = registry.g_ready, "key-42"
    assert governor.patch(one(station), {"expected_voters": 950}, key=key).status_code == 200
    response = governor.patch(one(station), {"expected_voters": 10}, key=key)
    assert response.status_code == 422
    error = response.json()["errors"][0]
    assert error["field"] == "Idempotency-Key"
    assert error["code"] == "key_reused" and "کلید" in error["message"]
    assert Station.objects.get(pk=station.pk).expected_voters == 950


def test_patch_rejected_by_the_rules_keeps_the_key_free(
    registry: Registry, governor: Api
) -> None:
    station, key = registry.g_ready, "key-7"
    assert governor.patch(one(station), {"cameras": 0}, key=key).status_code == 422
    assert not IdempotencyRecord.objects.exists()
    assert governor.patch(one(station), {"cameras": 4}, key=key).status_code == 200
    assert Station.objects.get(pk=station.pk).cameras == 4


@pytest.mark.parametrize("typed", ["0808", "808", "۸۰۸", "۰۸۰۸"])
def test_list_filters_compare_codes_in_their_canonical_form(
    registry: Registry, admin: Api, typed: str
) -> None:
    """A spreadsheet's 808 (or a phone's Persian digits) is county 0808."""
    from amanat.stations.tests.conftest import unit

    bam = unit("county", "0808", "بم", registry.geo.kerman_province)
    make_station(registry.election, bam, "0001")
    response = admin.get(LIST, {"county": typed})
    assert response.status_code == 200, response.content
    assert codes(response) == ["0001"]
