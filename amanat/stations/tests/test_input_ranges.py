"""Dates and counts of a station are checked against a plausible range on every path
(API, edit page, import, service) before anything is stored (issue 11, §3)."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import openpyxl
import pytest
from django.test import Client

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.lib.jalali import era_years
from amanat.lib.persian import to_persian_digits
from amanat.stations.models import Station
from amanat.stations.services import StationInvalid, station_import, station_update
from amanat.stations.tests.conftest import Registry
from amanat.stations.tests.test_api import Api, one

PLANNED = datetime.date(2026, 3, 1)


def _unchanged(station: Station) -> None:
    station.refresh_from_db()
    assert (station.fibre, station.fibre_date) == ("planned", PLANNED)


# --- the review's case: PATCH with 9999-12-31 ---------------------------------------------


def test_a_far_fibre_date_is_refused_stores_nothing_and_every_page_still_answers(
    registry: Registry,
) -> None:
    governor = Api(registry.personas.gharchak_governor)
    station = registry.g_planned
    events = Event.objects.count()
    far = {"fibre": "planned", "fibre_planned_date": "9999-12-31"}
    response = governor.patch(one(station), far)
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert (error["field"], error["code"]) == ("fibre_planned_date", "era")
    assert "۹۹۹۹" in error["message"]
    (english,) = governor.patch(one(station), far, language="en").json()["errors"]
    assert "9999" in english["message"] and "too far from today" in english["message"]
    _unchanged(station)
    assert Event.objects.count() == events
    assert governor.get(one(station)).status_code == 200
    client = sign_in(Client(), registry.personas.gharchak_governor)
    for url in ("/stations/", f"/stations/{station.pk}/", f"/stations/{station.pk}/edit/"):
        assert client.get(url).status_code == 200, url
    assert client.post("/stations/export.xlsx").status_code == 200
    rows = list(csv.reader(io.StringIO(
        b"".join(client.post("/stations/export.csv").streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + Station.objects.filter(county=registry.geo.gharchak).count()


@pytest.mark.parametrize("value", [
    "0001-01-01", "1700-01-01", "2100-06-01", "۹۹۹۹-۱۲-۳۱", "1304/05/05", "9377/01/01",
    "2026-02-30", "2026-2-19",
])
def test_dates_outside_the_era_or_unreal_are_refused_with_the_field(
    registry: Registry, value: str,
) -> None:
    governor = Api(registry.personas.gharchak_governor)
    response = governor.patch(one(registry.g_planned), {"fibre_planned_date": value})
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == "fibre_planned_date"
    assert error["code"] in {"era", "iso", "gregorian", "format", "month", "day"}
    assert error["message"]
    _unchanged(registry.g_planned)


def test_iso_and_jalali_dates_of_the_era_are_taken(registry: Registry) -> None:
    governor = Api(registry.personas.gharchak_governor)
    station = registry.g_planned
    assert governor.patch(one(station), {"fibre_planned_date": "2026-03-10"}).status_code == 200
    station.refresh_from_db()
    assert station.fibre_date == datetime.date(2026, 3, 10)
    assert governor.patch(one(station), {"fibre_planned_date": "۱۴۰۴/۱۲/۲۰"}).status_code == 200
    station.refresh_from_db()
    assert station.fibre_date == datetime.date(2026, 3, 11)


def test_the_era_message_names_the_allowed_gregorian_years(registry: Registry) -> None:
    governor = Api(registry.personas.gharchak_governor)
    response = governor.patch(one(registry.g_planned), {"fibre_planned_date": "1950-01-01"},
                              language="en")
    low, _high = era_years()
    assert "year 1950" in response.json()["errors"][0]["message"]
    assert str(low) not in response.json()["errors"][0]["message"]  # Gregorian, not Jalali


@pytest.mark.parametrize(("field", "value"), [
    ("expected_voters", 100_001), ("expected_voters", 9_223_372_036_854_775_808),
    ("capacity", 2**31), ("cameras", 101), ("cameras", -1), ("expected_voters", -5),
])
def test_counts_outside_the_plausible_range_are_refused(
    registry: Registry, field: str, value: int,
) -> None:
    governor = Api(registry.personas.gharchak_governor)
    station = registry.g_ready
    before = Station.objects.filter(pk=station.pk).values(field).get()
    response = governor.patch(one(station), {field: value})
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert Station.objects.filter(pk=station.pk).values(field).get() == before


# --- the same rules on the other paths ----------------------------------------------------


def test_the_edit_page_refuses_a_far_date_and_a_huge_count(registry: Registry) -> None:
    station = registry.g_planned
    client = sign_in(Client(), registry.personas.gharchak_governor)
    form = client.get(f"/stations/{station.pk}/edit/").context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"unit": "", "fibre_date": "1304/05/05", "expected_voters": "99999999999999999999"}
    for flag in ("power_backup", "evoting_planned", "evoting_ready", "accessible", "sensitive"):
        if not data.get(flag):
            data.pop(flag, None)
    response = client.post(f"/stations/{station.pk}/edit/", data)
    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["form"].errors
    assert {"fibre_date", "expected_voters"} <= set(errors)
    _unchanged(station)
    assert station.expected_voters == 300


def test_the_service_refuses_what_no_interface_may_store(registry: Registry) -> None:
    station = registry.g_planned
    admin = registry.personas.admin
    for data in ({"fibre_date": datetime.date(9999, 12, 31)},
                 {"fibre_date": datetime.date(1, 1, 1)},
                 {"expected_voters": 2**40}, {"cameras": 10_000}):
        with pytest.raises(StationInvalid) as caught:
            station_update(station=Station.objects.get(pk=station.pk), data=data, actor=admin)
        assert caught.value.errors[0].field == next(iter(data))
    _unchanged(station)


def test_the_import_refuses_far_dates_and_huge_counts(geo: Any, election: Any,
                                                      tmp_file: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "county_code", "name", "fibre", "fibre_date", "expected_voters"])
    sheet.append([1, 2310, "الف", "planned", datetime.datetime(9999, 12, 31), 10])
    sheet.append([2, 2310, "ب", "none", None, "99999999999999999999"])
    sheet.append([3, 2310, "پ", "planned", "1404/11/30", 500])
    out = io.BytesIO()
    book.save(out)
    report = station_import(election=election, file_path=tmp_file("far.xlsx", out.getvalue()))
    assert sorted((e.row, e.field) for e in report.errors) == [
        (2, "fibre_date"), (3, "expected_voters"),
    ]
    assert "۹۹۹۹" in report.errors[0].render("fa") or "۹۳۷۸" in report.errors[0].render("fa")
    assert not Station.objects.exists()


def test_persian_messages_use_persian_digits(registry: Registry) -> None:
    governor = Api(registry.personas.gharchak_governor)
    response = governor.patch(one(registry.g_ready), {"expected_voters": 100_001})
    message = response.json()["errors"][0]["message"]
    assert not any(c.isascii() and c.isdigit() for c in message), message
    assert to_persian_digits("100") in message
