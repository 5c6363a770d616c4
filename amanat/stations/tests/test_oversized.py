"""Files and text too large for the registry: refused with a clear message naming where,
never a 500, a traceback, work proportional to what a file declares, or a silent cut."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amanat.core.errors import tabular_error
from amanat.lib.tabular import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, TabularError, read_table
from amanat.stations.models import Station
from amanat.stations.services import station_export, station_import
from amanat.stations.tests.conftest import Registry
from amanat.stations.tests.test_upload import HEADER, governor, snapshot, upload  # noqa: F401
from amanat.stations.tests.test_views import client_for
from amanat.stations.validation import TEXT_LIMITS

ROUTE_HEADER = "کد شعبه,کد شهرستان,نام,سیار,مسیر\n"


def _xlsx(rows: list[list[Any]], far_cell: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    if far_cell is not None:
        sheet[far_cell] = "x"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- 1. a cell past the csv module's field limit ------------------------------------------


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_huge_csv_cell_is_a_row_error_on_the_page(
    registry: Registry, governor: Client, dry_run: bool  # noqa: F811
) -> None:
    before = snapshot()
    content = ROUTE_HEADER + "105,2310,شعبه سیار,بله," + "ج" * 131_073 + "\n"
    extra = {"dry_run": "on"} if dry_run else {}
    response = upload(governor, registry, "s.csv", content, **extra)
    assert response.status_code == 200
    errors = response.context["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(2, "مسیر")]
    assert "نویسه" in errors[0]["message"]
    assert len(errors[0]["value"]) < 300  # quoted, not copied whole
    assert snapshot() == before


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]])
def test_a_huge_csv_cell_is_reported_by_the_command(
    registry: Registry, tmp_path: Any, capsys: Any, dry_run: list[str]
) -> None:
    before = snapshot()
    path = tmp_path / "s.csv"
    path.write_text(ROUTE_HEADER + "105,2310,شعبه سیار,بله," + "a" * 200_000 + "\n")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import_stations", str(path), "--election", registry.election.slug,
                     *dry_run)
    err = capsys.readouterr().err
    assert "row 2, column «مسیر»" in err and "۲۰۰٬۰۰۰ نویسه" in err
    assert "Traceback" not in err
    assert snapshot() == before


def test_a_cell_longer_than_any_column_is_refused_whatever_the_column(
    registry: Registry
) -> None:
    # A station code of 40,000 digits: refused as a cell before it is parsed.
    content = HEADER + "1" * 40_000 + ",2310,شعبه,ندارد,0,بله\n"
    report = station_import(election=registry.election, fileobj=io.BytesIO(content.encode()),
                            filename="s.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "کد شعبه")]
    assert "cell too long: 40,000 characters" in report.errors[0].render("en")
    assert "۴۰٬۰۰۰ نویسه" in report.errors[0].render("fa")


# --- 3. work bounded by the data, not the declared size ---------------------------------


def test_an_xlsx_with_one_cell_at_the_last_row_is_refused_before_reading(
    registry: Registry, governor: Client  # noqa: F811
) -> None:
    before = snapshot()
    data = _xlsx([HEADER.strip().split(","), ["105", "2310", "شعبه", "ندارد", 0, "بله"]],
                 far_cell="Z1048576")
    response = upload(governor, registry, "s.xlsx", data)
    assert response.status_code == 200
    messages = [e["message"] for e in response.context["errors"]]
    assert len(messages) == 1 and "۱٬۰۴۸٬۵۷۶" in messages[0] and "۱۰۰٬۰۰۰" in messages[0]
    assert snapshot() == before


def test_an_xlsx_wider_than_the_column_limit_is_refused() -> None:
    far = openpyxl.utils.get_column_letter(MAX_COLUMNS + 1) + "2"
    data = _xlsx([["a", "b"], ["1", "2"]], far_cell=far)
    with pytest.raises(TabularError) as refused:
        read_table(data, filename="s.xlsx")
    assert (refused.value.reason, refused.value.limit) == ("too_many_columns", MAX_COLUMNS)
    assert f"at most {MAX_COLUMNS} are read" in tabular_error(refused.value).render("en")


def test_a_csv_with_too_many_rows_is_refused(registry: Registry) -> None:
    content = HEADER + "105,2310,شعبه,ندارد,0,بله\n" + "\n" * MAX_ROWS
    report = station_import(election=registry.election, fileobj=io.BytesIO(content.encode()),
                            filename="s.csv")
    assert report.rejected and not Station.objects.filter(code="0105").exists()
    assert [e.row for e in report.errors] == [1]
    assert f"at most {MAX_ROWS:,} rows are read" in report.errors[0].render("en")


def test_the_last_data_row_ends_an_xlsx_read() -> None:
    table = read_table(_xlsx([["a", "b"], ["1", "2"]], far_cell="B30"), filename="s.xlsx")
    assert [n for n, _cells in table.rows] == [2, 30]


# --- 2. one length limit per text field, on every path ---------------------------------


def test_the_model_the_importer_and_the_api_share_the_text_limits() -> None:
    for name, limit in TEXT_LIMITS.items():
        assert Station._meta.get_field(name).max_length == limit
        assert limit <= MAX_CELL_CHARS


def test_the_edit_page_refuses_a_route_past_its_limit(registry: Registry) -> None:
    station = registry.g_ready
    client = client_for(registry.personas.gharchak_governor)
    url = reverse("stations:edit", args=[station.pk])
    form = client.get(url).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None and k != "unit"}
    data.update(kind="mobile", route="ر" * (TEXT_LIMITS["route"] + 1),
                fibre_date="", power_backup="on", evoting_planned="on", evoting_ready="on")
    response = client.post(url, data)
    assert response.status_code == 200
    assert "route" in response.context["form"].errors
    station.refresh_from_db()
    assert station.route == ""
    data["route"] = "ر" * TEXT_LIMITS["route"]
    assert client.post(url, data).status_code == 302
    station.refresh_from_db()
    assert len(station.route) == TEXT_LIMITS["route"]


def test_the_importer_refuses_a_route_past_its_limit(registry: Registry) -> None:
    content = ROUTE_HEADER + "105,2310,شعبه سیار,بله," + "a" * 2001 + "\n"
    report = station_import(election=registry.election, fileobj=io.BytesIO(content.encode()),
                            filename="s.csv")
    assert [(e.row, e.column) for e in report.errors] == [(2, "مسیر")]
    assert not Station.objects.filter(code="0105").exists()


def test_a_station_at_every_limit_exports_and_imports_back_unchanged(
    registry: Registry
) -> None:
    station = registry.g_ready
    longest = {name: "ی" * limit for name, limit in TEXT_LIMITS.items()}
    Station.objects.filter(pk=station.pk).update(kind="mobile", sensitive=True,
                                                 status="closed", **longest)
    buffer = io.BytesIO()
    station_export(queryset=Station.objects.filter(pk=station.pk), stream=buffer,
                   format="xlsx")
    Station.objects.filter(pk=station.pk).update(route="short")
    report = station_import(election=registry.election, fileobj=io.BytesIO(buffer.getvalue()),
                            filename="back.xlsx")
    assert not report.rejected, report.errors
    station.refresh_from_db()
    assert {name: getattr(station, name) for name in TEXT_LIMITS} == longest


def test_xlsx_writing_refuses_a_cell_it_would_cut() -> None:
    from amanat.lib.tabular import write_xlsx

    with pytest.raises(ValueError, match="does not fit in XLSX"):
        write_xlsx(io.BytesIO(), ["a"], [["x" * (MAX_CELL_CHARS + 1)]], sheet_title="a")
