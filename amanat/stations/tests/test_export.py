"""station_export: Persian headers, streaming CSV, XLSX, formula escaping, round trip."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from amanat.core.errors import RuleError
from amanat.lib.tabular import escape_formula, unescape_formula
from amanat.stations.models import Station
from amanat.stations.services import station_export, station_import
from amanat.stations.tests.test_import import HEADERS, ROWS, csv_text

NASTY = ["=HYPERLINK(\"http://x\")", "+98 21 5555", "-danger", "@SUM(A1)", "\tTab", "'=quoted",
         "'plain"]


@pytest.fixture
def stations(geo: Any, election: Any, tmp_file: Any) -> Any:
    report = station_import(election=election, file_path=tmp_file("s.csv", csv_text(HEADERS, ROWS)))
    assert not report.rejected, report.errors
    # Text that a spreadsheet would run as a formula, saved by hand (as the admin might).
    Station.objects.filter(code="0102").update(address=NASTY[0], route=NASTY[2],
                                              sensitivity_reason=NASTY[5], closed_reason=NASTY[6])
    Station.objects.filter(code="0101").update(address=NASTY[1], route=NASTY[3])
    return Station.objects.filter(election=election)


def test_escape_is_exactly_undone() -> None:
    for text in [*NASTY, "", "'", "a=b", "-", "۱۲۳"]:
        assert unescape_formula(escape_formula(text)) == text
    assert escape_formula("=1+1") == "'=1+1"
    assert escape_formula("-danger") == "'-danger"


def test_csv_export_is_a_stream_with_persian_headers_and_escaped_text(stations: Any) -> None:
    chunks = station_export(queryset=stations)
    assert chunks is not None and not isinstance(chunks, bytes | str)
    text = b"".join(chunks).decode("utf-8-sig")
    header = text.splitlines()[0].split(",")
    assert header[:3] == ["کد شعبه", "کد شهرستان", "کد شهر یا آبادی"]
    assert "'=HYPERLINK" in text and "'+98 21 5555" in text and "'-danger" in text
    assert "'@SUM(A1)" in text
    assert "\n=" not in text and ",=" not in text and ",-danger" not in text


def test_xlsx_export_escapes_text_but_keeps_numbers(stations: Any) -> None:
    Station.objects.filter(code="0101").update(expected_voters=0, latitude=35.5)
    out = io.BytesIO()
    station_export(queryset=stations, stream=out, format="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "کد شعبه"
    by_code = {r[0]: r for r in rows[1:]}
    school = by_code["0101"]
    assert school[5] == "'+98 21 5555"
    assert school[6] == 35.5 and isinstance(school[6], float)
    assert school[11] == 0
    assert all(not (isinstance(c, str) and c.startswith("=")) for r in rows for c in r)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_is_unchanged(stations: Any, election: Any, tmp_path: Any,
                                         fmt: str) -> None:
    before = list(stations.order_by("code").values())
    path = tmp_path / f"export.{fmt}"
    with open(path, "wb") as stream:
        station_export(queryset=stations, stream=stream, format=fmt)
    report = station_import(election=election, file_path=path)
    assert not report.rejected, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(stations.order_by("code").values()) == before
    assert Station.objects.get(code="0102").sensitivity_reason == "'=quoted"


def test_export_speaks_the_vocabulary_of_the_pages(stations: Any) -> None:
    """The workbook says what the pages say: choice labels are the Persian labels of the
    model's choices, headers are spelled with hamza and ZWNJ, the sheet is named; the
    import reads the earlier spellings too."""
    from django.utils import translation

    from amanat.stations import tabular
    from amanat.stations.models import Cctv, Fibre, StationKind, Status, Venue

    with translation.override("fa"):
        for enum, choices in ((tabular.CCTV, Cctv), (tabular.FIBRE, Fibre),
                              (tabular.VENUE, Venue), (tabular.STATUS, Status),
                              (tabular.KIND, StationKind)):
            assert enum.labels_fa == {v: str(label) for v, label in choices.choices}
    Station.objects.filter(code="0101").update(cctv="recorded", fibre="planned")
    out = io.BytesIO()
    station_export(queryset=stations, stream=out, format="xlsx")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["شعب"]
    rows = list(book.active.iter_rows(values_only=True))
    header = list(rows[0])
    assert "رأی‌دهندگان" in header and "دسترس‌پذیر" in header
    assert "رأی‌گیری الکترونیکی" in header
    assert not {"رای دهندگان", "دسترس پذیر", "رای گیری الکترونیکی"} & set(header)
    school = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}["0101"]
    assert school["دوربین"] == "ضبط‌شده" and school["فیبر"] == "برنامه‌ریزی‌شده"
    # The import's error lists the same words; the old ones are still read.
    parse = tabular.enum_parser(tabular.FIBRE)
    with pytest.raises(RuleError) as refused:
        parse("شاید")
    assert all(word in refused.value.render("fa") for word in ("متصل", "برنامه‌ریزی‌شده", "هیچ"))
    assert parse("در دست اجرا") == "planned" and parse("ندارد") == "none"
    assert tabular.enum_parser(tabular.CCTV)("ضبط") == "recorded"
    assert tabular.column_for("رای دهندگان") is tabular.column_for("رأی‌دهندگان")
