"""``amanat import-boundaries FILE``: load official province and county boundaries."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from amanat.audit.services import cli_actor
from amanat.geo.services import BoundaryImportError, boundaries_import


class Command(BaseCommand):
    help = ("Load an installation's official province and county boundaries (GeoJSON or a "
            "shapefile in WGS84, each feature with its unit's official code); any error "
            "refuses the whole file.")

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--code-field", default="code",
                            help="the property holding the official code (default: code)")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("%(path)s is not a file.") % {"path": path})
        try:
            result = boundaries_import(path=path, actor_name=cli_actor(),
                                       code_field=options["code_field"])
        except BoundaryImportError as exc:
            # Both languages: the office reads Persian, a technician may read English.
            for error in exc.errors:
                self.stderr.write(f"{error.render('fa')}\n  {error.render('en')}")
            raise CommandError(
                _("Refused: %(count)d error(s); nothing was stored.") % {"count": len(exc.errors)},
                returncode=1,
            ) from exc
        self.stdout.write(self.style.SUCCESS(
            _("Stored %(provinces)d province and %(counties)d county boundaries.")
            % {"provinces": result.provinces, "counties": result.counties}
        ))
