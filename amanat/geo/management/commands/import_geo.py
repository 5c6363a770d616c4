"""``amanat import-geo [--file PATH]``: load Iran's administrative units."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from amanat.audit.services import cli_actor
from amanat.geo.models import Kind
from amanat.geo.services import GeoImportError, geo_import


class Command(BaseCommand):
    help = "Import or update administrative units from the project's geography file."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--file", dest="path", default=None,
            help="CSV (optionally gzipped) in the format of amanat/geo/data/iran_units.csv.gz; "
                 "defaults to that packaged file.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = geo_import(path=options["path"], actor_name=cli_actor())
        except GeoImportError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.perf_counter() - started
        header = f"{_('kind'):<16}{_('created'):>10}{_('updated'):>10}{_('unchanged'):>11}"
        self.stdout.write(header)
        for kind in Kind:
            self.stdout.write(
                f"{kind.value:<16}{result.created[kind]:>10}{result.updated[kind]:>10}"
                f"{result.unchanged[kind]:>11}"
            )
        self.stdout.write(
            f"{_('total'):<16}{result.total_created:>10}{result.total_updated:>10}"
            f"{result.total_unchanged:>11}"
        )
        self.stdout.write(self.style.SUCCESS(
            _("Imported %(count)d units in %(seconds).1f s.")
            % {"count": result.total, "seconds": elapsed}
        ))
