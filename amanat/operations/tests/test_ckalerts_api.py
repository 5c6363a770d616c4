"""An incident check-in from a field device (the API, stored by the intake's group-commit
writer with its bulk statements) reaches the county like one from the web or SMS (user
review F2)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from amanat.incidents.models import Report
from amanat.intake.tests.conftest import group_commit  # noqa: F401  (a fixture)
from amanat.intake.tests.test_checkins import Field, field, post  # noqa: F401  (a fixture)
from amanat.operations.models import Alert, Checkin
from amanat.operations.tests.conftest import day  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]


def test_an_incident_from_the_field_api_raises_an_alert_and_a_report(field: Field) -> None:  # noqa: F811
    answer = post(field.token, {"station": "2310-0042", "window": "I", "incidents": "VB"},
                  "incident-1")
    assert answer.status == 201, answer.content
    checkin = Checkin.objects.get(kind="incident")
    out = StringIO()
    call_command("operations_watch", "--election", field.day.election.slug, "--now",
                 timezone.now().isoformat(), stdout=out)
    assert "incidents: 1" in out.getvalue()
    alert = Alert.objects.get(kind="incident")
    assert (alert.checkin_id, alert.county_id, alert.level) == (
        checkin.pk, field.day.gharchak_station.county_id, "county")
    (report,) = Report.objects.all()
    assert (report.channel, report.category.sms_code, report.submitted_by_id) == (
        "api", "VB", field.personas.inspector.pk)
