"""``amanat load-constituencies``: the law's council constituencies from the geography."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amanat.candidates.services import constituencies_load
from amanat.elections.selectors import election_for_command
from amanat.geo.models import AdminUnit, Kind


class Command(BaseCommand):
    help = ("Create the council constituencies (cities, villages with a known population, "
            "rural districts for the rest) with seats by the law's population bands, and "
            "attach them to the election's council contests. Seats set by hand are kept.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current one)")
        parser.add_argument("--province", help="only this province (official code)")
        parser.add_argument("--county", help="only this county (official code)")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options.get("election"))
        scope = None
        for kind in (Kind.PROVINCE, Kind.COUNTY):
            code = options.get(kind)
            if code:
                scope = AdminUnit.objects.filter(kind=kind, code=code).first()
                if scope is None:
                    raise CommandError(f"there is no {kind} with code {code!r}")
        result = constituencies_load(election=election, scope=scope)
        self.stdout.write(f"constituencies: {result}")
