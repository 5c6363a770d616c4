"""The shared reader's refusals through the station import's two doors (review
docs/reviews/2026-12-sheets2.md): an error cell is named by cell, row and column on the
page's error table and in the command's lines; a workbook that unpacks too large, a
password-protected one and a binary CSV are refused; nothing is written."""

from __future__ import annotations

import re
from typing import Any

import pytest

from amanat.lib import tabular
from amanat.staffing.tests.test_sheets2 import rewritten
from amanat.stations.models import Station
from amanat.stations.tests.test_messy import Doors, doors, rejected_everywhere, xlsx

pytestmark = pytest.mark.django_db
doors = doors  # the fixture, used by name

HEAD = ["کد شعبه", "کد شهرستان", "نام", "ظرفیت"]


def test_an_error_cell_is_named_by_both_doors(doors: Doors) -> None:
    """«#DIV/0!» in the capacity column was read as blank: the station kept (or took
    the default for) a capacity the sheet meant to change."""
    data = rewritten(xlsx(HEAD, ["901", "815", "شعبه", 1500], ["902", "815", "شعبه دو", 1200]),
                     "xl/worksheets/sheet1.xml", lambda body: re.sub(
                         rb'<c r="D3"[^>]*>.*?</c>',
                         b'<c r="D3" t="e"><f>C3/0</f><v>#DIV/0!</v></c>', body))
    printed, errors = rejected_everywhere(doors, "s.xlsx", data)
    assert [(e["row"], e["column"]) for e in errors] == [(3, "ظرفیت")]
    assert "#DIV/0!" in errors[0]["message"] and "cell D3" in errors[0]["message"]
    assert "#DIV/0!" in printed and "Traceback" not in printed


def test_unpacked_size_password_and_binary_are_refused(doors: Doors, monkeypatch: Any) -> None:
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = rewritten(xlsx(HEAD, ["901", "815", "شعبه", 1500]), "xl/worksheets/sheet1.xml",
                     lambda body: body.replace("شعبه".encode(), b"x" * 2_000_000))
    _printed, errors = rejected_everywhere(doors, "s.xlsx", bomb)
    assert [e["message"].split(";")[0] for e in errors] == ["the workbook unpacks to 4 MB"]
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    _printed, errors = rejected_everywhere(
        doors, "s.xlsx", ole + "EncryptionInfo".encode("utf-16-le") + bytes(512))
    assert ["protected with a password" in e["message"] for e in errors] == [True]
    _printed, errors = rejected_everywhere(doors, "s.csv", b"\x89PNG\r\n\x1a\n\x00\x00")
    assert [(e["row"], "NUL byte" in e["message"]) for e in errors] == [(3, True)]


def test_codes_written_with_a_zero_decimal_part_find_their_county(doors: Doors) -> None:
    """«815.0» (a CSV written with decimals) was an unknown county code."""
    accepted, printed = doors.command(
        "s.csv", "کد شعبه,کد شهرستان,نام,ظرفیت\n901.0,815.0,شعبه,1500.0\n".encode())
    assert accepted, printed
    station = Station.objects.get(name="شعبه")
    # 0901: the station code's canonical form.
    assert (station.code, station.county.code, station.capacity) == ("0901", "815", 1500)


def test_a_date_as_an_excel_day_number_is_that_date(doors: Doors) -> None:
    """A date column that lost its date format (set to General, or a CSV saved from it)
    holds Excel's day numbers: «46327» was "not a date of the form year/month/day"."""
    import datetime

    day = datetime.date(2026, 11, 1)
    serial = (day - datetime.date(1899, 12, 30)).days
    head = ["کد شعبه", "کد شهرستان", "نام", "تاریخ فیبر"]
    accepted, printed = doors.command(
        "s.xlsx", xlsx(head, ["901", "815", "شعبه", serial], ["902", "815", "دو", f"{serial}"]))
    assert accepted, printed
    assert set(Station.objects.filter(name__in=["شعبه", "دو"])
               .values_list("fibre_date", flat=True)) == {day}
