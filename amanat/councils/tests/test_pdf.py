"""The printable agenda: a real PDF whose extracted text reads in logical order."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess

import pytest
from django.urls import reverse

from amanat.audit.models import Event
from amanat.councils import services
from amanat.councils.tests.conftest import DAY, World, client_for

pytestmark = pytest.mark.django_db


def pdftotext(data: bytes) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        reason = "pdftotext (poppler-utils) is not installed"
        if os.environ.get("AMANAT_REQUIRE_BROWSER"):
            pytest.fail(f"{reason} (AMANAT_REQUIRE_BROWSER is set)")
        pytest.skip(reason)
    done = subprocess.run([tool, "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
                          check=True, timeout=60)
    # pdftotext wraps right-to-left runs in embedding marks; they are not text.
    return BIDI_MARKS.sub("", done.stdout.decode())


BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def test_agenda_pdf_has_council_date_cases_and_attendees(world: World) -> None:
    case = world.open_case(world.geo.gharchak_city)
    services.meeting_create(council=world.gharchak, held_on=DAY, actor=world.personas.admin)
    meeting = services.meeting_create(
        council=world.gharchak, held_on=DAY + datetime.timedelta(days=7),
        starts_at=datetime.time(9, 30), place="فرمانداری قرچک",
        attendees="فرماندار قرچک\nفرمانده انتظامی", actor=world.personas.admin)
    governor = client_for(world.personas.gharchak_governor)
    url = reverse("councils:agenda_pdf", args=[meeting.pk])
    assert governor.get(url).status_code == 405  # a GET never writes
    assert not Event.objects.filter(action="councils.agenda.export").exists()
    response = governor.post(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    export = Event.objects.get(action="councils.agenda.export")
    assert export.object_id == str(meeting.pk)
    assert export.actor_name == world.personas.gharchak_governor.username
    text = pdftotext(response.content)
    assert world.gharchak.name in text
    # The Jalali date with Persian digits, year first (not reversed by the extraction).
    assert "۱۴۰۴/۱۱/۱۹" in text and "۱۹/۱۱/۱۴۰۴" not in text
    assert "۱۹بهمن۱۴۰۴" in re.sub(r"\s+", "", text)  # pdftotext moves spaces in mixed runs
    # Logical order: the council's name is read before the date, as it is written.
    assert text.index(world.gharchak.name) < text.index("۱۴۰۴/۱۱/۱۹")
    assert case.number in text
    assert "پرونده مهم" in text and "از جلسه پیشین" in text
    assert "فرماندار قرچک" in text and "فرمانده انتظامی" in text
    assert text.index("فرماندار قرچک") < text.index("فرمانده انتظامی")


def test_agenda_pdf_is_scoped(world: World) -> None:
    meeting = services.meeting_create(council=world.kerman, held_on=DAY,
                                      actor=world.personas.admin)
    for who in (world.personas.gharchak_governor, world.personas.police):
        response = client_for(who).post(reverse("councils:agenda_pdf", args=[meeting.pk]))
        assert response.status_code == 404
