"""Real-world answer sheets through the inquiry import page (review
docs/reviews/2026-12-sheets2.md): a title row above the header, tracking codes pasted
with invisible marks, a sheet with no rows, files the reader refuses; never a 500,
nothing stored on a refusal."""

from __future__ import annotations

import codecs
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from amanat.accounts.testing import in_language
from amanat.audit.models import Event
from amanat.candidates.models import Inquiry, InquiryAnswer
from amanat.candidates.tests import test_rev13u
from amanat.candidates.tests.test_rev13u import _client, _send_all, _xlsx
from amanat.lib.persian import to_persian_digits

pytestmark = pytest.mark.django_db

rw = test_rev13u.rw  # the fixture: three candidacies, a complete executive board
URL = reverse("candidates_review:inquiry_import")
HEADERS = ["کد رهگیری", "مرجع", "پاسخ", "شماره نامه", "توضیحات"]


def _answered() -> int:
    return Inquiry.objects.exclude(answer=InquiryAnswer.PENDING).count()


def _batches() -> int:
    return Event.objects.filter(action="candidates.inquiry.answer_batch").count()


def test_a_title_row_and_pasted_marks_do_not_stop_the_sheet(rw: dict[str, Any]) -> None:
    """Offices put the letter's title above the header; codes copied from a page or a
    letter carry right-to-left marks and no-break spaces.  The title row was taken for
    the header ("The file has no column …") and the marked code matched no inquiry."""
    _send_all(_client(rw["personas"].gharchak_governor), rw["geo"].gharchak)
    a = rw["g"][0]
    marked = "\u200f" + to_persian_digits(a.reference) + "\u00a0"
    rows: list[list[Any]] = [["پاسخ استعلام‌های داوطلبان شهرستان قرچک"], [], HEADERS]
    rows += [[marked, "اطلاعات", "بلامانع", "", "خط اول"],
             [a.reference, "پلیس", "بلامانع", "", ""],
             [a.reference, "قوه قضائیه", "دارای سابقه", "\u202b۱۲۳/ق\u202c", ""],
             [a.reference, "ثبت احوال", "پاک", "", ""]]
    page = _client(rw["exec"]).post(URL, {"file": _xlsx(rows)})
    assert page.status_code == 302, page.content.decode().split("<main")[-1][:3000]
    judiciary = Inquiry.objects.get(candidacy=a, kind="judiciary")
    assert judiciary.answer == InquiryAnswer.ADVERSE
    assert judiciary.adverse_reference == "۱۲۳/ق"
    assert Inquiry.objects.get(candidacy=a, kind="intelligence").note == "خط اول"


def test_a_sheet_without_rows_is_refused_and_records_nothing(rw: dict[str, Any]) -> None:
    """A header alone was "0 answers recorded", with an audit entry of a batch of none."""
    _send_all(_client(rw["personas"].gharchak_governor), rw["geo"].gharchak)
    before = _batches()
    english = in_language(_client(rw["exec"]), "en")
    page = english.post(URL, {"file": _xlsx([HEADERS, [], [None, " "]])})
    assert page.status_code == 200
    assert "no rows of answers" in page.content.decode()
    assert (_answered(), _batches()) == (0, before)


@pytest.mark.parametrize(("name", "data", "expected"), [
    ("a.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600), "Excel 97–2003"),
    ("a.csv", ",".join(HEADERS).encode() + b"\nDR1,\x00,x,,\n", "holds a NUL byte"),
    ("a.csv", codecs.BOM_UTF8 + b"\xff\xfe", "not valid UTF-8"),
])
def test_files_the_reader_refuses_are_named(rw: dict[str, Any], name: str, data: bytes,
                                            expected: str) -> None:
    before = _batches()
    english = in_language(_client(rw["exec"]), "en")
    page = english.post(URL, {"file": SimpleUploadedFile(name, data)})
    assert page.status_code == 200 and expected in page.content.decode()
    assert (_answered(), _batches()) == (0, before)


def test_an_error_cell_in_the_answer_column_is_named(rw: dict[str, Any]) -> None:
    import re

    from amanat.staffing.tests.test_sheets2 import rewritten
    from amanat.stations.tests.test_messy import xlsx

    _send_all(_client(rw["personas"].gharchak_governor), rw["geo"].gharchak)
    a = rw["g"][0]
    data = rewritten(xlsx(HEADERS, [a.reference, "اطلاعات", "بلامانع", "", ""]),
                     "xl/worksheets/sheet1.xml", lambda body: re.sub(
                         rb'<c r="C2"[^>]*>.*?</c>',
                         b'<c r="C2" t="e"><f>Sheet2!A1</f><v>#REF!</v></c>', body))
    english = in_language(_client(rw["exec"]), "en")
    page = english.post(URL, {"file": SimpleUploadedFile("a.xlsx", data)})
    assert page.status_code == 200 and "cell C2" in page.content.decode()
    assert _answered() == 0
