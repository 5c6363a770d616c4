"""The alert pages through the views: scope (a county its own, a province its
counties'), escalated first, filters, acknowledge, notes, close with a required note;
denied paths are 404 and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.operations import services
from amanat.operations.models import Alert, AlertNote
from amanat.operations.services import Values
from amanat.operations.tests.conftest import Day, at

pytestmark = pytest.mark.django_db


def watch(day: Day, clock: str) -> None:
    call_command("operations_watch", "--election", day.election.slug, "--now",
                 at(clock).isoformat(), stdout=None)


@pytest.fixture
def alerts(day: Day, personas: Any) -> dict[str, Alert]:
    """Both stations silent at 07:30 and escalated at 08:00; a quality alert for
    Gharchak's 900 voters (800 registered) at 10:01."""
    watch(day, "07:30")
    watch(day, "08:00")
    window = services.window_for(day.election, "T1", at("10:00"))
    services.checkin_record(station=day.gharchak_station, window=window,
                            values=Values(voters=900), source="web", at=at("10:00"))
    watch(day, "10:01")
    return {
        "gharchak": Alert.objects.get(station=day.gharchak_station, kind="silent"),
        "kerman": Alert.objects.get(station=day.kerman_station, kind="silent"),
        "quality": Alert.objects.get(kind="quality"),
    }


def client_for(user: Any) -> Client:
    return sign_in(Client(), user)


def rows(page: Any) -> list[int]:
    return [a.pk for a in page.context["page"]]


def test_a_county_sees_its_own_alerts_escalated_first(alerts: dict[str, Alert],
                                                        personas: Any) -> None:
    page = client_for(personas.gharchak_governor).get(reverse("operations:alerts"))
    assert page.status_code == 200
    assert rows(page) == [alerts["gharchak"].pk, alerts["quality"].pk]
    assert 'data-testid="alert-row"' in page.content.decode()


def test_a_province_sees_its_counties_and_the_country_everything(
        alerts: dict[str, Alert], personas: Any) -> None:
    tehran = client_for(personas.tehran_officer).get(reverse("operations:alerts"))
    assert set(rows(tehran)) == {alerts["gharchak"].pk, alerts["quality"].pk}
    national = client_for(personas.admin).get(reverse("operations:alerts"))
    assert set(rows(national)) == {a.pk for a in alerts.values()}


def test_filters_by_kind_level_and_state(alerts: dict[str, Alert], personas: Any) -> None:
    client = client_for(personas.admin)
    url = reverse("operations:alerts")
    assert rows(client.get(url, {"kind": "quality"})) == [alerts["quality"].pk]
    assert set(rows(client.get(url, {"level": "county"}))) == {alerts["quality"].pk}
    assert rows(client.get(url, {"state": "closed"})) == []


def test_roles_without_the_right_and_other_counties_get_404(alerts: dict[str, Alert],
                                                            personas: Any) -> None:
    inspector = client_for(personas.inspector)
    assert inspector.get(reverse("operations:alerts")).status_code == 404
    kerman = client_for(personas.kerman_governor)
    gharchak_alert = alerts["gharchak"]
    assert kerman.get(reverse("operations:alert", args=[gharchak_alert.pk])).status_code == 404
    assert kerman.post(reverse("operations:alert_acknowledge",
                               args=[gharchak_alert.pk])).status_code == 404
    assert kerman.post(reverse("operations:alert_close", args=[gharchak_alert.pk]),
                       {"note": "x"}).status_code == 404
    # The auditor reads but does not act.
    auditor = client_for(personas.auditor)
    assert auditor.get(reverse("operations:alert", args=[gharchak_alert.pk])).status_code == 200
    assert auditor.post(reverse("operations:alert_note", args=[gharchak_alert.pk]),
                        {"text": "x"}).status_code == 404
    gharchak_alert.refresh_from_db()
    assert gharchak_alert.state == "open"
    assert not AlertNote.objects.filter(author__isnull=False).exists()
    assert Event.objects.filter(action="access.denied").count() >= 3


def test_acknowledge_note_and_close(alerts: dict[str, Alert], personas: Any) -> None:
    client = client_for(personas.gharchak_governor)
    alert = alerts["quality"]
    detail = reverse("operations:alert", args=[alert.pk])
    assert client.get(detail).status_code == 200
    assert client.post(reverse("operations:alert_acknowledge", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.state == "acknowledged" and alert.acknowledged_by == personas.gharchak_governor
    # Acknowledged: not escalated by the watch any more.
    call_command("operations_watch", "--election", alert.election.slug, "--now",
                 at("12:00").isoformat(), stdout=None)
    alert.refresh_from_db()
    assert alert.level == "county"
    assert client.post(reverse("operations:alert_note", args=[alert.pk]),
                       {"text": "با رئیس شعبه تماس گرفتیم"}).status_code == 302
    # Closing needs a note: refused and nothing changes.
    refused = client.post(reverse("operations:alert_close", args=[alert.pk]), {"note": " "})
    assert refused.status_code == 400
    assert 'data-testid="error-note"' in refused.content.decode()
    alert.refresh_from_db()
    assert alert.state == "acknowledged"
    assert client.post(reverse("operations:alert_close", args=[alert.pk]),
                       {"note": "رقم درست بود"}).status_code == 302
    alert.refresh_from_db()
    assert alert.state == "closed" and alert.closed_by == personas.gharchak_governor
    page = client.get(detail).content.decode()
    assert page.count('data-testid="alert-note"') == 2 and "رقم درست بود" in page
    assert "alert-close-form" not in page
    actions = set(Event.objects.filter(object_type="operations.alert")
                  .values_list("action", flat=True))
    assert actions == {"operations.alert.acknowledge", "operations.alert.note",
                       "operations.alert.close"}
    # A second acknowledgement is refused with a message.
    again = client.post(reverse("operations:alert_acknowledge", args=[alert.pk]), follow=True)
    assert 'data-testid="message"' in again.content.decode()


def test_the_list_costs_the_same_queries_for_more_alerts(alerts: dict[str, Alert],
                                                         personas: Any) -> None:
    client = client_for(personas.admin)
    client.get(reverse("operations:alerts"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("operations:alerts"))
    for _n in range(5):
        Alert.objects.create(election=alerts["quality"].election,
                             station=alerts["quality"].station, county=alerts["quality"].county,
                             unit_path=alerts["quality"].unit_path, kind="quality")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("operations:alerts"))
    assert len(many) == len(few)
