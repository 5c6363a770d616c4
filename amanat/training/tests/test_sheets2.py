"""Real-world attendance sheets through the import page (review
docs/reviews/2026-12-sheets2.md): refused files name the problem and where, on a
Persian page in Persian digits; nothing is stored; never a 500."""

from __future__ import annotations

import io
import re
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.lib import tabular
from amanat.training.models import Enrolment
from amanat.training.tests.conftest import World, nid

pytestmark = pytest.mark.django_db

HEADERS = ["کد ملی", "نام و نام خانوادگی", "حضور"]


def _upload(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name  # type: ignore[attr-defined]
    return buffer


def _post(world: World, data: bytes, name: str, language: str = "en") -> str:
    client = in_language(sign_in(Client(), world.personas.kerman_governor), language)
    url = reverse("training:attendance_import", args=[world.kerman_session.pk])
    response = client.post(url, {"file": _upload(data, name)})
    assert response.status_code == 200
    return response.content.decode()


def test_a_csv_past_the_row_limit_is_refused_not_a_crash(world: World,
                                                          monkeypatch: Any) -> None:
    """Was a 500: the reader refused the file's length while the rows were read."""
    monkeypatch.setattr(tabular, "MAX_ROWS", 4)
    lines = [",".join(HEADERS)] + [f"{nid(i)},نفر {i},بله" for i in range(1, 7)]
    page = _post(world, "\n".join(lines).encode(), "attendance.csv")
    assert "at most 4 rows are read" in page
    assert not Enrolment.objects.exists()


def test_an_error_cell_is_named_and_nothing_is_stored(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (HEADERS, [nid(1), "علی رضایی", "بله"], [nid(2), "مریم احمدی", "بله"]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    source = zipfile_parts(out.getvalue())
    source["xl/worksheets/sheet1.xml"] = re.sub(
        rb'<c r="B3"[^>]*>.*?</c>', b'<c r="B3" t="e"><f>Sheet2!A1</f><v>#REF!</v></c>',
        source["xl/worksheets/sheet1.xml"])
    page = _post(world, zipfile_join(source), "attendance.xlsx")
    assert "cell B3" in page and "#REF!" in page
    assert not Enrolment.objects.exists()


def test_row_numbers_of_refused_lines_are_persian_on_a_persian_page(world: World) -> None:
    bad = nid(3)[:-1] + str((int(nid(3)[-1]) + 1) % 10)
    lines = [",".join(HEADERS), f"{nid(1)},علی رضایی,بله", f"{bad},مریم احمدی,بله"]
    page = _post(world, "\n".join(lines).encode(), "attendance.csv", "fa")
    errors = re.findall(r"<li[^>]*>([^<]*رقم کنترل[^<]*)</li>", page)
    assert errors and "۳" in errors[0] and not re.search("[0-9]", errors[0]), errors
    assert not Enrolment.objects.exists()


def zipfile_parts(data: bytes) -> dict[str, bytes]:
    import zipfile
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipfile_join(parts: dict[str, bytes]) -> bytes:
    import zipfile
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_hidden_rows_are_imported_with_a_warning(world: World) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (HEADERS, [nid(1), "علی رضایی", "بله"], [nid(2), "مریم احمدی", "بله"]):
        sheet.append(row)
    sheet.row_dimensions[2].hidden = True
    out = io.BytesIO()
    book.save(out)
    client = in_language(sign_in(Client(), world.personas.kerman_governor), "en")
    url = reverse("training:attendance_import", args=[world.kerman_session.pk])
    page = client.post(url, {"file": _upload(out.getvalue(), "attendance.xlsx")}, follow=True)
    assert "are hidden (rows 2)" in page.content.decode()
    assert Enrolment.objects.count() == 2
