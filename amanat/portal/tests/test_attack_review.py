"""Attack review (December 2026) of the public portal and the field app, through the
views (docs/reviews/2026-12-attack.md)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from amanat.portal.tests.conftest import World
from amanat.stations.models import Station

pytestmark = pytest.mark.django_db


def _text(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def test_open_data_csv_does_not_carry_formulas(client: Client, published: World) -> None:
    """Station names and addresses are typed by county staff and imported from their
    spreadsheets; the public CSV escapes a cell a spreadsheet would run."""
    Station.objects.filter(pk=published.gharchak_station.pk).update(
        name='=HYPERLINK("http://evil.example","x")', address="@SUM(A1)")
    text = _text(client.get("/open-data/stations.csv"))
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    row = next(r for r in rows if r["station_code"] == "2310-0042")
    assert row["name"] == "'=HYPERLINK(\"http://evil.example\",\"x\")"
    assert row["address"] == "'@SUM(A1)"
    # Numbers stay numbers (a negative longitude is not text).
    assert row["latitude"] == "35.43"


def test_a_report_queued_by_one_user_is_not_filed_under_the_next(world: World) -> None:
    """Shared device: the inspector queues a report offline and signs out through the
    menu; the police officer signs in on the same phone and the outbox sends. The report
    must not be filed as the officer's."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amanat.incidents.models import Report
    from amanat.portal.tests.conftest import client_for

    inspector, officer = world.personas.inspector, world.personas.police
    page = client_for(inspector).get("/field/").content.decode()
    assert f'data-user="{inspector.pk}"' in page
    data = {"category": world.category("vote_buying").pk, "station_code": "2310-0042",
            "county": "", "text": "پخش پول جلوی شعبه", "queued_by": str(inspector.pk),
            "evidence": SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 64,
                                           content_type="image/png")}
    response = client_for(officer).post("/field/reports/", data,
                                        headers={"Idempotency-Key": "shared-1"})
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "other_user"
    assert not Report.objects.exists()
    # Its writer sends it.
    data["evidence"].seek(0)
    response = client_for(inspector).post("/field/reports/", data,
                                          headers={"Idempotency-Key": "shared-1"})
    assert response.status_code == 201
    assert Report.objects.get().submitted_by == inspector
