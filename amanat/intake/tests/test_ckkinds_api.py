"""The field API's check-ins (served, group commit on) refuse what the kind does not
carry, unknown incident codes and openings or turnouts after the station's closing, with
the same checks as every channel (``operations.services.values_checked`` / ``day_check``)
(reviews of December 2026: attack F1, F14; officials' F1, F3, F19)."""

from __future__ import annotations

import pytest

from amanat.intake.tests.test_checkins import (  # noqa: F401  (field: a fixture)
    OPENING,
    TURNOUT,
    Field,
    field,
    post,
    station_day,
)
from amanat.operations.models import Checkin
from amanat.operations.tests.conftest import day  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]


def test_figures_on_another_kind_are_refused_and_not_published(field: Field) -> None:  # noqa: F811
    incident = post(field.token, {"station": "2310-0042", "window": "I", "incidents": "VB",
                                  "voters": 19_999}, "i-1", language="en")
    assert incident.status == 422, incident.content
    error = incident.json()["errors"][0]
    assert (error["code"], error["field"]) == ("not_carried", "voters")
    assert "does not carry" in error["message"]
    opening = post(field.token, {**OPENING, "voters": 18_000, "total": 19_999}, "o-1")
    assert opening.status == 422
    assert {e["field"] for e in opening.json()["errors"]} == {"voters", "total"}
    assert "ندارد" in opening.json()["errors"][0]["message"]
    closing = post(field.token, {"station": "2310-0042", "window": "C", "total": 500,
                                 "voters": 19_999}, "c-1")
    assert closing.status == 422
    assert Checkin.objects.count() == 0
    answer = station_day(field.token).json()
    assert (answer["voters"], answer["total"]) == (None, None)
    # The kind's own figure goes through.
    assert post(field.token, TURNOUT, "t-1").status == 201
    assert station_day(field.token).json()["voters"] == 120


def test_incident_codes_are_checked_on_the_api(field: Field) -> None:  # noqa: F811
    body = {"station": "2310-0042", "window": "I"}
    unknown = post(field.token, {**body, "incidents": "NOPE <b>x</b>"}, "i-bad", language="en")
    assert unknown.status == 422, unknown.content
    error = unknown.json()["errors"][0]
    assert (error["code"], error["field"]) == ("unknown_category", "incidents")
    farsi = post(field.token, {**body, "incidents": "ZZ"}, "i-zz")
    assert "شناخته نیست" in farsi.json()["errors"][0]["message"]
    assert Checkin.objects.count() == 0
    known = post(field.token, {**body, "incidents": "vb, vb"}, "i-ok")
    assert known.status == 201, known.content
    assert Checkin.objects.get().incidents == "VB"


def test_a_closed_station_refuses_openings_and_turnouts_on_the_api(field: Field) -> None:  # noqa: F811
    assert post(field.token, {"station": "2310-0042", "window": "C", "total": 100},
                "close").status == 201
    for key, body in (("late-t", TURNOUT), ("late-o", OPENING)):
        refused = post(field.token, body, key, language="en")
        assert refused.status == 422, refused.content
        error = refused.json()["errors"][0]
        assert error["code"] == "station_closed" and "after its closing" in error["message"]
    assert post(field.token, {"station": "2310-0042", "window": "I", "incidents": "VB"},
                "after-i").status == 201
    assert Checkin.objects.count() == 2
    answer = station_day(field.token).json()
    assert (answer["voters"], answer["total"]) == (None, 100)
