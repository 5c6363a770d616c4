"""station_import: Persian spreadsheets in, all-or-nothing, upsert counts, audit."""

from __future__ import annotations

import codecs
import datetime
import hashlib
import io
from typing import Any

import openpyxl
import pytest

from amanat.audit.models import Event
from amanat.stations.models import Station
from amanat.stations.services import station_import, write_error_report

# Headers with Arabic kaf/yeh, a ZWNJ and a different spacing than ours.
HEADERS = [
    "كد شعبه", "کد شهرستان", "كد شهر يا آبادي", "نام", "نشانی", "عرض جغرافیایی",
    "طول جغرافیایی", "نوع مکان", "سیار", "مسیر", "رأی‌دهندگان", "ظرفیت", "دوربین",
    "تعداد دوربین", "فیبر", "تاریخ فیبر", "برق اضطراری", "حساس", "دلیل حساسيت", "وضعیت",
    "کد حوزه انتخابیه", "ردیف",
]
ROWS = [
    ["۱۰۱", "۲۳۱۰", "٢٣١٠٠١", "مدرسه شهيد رجائي", "خيابان امام، كوچه ۳", "۳۵٫۴۳", "51.57",
     "مدرسه", "خیر", "", "۱٬۲۰۰", "۱۵۰۰", "زنده", "۴", "در دست اجرا", "۱۴۰۴/۱۱/۳۰", "بله",
     "بله", "نزديك مرز استان", "فعال", "T1", "1"],
    ["102", "815", "815010101", "مسجد جامع باغین", "", "30.19", "56.81", "mosque", "بله",
     "باغین - اختیارآباد", "300", "", "ندارد", "0", "none", "", "ندارد", "خیر", "", "active",
     "", "2"],
]


def csv_text(headers: list[str], rows: list[list[str]]) -> str:
    def line(cells: list[str]) -> str:
        return ",".join(f'"{c}"' if "," in c or "،" in c else c for c in cells)

    return "\n".join([line(headers), *(line(r) for r in rows)]) + "\n"


def xlsx_bytes(headers: list[str], rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def assert_imported(geo: Any) -> None:
    school = Station.objects.get(code="0101")
    assert school.county == geo.gharchak
    assert school.unit == geo.gharchak_city
    assert school.unit_path == geo.gharchak_city.path
    assert school.constituency == geo.constituency
    assert school.name == "مدرسه شهید رجائی"  # ي→ی; the hamza seat stays
    assert school.address == "خیابان امام، کوچه 3"
    assert (school.latitude, school.longitude) == (35.43, 51.57)
    assert school.h3_cell and len(school.h3_cell) == 15
    assert (school.venue, school.kind, school.expected_voters, school.capacity) == (
        "school", "fixed", 1200, 1500
    )
    assert (school.cctv, school.cameras, school.fibre) == ("live", 4, "planned")
    assert school.fibre_date == datetime.date(2026, 2, 19)  # 1404/11/30
    assert school.power_backup and school.sensitive
    assert school.sensitivity_reason == "نزدیک مرز استان"
    assert school.status == "active"
    mosque = Station.objects.get(code="0102")
    assert (mosque.county, mosque.unit, mosque.kind) == (geo.kerman, geo.village, "mobile")
    assert mosque.unit_path == geo.village.path
    assert mosque.route == "باغین - اختیارآباد"
    assert (mosque.venue, mosque.cctv, mosque.cameras, mosque.capacity) == (
        "mosque", "none", 0, None
    )
    assert not mosque.sensitive and not mosque.power_backup


def test_csv_with_persian_headers_digits_and_jalali_date(geo: Any, election: Any,
                                                         tmp_file: Any) -> None:
    path = tmp_file("stations.csv", csv_text(HEADERS, ROWS))
    report = station_import(election=election, file_path=path)
    assert not report.rejected, report.errors
    assert (report.total_rows, report.created, report.updated, report.unchanged) == (2, 2, 0, 0)
    assert report.ignored_columns == ["ردیف"]
    assert report.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert_imported(geo)
    event = Event.objects.get(action="station.import")
    assert event.extra["sha256"] == report.sha256
    assert (event.extra["created"], event.extra["rows"]) == (2, 2)


def test_xlsx_with_numbers_and_text(geo: Any, election: Any, tmp_file: Any) -> None:
    rows = [list(r) for r in ROWS]
    rows[0][0], rows[0][5], rows[0][11] = 101, 35.43, 1500  # numeric cells as Excel keeps them
    rows[1][1], rows[1][2] = 815, 815010101
    path = tmp_file("stations.xlsx", xlsx_bytes(HEADERS, rows))
    report = station_import(election=election, file_path=path)
    assert not report.rejected, report.errors
    assert report.format == "xlsx"
    assert report.created == 2
    assert_imported(geo)


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16"])
def test_csv_encodings_with_bom(geo: Any, election: Any, tmp_file: Any, encoding: str) -> None:
    text = csv_text(HEADERS, ROWS)
    if encoding == "utf-16":  # Excel's "Unicode text" is tab-separated UTF-16
        text = text.replace(",", "\t")  # the address holds an Arabic comma, not this one
    path = tmp_file("stations.csv", text, encoding=encoding)
    report = station_import(election=election, file_path=path)
    assert not report.rejected, report.errors
    assert report.created == 2
    assert Station.objects.get(code="0101").name == "مدرسه شهید رجائی"


def test_english_headers_and_fileobj(geo: Any, election: Any) -> None:
    text = ("code,county_code,name,Latitude,Longitude,CCTV,Cameras\n"
            "7,2310,Hall,35.4,51.5,recorded,2\n")
    report = station_import(
        election=election, fileobj=io.BytesIO(codecs.BOM_UTF8 + text.encode()),
        filename="x.csv",
    )
    assert not report.rejected, report.errors
    station = Station.objects.get(code="0007")
    assert (station.cctv, station.cameras, station.unit_path) == ("recorded", 2, geo.gharchak.path)


BAD_ROWS = [
    ["1", "2310", "", "الف", "", "45.0", "51.5", "مدرسه", "خیر", "", "10", "", "ندارد", "0",
     "ندارد", "", "خیر", "خیر", "", "فعال", "", ""],
    ["2", "2310", "", "ب", "", "35.5", "51.5", "مدرسه", "خیر", "", "-5", "", "ندارد", "0",
     "ندارد", "", "خیر", "خیر", "", "فعال", "", ""],
    ["3", "2310", "", "پ", "", "35.5", "51.5", "مدرسه", "بله", "", "10", "", "ندارد", "0",
     "ندارد", "", "خیر", "خیر", "", "فعال", "", ""],
    ["4", "9999", "", "ت", "", "35.5", "51.5", "مدرسه", "خیر", "", "10", "", "ندارد", "0",
     "ندارد", "", "خیر", "خیر", "", "فعال", "", ""],
    ["5", "2310", "", "ث", "", "35.5", "51.5", "مدرسه", "خیر", "", "10", "", "ندارد", "0",
     "در دست اجرا", "1403/12/31", "خیر", "خیر", "", "فعال", "", ""],
    ["6", "2310", "", "ج", "", "35.5", "51.5", "مدرسه", "خیر", "", "10", "", "ندارد", "0",
     "ندارد", "", "خیر", "خیر", "", "فعال", "", ""],
]


def test_any_error_rejects_the_whole_file(geo: Any, election: Any, tmp_file: Any) -> None:
    path = tmp_file("bad.csv", csv_text(HEADERS, BAD_ROWS))
    report = station_import(election=election, file_path=path)
    assert report.rejected
    assert Station.objects.count() == 0
    assert not Event.objects.filter(action="station.import").exists()
    found = {(e.row, e.column): e for e in report.errors}
    expected = {
        (2, "عرض جغرافیایی"): ("45.0", "outside Iran", "بیرون از ایران"),
        (3, "رأی‌دهندگان"): ("-5", "cannot be negative", "منفی"),
        (4, "مسیر"): ("", "mobile station needs a route", "شعبه سیار باید مسیر"),
        (5, "کد شهرستان"): ("9999", "no county with code 9999", "شهرستانی با کد ۹۹۹۹"),
        (6, "تاریخ فیبر"): ("1403/12/31", "day 31 does not exist", "روز ۳۱"),
    }
    assert set(found) == set(expected)
    for key, (value, en, fa) in expected.items():
        assert found[key].value == value
        assert en in found[key].render("en")
        assert fa in found[key].render("fa")


def test_error_report_lists_rows_with_an_error_column(geo: Any, election: Any,
                                                      tmp_file: Any, tmp_path: Any) -> None:
    report = station_import(election=election, file_path=tmp_file("bad.csv",
                                                                   csv_text(HEADERS, BAD_ROWS)))
    out = tmp_path / "errors.xlsx"
    write_error_report(report, out, "xlsx")
    sheet = openpyxl.load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-1] == "error / خطا"
    assert len(rows) == 1 + len(BAD_ROWS)
    assert "بیرون از ایران" in rows[1][-1] and "outside Iran" in rows[1][-1]
    assert rows[6][-1] in ("", None)  # row 7, the good one
    csv_out = io.BytesIO()
    write_error_report(report, csv_out, "csv")
    assert "منفی" in csv_out.getvalue().decode("utf-8-sig")


def test_dry_run_writes_nothing(geo: Any, election: Any, tmp_file: Any) -> None:
    report = station_import(
        election=election, file_path=tmp_file("s.csv", csv_text(HEADERS, ROWS)), dry_run=True
    )
    assert (report.rejected, report.created) == (False, 2)
    assert Station.objects.count() == 0
    assert not Event.objects.exists()


def test_reimport_counts_unchanged_and_updated(geo: Any, election: Any, tmp_file: Any) -> None:
    path = tmp_file("s.csv", csv_text(HEADERS, ROWS))
    station_import(election=election, file_path=path)
    again = station_import(election=election, file_path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows = [list(r) for r in ROWS]
    rows[1][10] = "350"
    changed = station_import(election=election,
                             file_path=tmp_file("c.csv", csv_text(HEADERS, rows)))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    assert Station.objects.get(code="0102").expected_voters == 350
    assert Station.objects.count() == 2
    assert Event.objects.filter(action="station.import").count() == 3


def test_absent_columns_keep_current_values(geo: Any, election: Any, tmp_file: Any) -> None:
    station_import(election=election, file_path=tmp_file("s.csv", csv_text(HEADERS, ROWS)))
    partial = "کد شعبه,کد شهرستان,نام,ظرفیت\n101,2310,مدرسه شهید رجائی,1600\n"
    report = station_import(election=election, file_path=tmp_file("p.csv", partial))
    assert (report.updated, report.unchanged) == (1, 0), report.errors
    school = Station.objects.get(code="0101")
    assert (school.capacity, school.cctv, school.cameras) == (1600, "live", 4)
    assert school.sensitive


def test_duplicates_and_missing_columns(geo: Any, election: Any, tmp_file: Any) -> None:
    dup = "code,county_code,name\n1,2310,a\n1,2310,b\n"
    report = station_import(election=election, file_path=tmp_file("d.csv", dup))
    assert [(e.row, e.field) for e in report.errors] == [(3, "code")]
    missing = station_import(election=election, file_path=tmp_file("m.csv", "code,name\n1,a\n"))
    assert [(e.row, e.field) for e in missing.errors] == [(1, "county_code")]
    assert Station.objects.count() == 0


def test_unit_must_lie_in_the_county(geo: Any, election: Any, tmp_file: Any) -> None:
    text = "code,county_code,unit_code,name\n1,2310,815010101,a\n"
    report = station_import(election=election, file_path=tmp_file("u.csv", text))
    assert [(e.row, e.column) for e in report.errors] == [(2, "unit_code")]
    assert "815010101" in report.errors[0].render("en")


def test_unreadable_and_empty_files(geo: Any, election: Any, tmp_file: Any) -> None:
    files = [("e.csv", b""), ("x.xlsx", b"PK\x03\x04garbage"),
             ("h.csv", "code,county_code,name\n")]
    for name, content in files:
        report = station_import(election=election, file_path=tmp_file(name, content))
        assert report.rejected, name
        assert report.errors[0].render("fa")
    with pytest.raises(TypeError):
        station_import(election=election)


def test_xlsx_gregorian_date_cell_and_gaps(geo: Any, election: Any, tmp_file: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["code", "county_code", "name", "fibre", "fibre_date"])
    sheet.append([])  # a blank row 2 keeps row numbers as the user sees them
    sheet.append([5, 2310, "الف", "planned", datetime.datetime(2026, 2, 19)])
    sheet.append([6, 2310, None, "planned", "1404/11/31"])
    out = io.BytesIO()
    book.save(out)
    report = station_import(election=election, file_path=tmp_file("g.xlsx", out.getvalue()))
    assert sorted((e.row, e.field) for e in report.errors) == [(4, "fibre_date"), (4, "name")]
    fixed = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    fixed.active["C4"], fixed.active["E4"] = "ب", "1404/11/30"
    out = io.BytesIO()
    fixed.save(out)
    report = station_import(election=election, file_path=tmp_file("h.xlsx", out.getvalue()))
    assert not report.rejected, report.errors
    assert Station.objects.get(code="0005").fibre_date == datetime.date(2026, 2, 19)
    assert Station.objects.get(code="0006").fibre_date == datetime.date(2026, 2, 19)
