"""``amanat import-people FILE --county CODE``: import a CSV/XLSX of people who may staff
the county's stations, all rows or none."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.staffing.services import people_import


class Command(BaseCommand):
    help = "Import station staff candidates (people) of a county; any error rejects the file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--county", required=True, help="the county's code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        code = canonical_unit_code("county", options["county"])
        county = AdminUnit.objects.filter(kind=Kind.COUNTY, code=code).first()
        if county is None:
            raise CommandError(f"no county with code {options['county']}")
        report = people_import(county=county, data=path.read_bytes(), filename=path.name,
                               actor=None, dry_run=options["dry_run"])
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for error in report.errors:
            self.stderr.write(f"row {error.row}, column «{error.column}», value "
                              f"«{error.value}»: {error.message}")
        if report.rejected:
            raise CommandError(f"rejected: {len(report.errors)} error(s); nothing was written",
                               returncode=1)
        self.stdout.write(f"{report.created} created, {report.updated} updated, "
                          f"{report.unchanged} unchanged")
