"""Station history and the audit log show changes in words, not developer data.

The stored event keeps field names, ids and ISO dates (the verifier hashes them); the
pages show the action's label, each field's name, choice labels, Jalali dates, Persian
digits and related objects by name, and leave out what only the software reads.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from django.test import Client
from django.urls import reverse
from django.utils import translation

from amanat.accounts.testing import sign_in
from amanat.audit.display import ACTION_LABELS
from amanat.audit.models import Event
from amanat.stations.services import station_update
from amanat.stations.tests.conftest import Registry

RAW = ("station.update", "fibre_date", "h3_cell", "search_text", "'cameras'", "2026-03-15",
       "{'", "None")


def _change_fibre(registry: Registry) -> Event:
    station = registry.g_overdue
    station_update(station=station, actor=registry.personas.gharchak_governor, data={
        "fibre": "planned", "fibre_date": datetime.date(2026, 3, 15), "cameras": 4,
        "latitude": 35.431, "longitude": 51.571, "unit": registry.geo.qaleh_now,
    })
    return Event.objects.filter(action="station.update").latest("seq")


def _changes(body: str) -> str:
    start = body.index('data-testid="event-changes"')
    return body[start:body.index("</dl>", start)]


def _assert_readable(section: str) -> None:
    for raw in RAW:
        assert raw not in section, raw
    assert "تاریخ" in section and "برنامه‌ریزی‌شده" in section  # field and choice labels
    assert "۱۴۰۴/۱۲/۲۴" in section  # 2026-03-15 in the Jalali calendar, Persian digits
    assert "۴" in section and "۳۵٫۴۳۱" in section  # Persian digits, Persian decimal mark
    assert "←" in section and "→" not in section  # before ← after, in reading order
    assert not re.search(r"[0-9]", re.sub(r"<[^>]+>", "", section))  # no Latin digits


def test_station_history_shows_labelled_changes(registry: Registry) -> None:
    event = _change_fibre(registry)
    client = sign_in(Client(), registry.personas.gharchak_governor)
    body = client.get(reverse("stations:detail", args=[registry.g_overdue.pk]),
                      HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    _assert_readable(_changes(body))
    with translation.override("fa"):
        assert f'data-testid="event-action">{ACTION_LABELS["station.update"]}<' in body
    # The log itself is unchanged: field names, ids and ISO dates, as hashed.
    event.refresh_from_db()
    assert event.after is not None and event.after["fibre_date"] == "2026-03-15"
    assert event.after["unit"] == registry.geo.qaleh_now.pk and "h3_cell" in event.after


def test_audit_log_shows_labelled_changes_and_related_names(registry: Registry) -> None:
    _change_fibre(registry)
    client = sign_in(Client(), registry.personas.admin)
    body = client.get(reverse("audit:events"), {"action": "station.update"},
                      HTTP_ACCEPT_LANGUAGE="fa").content.decode()
    section = _changes(body)
    _assert_readable(section)
    assert registry.geo.qaleh_now.name in section  # the place by name, not its id
    # The station by its kind and name, not "stations.station #3".
    assert "«۱۰۳ کانون فرهنگی»" in body and ">stations.station" not in body


def test_every_action_the_code_writes_has_a_label() -> None:
    root = Path(__file__).resolve().parents[2]
    written: set[str] = set()
    pattern = re.compile(r'(?:action=|_audit\()"([a-z_]+\.[a-z_.]+)"')
    for path in root.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        written |= set(pattern.findall(path.read_text(encoding="utf-8")))
    # Actions named from a variable: the case steps and action-item statuses.
    from amanat.councils.models import ActionStatus
    from amanat.incidents.models import STEP_LABELS

    written |= {f"incidents.case.{step}" for step in STEP_LABELS}
    written |= {f"councils.action.{status}" for status in ActionStatus.values}
    assert len(written) > 40
    assert sorted(written - ACTION_LABELS.keys()) == []
