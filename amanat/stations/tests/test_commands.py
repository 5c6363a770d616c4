"""The command line: amanat import-stations / export-stations."""

from __future__ import annotations

from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amanat.stations.models import Station
from amanat.stations.tests.test_import import BAD_ROWS, HEADERS, ROWS, csv_text


def test_import_then_export_by_county(geo: Any, election: Any, tmp_file: Any, tmp_path: Any,
                                      capsys: Any) -> None:
    path = tmp_file("s.csv", csv_text(HEADERS, ROWS))
    call_command("import_stations", str(path), "--election", election.slug)
    assert "2 created" in capsys.readouterr().out
    assert Station.objects.count() == 2
    out = tmp_path / "kerman.xlsx"
    call_command("export_stations", "--out", str(out), "--county", "815")
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["0102"]


def test_dry_run_uses_the_current_election(geo: Any, election: Any, tmp_file: Any,
                                           capsys: Any) -> None:
    call_command("import_stations", str(tmp_file("s.csv", csv_text(HEADERS, ROWS))), "--dry-run")
    assert "would import 2 rows" in capsys.readouterr().out
    assert Station.objects.count() == 0


def test_rejected_file_exits_1_and_prints_errors(geo: Any, election: Any, tmp_file: Any,
                                                 tmp_path: Any, capsys: Any) -> None:
    errors_out = tmp_path / "errors.csv"
    # (call_command rather than amanat.cli.main: run_from_argv closes the test's connection)
    with pytest.raises(CommandError) as exit_info:
        call_command("import_stations", str(tmp_file("b.csv", csv_text(HEADERS, BAD_ROWS))),
                     "--errors-out", str(errors_out))
    assert exit_info.value.returncode == 1
    err = capsys.readouterr().err
    assert "row 5, column «کد شهرستان»" in err and "شهرستانی با کد" in err
    assert "error / خطا" in errors_out.read_text(encoding="utf-8-sig")
    assert Station.objects.count() == 0


def test_unknown_election_and_county(geo: Any, election: Any, tmp_file: Any,
                                     tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="no election"):
        call_command("import_stations", str(tmp_file("s.csv", "x")), "--election", "nope")
    with pytest.raises(CommandError, match="no county"):
        call_command("export_stations", "--out", str(tmp_path / "o.csv"), "--county", "1")


def test_export_shows_progress_on_standard_error(geo: Any, election: Any, tmp_file: Any,
                                                 tmp_path: Any, capsys: Any) -> None:
    call_command("import_stations", str(tmp_file("s.csv", csv_text(HEADERS, ROWS))),
                 "--election", election.slug)
    capsys.readouterr()
    call_command("export_stations", "--out", str(tmp_path / "all.csv"))
    captured = capsys.readouterr()
    assert "2/2" in captured.err  # rows done of rows, with the bar and time left
    assert "100%" in captured.err
    assert "2/2" not in captured.out  # the command's own output stays clean


def test_import_shows_progress_on_standard_error(geo: Any, election: Any, tmp_file: Any,
                                                 capsys: Any) -> None:
    # 1,200 rows (copies of one with new codes): enough for the bar to be reported on.
    row = ROWS[1]
    rows = [[str(1000 + n), *row[1:]] for n in range(1200)]
    call_command("import_stations", str(tmp_file("many.csv", csv_text(HEADERS, rows))),
                 "--election", election.slug)
    captured = capsys.readouterr()
    assert "1200/1200" in captured.err and "100%" in captured.err
    assert "1200/1200" not in captured.out
    assert Station.objects.filter(election=election).count() == 1200
