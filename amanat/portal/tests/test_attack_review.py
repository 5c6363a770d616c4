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
