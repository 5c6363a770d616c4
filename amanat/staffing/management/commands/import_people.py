"""``amanat import-people FILE --county CODE``: import a CSV/XLSX of people who may staff
the county's stations, all rows or none.  Columns the import does not know are mapped
(``--map HEADER=FIELD``) or left out (``--ignore HEADER``), as in ``import-stations``;
the lines it prints are in the site's language (Persian), frame and message alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amanat.core.templatetags.persian import localize_digits
from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.staffing import people_table as pt
from amanat.staffing.services import people_import
from amanat.stations.management.commands.import_stations import column_mapping


class Command(BaseCommand):
    help = "Import station staff candidates (people) of a county; any error rejects the file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--county", required=True, help="the county's code")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")
        parser.add_argument(
            "--map", action="append", default=[], metavar="HEADER=FIELD",
            help="read the column HEADER as FIELD (a field name such as home_place, or any "
                 "accepted header); repeatable")
        parser.add_argument("--ignore", action="append", default=[], metavar="HEADER",
                            help="leave the column HEADER out of the import; repeatable")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file") % {"path": path})
        code = canonical_unit_code("county", options["county"])
        county = AdminUnit.objects.filter(kind=Kind.COUNTY, code=code).first()
        if county is None:
            raise CommandError(_("no county with code %(code)s") % {"code": options["county"]})
        mapping = column_mapping(options["map"], options["ignore"],
                                 target_of=pt.mapping_target, columns=pt.COLUMNS)
        report = people_import(county=county, data=path.read_bytes(), filename=path.name,
                               actor=None, dry_run=options["dry_run"], mapping=mapping)
        for warning in report.warnings:
            self.stderr.write(_("warning: %(message)s") % {"message": warning.message})
        if report.ignored_columns:
            self.stderr.write(_("ignored columns: %(columns)s")
                              % {"columns": "، ".join(report.ignored_columns)})
        for error in report.errors:
            self.stderr.write(_("row %(row)s, column «%(column)s», value «%(value)s»: "
                                "%(message)s") % {
                "row": localize_digits(str(error.row)), "column": error.column,
                "value": error.value, "message": error.message})
        for unknown in report.unknown_columns:
            field = unknown.candidates[0] if unknown.candidates else "FIELD"
            self.stderr.write(_("to import the column «%(header)s», run again with --map "
                                "'%(header)s=%(field)s' (or another field), or with --ignore "
                                "'%(header)s' to leave it out") % {
                "header": unknown.header, "field": field})
        if report.rejected:
            raise CommandError(_("rejected: %(count)s error(s); nothing was written")
                               % {"count": localize_digits(str(len(report.errors)))},
                               returncode=1)
        self.stdout.write(_("%(created)s created, %(updated)s updated, %(unchanged)s "
                            "unchanged") % {
            "created": localize_digits(str(report.created)),
            "updated": localize_digits(str(report.updated)),
            "unchanged": localize_digits(str(report.unchanged))})
