"""Real-world files through the people import's two doors, the page and
``amanat import-people`` (review docs/reviews/2026-12-sheets2.md): a file the reader
refuses is a clear message naming where, never a 500 or a traceback, and nothing is
written; what is accepted is stored normalised."""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.lib import tabular
from amanat.lib.persian import to_persian_digits
from amanat.staffing.models import Person
from amanat.staffing.tests.conftest import World, nid

pytestmark = pytest.mark.django_db

HEADERS = ["کد ملی", "نام", "نام خانوادگی", "تلفن همراه"]


def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewritten(data: bytes, part: str, change: Any) -> bytes:
    """The XLSX with one part's XML changed (what Excel writes and openpyxl does not)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            archive.writestr(info, change(body) if info.filename == part else body)
    return out.getvalue()


def with_error_cell(rows: list[list[Any]], error: str = "#N/A") -> bytes:
    """Row 3's mobile is a formula whose saved result is an error (a VLOOKUP that found
    nothing), as Excel saves it: ``<c t="e"><f>…</f><v>#N/A</v></c>``."""
    data = xlsx(rows)
    return rewritten(data, "xl/worksheets/sheet1.xml", lambda xml: re.sub(
        rb'<c r="D3"[^>]*>.*?</c>',
        b'<c r="D3" t="e"><f>VLOOKUP(A3,Sheet2!A:B,2,0)</f><v>' + error.encode() + b"</v></c>",
        xml))


def people() -> list[list[Any]]:
    return [HEADERS, [nid(801), "علی", "رضایی", "09121234567"],
            [nid(802), "مریم", "احمدی", "09121234568"]]


class Doors:
    def __init__(self, world: World, tmp_path: Path, capsys: Any) -> None:
        self.world, self.tmp_path, self.capsys = world, tmp_path, capsys
        self.url = reverse("staffing:people_import", args=[world.geo.gharchak.pk])
        self.web = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")

    def page(self, name: str, data: bytes) -> str:
        upload = io.BytesIO(data)
        upload.name = name  # type: ignore[attr-defined]
        response = self.web.post(self.url, {"file": upload})
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="import-rejected"' in body, body[-3000:]
        return body

    def command(self, name: str, data: bytes) -> str:
        path = self.tmp_path / name
        path.write_bytes(data)
        with pytest.raises(CommandError, match="rejected"):
            call_command("import_people", str(path), county="2310")
        err = self.capsys.readouterr().err
        assert "Traceback" not in err
        return err

    def refused(self, name: str, data: bytes, *expected: str) -> None:
        """Refused by both doors with ``expected`` in the message; nothing written."""
        before = Person.objects.count(), Event.objects.filter(
            action__startswith="staffing.people").count()
        page = self.page(name, data)
        for text in expected:
            assert text in page, page[-3000:]
        err = self.command(name, data)
        assert err.strip()
        assert before == (Person.objects.count(), Event.objects.filter(
            action__startswith="staffing.people").count())


@pytest.fixture
def doors(world: World, tmp_path: Path, capsys: Any) -> Doors:
    return Doors(world, tmp_path, capsys)


def test_a_csv_past_the_row_limit_is_refused_not_a_crash(
        doors: Doors, monkeypatch: Any) -> None:
    """Was a 500 on the page and a traceback from the command: the CSV reader refused
    the file's length while the import was already looping over its rows."""
    monkeypatch.setattr(tabular, "MAX_ROWS", 5)
    lines = ["کد ملی,نام,نام خانوادگی"] + [f"{nid(900 + i)},نفر,شماره {i}" for i in range(8)]
    doors.refused("people.csv", "\r\n".join(lines).encode(), "at most 5 rows are read")


def test_an_error_value_in_a_cell_is_refused_naming_the_cell(doors: Doors) -> None:
    """A formula whose result is #N/A was read as an empty cell: the person was stored
    without the mobile the sheet meant to give."""
    doors.refused("people.xlsx", with_error_cell(people()), "cell D3", "#N/A",
                  "تلفن همراه")


def test_a_password_protected_or_old_workbook_is_named_as_such(doors: Doors) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
    encrypted = ole + "EncryptionInfo".encode("utf-16-le") + bytes(512)
    doors.refused("people.xlsx", encrypted, "protected with a password")
    doors.refused("people.xlsx", ole + bytes(512), "Excel 97–2003")
    doors.refused("people.xlsx", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "is not an XLSX workbook")
    doors.refused("people.xls", b"<html><table><tr><td>x</td></tr></table></html>",
                  "Excel 97–2003")
    doors.refused("people.ods", b"PK\x03\x04mimetypeapplication/vnd.oasis", "OpenDocument")
    # An empty upload is the form's own refusal; the command reads the file itself.
    assert "the file is empty" in doors.command("people.xlsx", b"")


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_unpacked(
        doors: Doors, monkeypatch: Any) -> None:
    """A few hundred kilobytes of XLSX can unpack to gigabytes (calamine holds the
    shared strings whole): the archive's size is checked first."""
    monkeypatch.setattr(tabular, "MAX_UNPACKED_BYTES", 2 * 1024 * 1024)
    bomb = rewritten(xlsx(people()), "xl/worksheets/sheet1.xml",
                     lambda xml: xml.replace("رضایی".encode(), b"a" * 3_000_000))
    assert len(bomb) < 100_000
    doors.refused("people.xlsx", bomb, "unpacks to 3 MB", "at most 2 MB")


def test_binary_csv_is_refused_and_utf16_without_a_mark_is_read(doors: Doors) -> None:
    text = "\r\n".join([",".join(HEADERS), f"{nid(803)},زهرا,کریمی,09121234569"]) + "\r\n"
    doors.refused("people.csv", b"%PDF-1.4\n\x00\x01\x02\x03", "row 2 holds a NUL byte")
    doors.refused("people.csv", codecs.BOM_UTF8 + "کد ملی,نام".encode() + b"\n\xe1\xed,x\n",
                  "row 2 is not valid UTF-8")
    path = doors.tmp_path / "people.csv"
    path.write_bytes(text.encode("utf-16-le"))  # Notepad's "Unicode" without its mark
    call_command("import_people", str(path), county="2310")
    assert Person.objects.get(national_id=nid(803)).last_name == "کریمی"


def test_arabic_letters_persian_digits_and_invisible_marks_are_stored_normalised(
        doors: Doors) -> None:
    rows = [HEADERS,
            [to_persian_digits(nid(804)), "علي\u200f", "كاظمي\u00a0", "٠٩١٢١٢٣٤٥٦٧"],
            [int(nid(805)), " \u202bفاطمه ", "نيك\u200cنام", 9121234560.0]]
    upload = io.BytesIO(xlsx(rows))
    upload.name = "people.xlsx"  # type: ignore[attr-defined]
    response = doors.web.post(doors.url, {"file": upload})
    assert response.status_code == 302, response.content.decode()[-2000:]
    stored = {p.national_id: (p.first_name, p.last_name, p.mobile)
              for p in Person.objects.filter(national_id__in=[nid(804), nid(805)])}
    assert stored == {nid(804): ("علی", "کاظمی", "09121234567"),
                      nid(805): ("فاطمه", "نیک\u200cنام", "09121234560")}


def test_codes_written_with_a_zero_decimal_part_are_read_as_their_digits(
        doors: Doors) -> None:
    """A CSV written by pandas (a column with an empty cell becomes decimals) or with
    LibreOffice's "0.0" format: «3110009012.0» was refused as "may hold only digits"."""
    text = "\r\n".join([",".join(HEADERS), f"{nid(806)}.0,سارا,محمدی,9121234561.0",
                         f"{int(nid(807))}.00,رضا,کریمی,"]) + "\r\n"
    path = doors.tmp_path / "people.csv"
    path.write_bytes(text.encode())
    call_command("import_people", str(path), county="2310")
    stored = dict(Person.objects.filter(national_id__in=[nid(806), nid(807)])
                  .values_list("national_id", "mobile"))
    assert stored == {nid(806): "09121234561", nid(807): ""}


def test_a_cell_merged_down_a_group_of_people_gives_each_its_value(doors: Doors) -> None:
    """One office merged down the rows of its people: calamine gives the value to the
    first row only, and the others were stored without an employer.  A range that runs
    past the data adds no rows; a title merged across the top is no data."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["فهرست عوامل اجرایی شهرستان قرچک"])
    sheet.merge_cells("A1:E1")
    sheet.append([*HEADERS[:3], "محل کار", "سمت"])
    for n, employer in ((811, "آموزش و پرورش"), (812, None), (813, None), (814, "بهداشت")):
        sheet.append([nid(n), "نفر", f"شماره {n}", employer, "عضو شعبه"])
    sheet.merge_cells("D3:D5")
    sheet.merge_cells("D6:D9")  # past the last person
    out = io.BytesIO()
    book.save(out)
    path = doors.tmp_path / "people.xlsx"
    path.write_bytes(out.getvalue())
    call_command("import_people", str(path), county="2310")
    stored = dict(Person.objects.filter(national_id__in=[nid(n) for n in range(811, 815)])
                  .values_list("national_id", "employer"))
    assert stored == {nid(811): "آموزش و پرورش", nid(812): "آموزش و پرورش",
                      nid(813): "آموزش و پرورش", nid(814): "بهداشت"}


def test_a_sheet_without_people_is_refused_and_records_nothing(doors: Doors) -> None:
    """A header alone (or a header and its total row) said "0 people added, 0 updated"
    and wrote an audit entry of an import of nothing."""
    doors.refused("people.xlsx", xlsx([HEADERS, [None, "جمع: ۰ نفر"]]),
                  "the file has no rows of people")
    doors.refused("people.csv", ",".join(HEADERS).encode() + b"\r\n,,,\r\n",
                  "the file has no rows of people")


def test_hidden_rows_are_read_with_a_warning_naming_them(doors: Doors) -> None:
    """An AutoFilter hides the rows an office means to leave out; they were imported
    without a word.  They are read (a hidden row is still the sheet's data) and the
    import says which rows were hidden."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in people():
        sheet.append(row)
    sheet.append([nid(808), "حسن", "حسینی", "09121234562"])
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[9].hidden = True  # empty: not named
    out = io.BytesIO()
    book.save(out)
    upload = io.BytesIO(out.getvalue())
    upload.name = "people.xlsx"  # type: ignore[attr-defined]
    page = doors.web.post(doors.url, {"file": upload, "dry_run": "on"})
    body = page.content.decode()
    assert "1 rows of the sheet “Sheet” are hidden (rows 3)" in body, body[-3000:]
    path = doors.tmp_path / "people.xlsx"
    path.write_bytes(out.getvalue())
    call_command("import_people", str(path), county="2310")
    err = doors.capsys.readouterr().err
    assert "hidden (rows 3)" in err or "پنهان است (ردیف‌های ۳)" in err, err
    assert Person.objects.filter(national_id__in=[nid(801), nid(802), nid(808)]).count() == 3


def test_an_error_value_in_a_column_the_import_does_not_read_is_no_refusal(
        doors: Doors) -> None:
    """An office's own check column (a VLOOKUP showing #N/A), left out with --ignore:
    the people are imported; the same error in a column read refuses the file."""
    rows = [[*row, "بررسی"] if i == 0 else [*row, "ok"] for i, row in enumerate(people())]
    data = rewritten(xlsx(rows), "xl/worksheets/sheet1.xml", lambda xml: re.sub(
        rb'<c r="E3"[^>]*>.*?</c>', b'<c r="E3" t="e"><f>VLOOKUP(A3,B:B,1,0)</f>'
        b"<v>#N/A</v></c>", xml))
    path = doors.tmp_path / "people.xlsx"
    path.write_bytes(data)
    call_command("import_people", str(path), county="2310", ignore=["بررسی"])
    assert Person.objects.filter(national_id__in=[nid(801), nid(802)]).count() == 2
