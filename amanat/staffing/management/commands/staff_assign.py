"""``amanat staff-assign --county CODE`` (or ``--all``): fill the empty station posts of a
county (every county) with the solver; everyone already assigned stays where they are.
``--replace`` is the explicit full re-optimisation of every post not pinned by hand (it
may move people who hold appointment letters)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from amanat.core.errors import RuleError
from amanat.core.progress import track
from amanat.elections.selectors import election_for_command
from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.staffing.assignment import roster_assign
from amanat.staffing.models import Person


class Command(BaseCommand):
    help = "Assign people to the open station posts of a county (or of every county)."

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--county", help="the county's code")
        which.add_argument("--all", action="store_true", help="every county with people")
        parser.add_argument("--election", help="election slug (default: the current one)")
        parser.add_argument("--time-limit", type=float, default=60.0,
                            help="seconds the solver may take per county")
        parser.add_argument("--gender-balance", action="store_true")
        parser.add_argument("--replace", action="store_true",
                            help="re-optimise every post not pinned by hand, moving people "
                                 "already assigned (their letters become void); by default "
                                 "only the empty posts are filled")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options["election"])
        if options["all"]:
            ids = set(Person.objects.values_list("county_id", flat=True))
            counties = list(AdminUnit.objects.filter(pk__in=ids).order_by("code"))
        else:
            code = canonical_unit_code("county", options["county"])
            counties = list(AdminUnit.objects.filter(kind=Kind.COUNTY, code=code))
            if not counties:
                raise CommandError(f"no county with code {options['county']}")
        if options["replace"]:
            self.stderr.write(_("Warning: a full re-optimisation may move people who already "
                                "hold a post and an appointment letter; their letters are "
                                "then void and they are told by SMS when the roster is "
                                "approved."))
        failed = 0
        for county in track(counties, "staff-assign"):
            try:
                roster = roster_assign(election=election, county=county,
                                       time_limit_s=options["time_limit"],
                                       gender_balance=options["gender_balance"],
                                       replace=options["replace"])
            except RuleError as error:
                failed += 1
                self.stderr.write(f"{county.code} {county.name}: {error.message}")
                continue
            left = sum(row["count"] for row in roster.run_unfilled)
            self.stdout.write(f"{county.code} {county.name}: {roster.run_filled} filled, "
                              f"{left} unfilled, status {roster.run_status}, "
                              f"{roster.run_total_km} km, {roster.run_seconds} s")
            for row in roster.run_unfilled:
                self.stdout.write(f"  {row['district'] or '-'} {row['post']}: "
                                  f"{row['count']} ({row['reason']})")
        if failed:
            raise CommandError(f"{failed} county(ies) refused", returncode=1)
