"""``amanat import-stations FILE``: import a CSV/XLSX of polling stations, all or nothing."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.core.progress import progress_bar
from amanat.elections.selectors import election_for_command
from amanat.lib.tabular import Format
from amanat.stations import tabular as st
from amanat.stations.services import ImportReport, station_import, write_error_report

# Printing tens of thousands of errors helps nobody; the --errors-out file has them all.
MAX_PRINTED = 1000



class Command(BaseCommand):
    help = "Import polling stations from a CSV or XLSX file; any error rejects the whole file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--election", help="election slug (default: the current election)")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--errors-out", type=Path,
            help="when rejected, write the rows plus an error column here (.csv or .xlsx)",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--map", action="append", default=[], metavar="HEADER=FIELD",
            help="read the column HEADER as FIELD (a field name such as capacity, or any "
                 "accepted header); repeatable",
        )
        parser.add_argument(
            "--ignore", action="append", default=[], metavar="HEADER",
            help="leave the column HEADER out of the import; repeatable",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        election = election_for_command(options["election"])
        mapping = column_mapping(options["map"], options["ignore"])
        with progress_bar() as bar:
            task = bar.add_task("checking rows", total=None)

            def checked(row: int, last_row: int) -> None:
                bar.update(task, completed=row, total=max(last_row, row) or None)

            report = station_import(election=election, file_path=path,
                                    dry_run=options["dry_run"], mapping=mapping,
                                    progress=checked)
            bar.update(task, description="done", total=report.total_rows,
                       completed=report.total_rows)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        else:
            self._print(report)
        if report.rejected:
            errors_out: Path | None = options["errors_out"]
            if errors_out is not None:
                fmt: Format = "xlsx" if errors_out.suffix.lower() == ".xlsx" else "csv"
                write_error_report(report, errors_out, fmt)
                self.stderr.write(f"error report written to {errors_out}")
            raise CommandError(
                f"rejected: {len(report.errors)} error(s); nothing was written", returncode=1
            )

    def _print(self, report: ImportReport) -> None:
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        if report.sheet or report.header_row != 1:
            sheet = f"sheet «{report.sheet}», " if report.sheet else ""
            self.stderr.write(f"read {sheet}header on row {report.header_row}")
        if report.ignored_columns:
            self.stderr.write(f"ignored columns: {', '.join(report.ignored_columns)}")
        for error in report.errors[:MAX_PRINTED]:
            self.stderr.write(
                f"row {error.row}, column «{error.column}», value «{error.value}»: "
                f"{error.message}"
            )
        if len(report.errors) > MAX_PRINTED:
            self.stderr.write(f"... and {len(report.errors) - MAX_PRINTED} more errors")
        for unknown in report.unknown_columns:
            field = unknown.candidates[0] if unknown.candidates else "FIELD"
            self.stderr.write(
                f"to import column «{unknown.header}», run again with "
                f"--map '{unknown.header}={field}' (or another field), or with "
                f"--ignore '{unknown.header}' to leave it out"
            )
        if not report.rejected:
            verb = "would import" if report.dry_run else "imported"
            self.stdout.write(self.style.SUCCESS(
                f"{verb} {report.total_rows} rows: {report.created} created, "
                f"{report.updated} updated, {report.unchanged} unchanged "
                f"(sha256 {report.sha256})"
            ))


def column_mapping(maps: list[str], ignores: list[str], *,
                   target_of: Callable[[str], object] = st.mapping_target,
                   columns: Sequence[Any] = st.COLUMNS) -> dict[str, str]:
    """``--map HEADER=FIELD`` and ``--ignore HEADER`` as one mapping; unknown fields are
    refused with the list of field names.  ``target_of``/``columns``: another import's
    vocabulary (the people import's, ``staffing.people_table``)."""
    mapping: dict[str, str] = {}
    for item in maps:
        header, sep, target = item.rpartition("=")
        if not sep or not header.strip() or not target.strip():
            raise CommandError(f"--map {item!r}: write it as HEADER=FIELD")
        if target_of(target) is None:
            names = ", ".join(c.name for c in columns)
            raise CommandError(f"--map {item!r}: {target!r} is not a field; fields: {names}")
        mapping[header.strip()] = target.strip()
    for header in ignores:
        mapping[header.strip()] = st.IGNORE
    return mapping
