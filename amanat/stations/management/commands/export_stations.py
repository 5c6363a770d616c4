"""``amanat export-stations --out FILE``: write the stations of an election as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.core.progress import progress_bar
from amanat.elections.selectors import election_for_command
from amanat.geo.models import AdminUnit
from amanat.lib.tabular import Format
from amanat.stations.models import Station
from amanat.stations.services import station_export


class Command(BaseCommand):
    help = "Export polling stations (Persian headers) to a .csv or .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="output .csv or .xlsx")
        parser.add_argument("--election", help="election slug (default: the current election)")
        parser.add_argument("--county", help="only this county (official county code)")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options["election"])
        queryset = Station.objects.filter(election=election)
        if options["county"]:
            county = AdminUnit.objects.filter(kind="county", code=options["county"]).first()
            if county is None:
                raise CommandError(f"no county with code {options['county']!r}")
            queryset = queryset.filter(county=county)
        out: Path = options["out"]
        fmt: Format = "xlsx" if out.suffix.lower() == ".xlsx" else "csv"
        # A national export is ~59,000 rows: a bar with the time left on standard error.
        with open(out, "wb") as stream, progress_bar() as bar:
            task = bar.add_task(f"stations → {out.name}", total=queryset.count())
            station_export(queryset=queryset, stream=stream, format=fmt,
                           on_row=lambda: bar.advance(task))
        self.stdout.write(self.style.SUCCESS(f"wrote {queryset.count()} stations to {out}"))
