"""``amanat simulate-election-day``: a compressed, realistic election day for the demo
election (``operations.simulate``), filling the live dashboard while it runs."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from amanat.core.errors import RuleError
from amanat.core.progress import progress_bar
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_command
from amanat.operations import services
from amanat.operations.simulate import Simulation, simulation_allowed, summary


class Command(BaseCommand):
    help = ("Drive a compressed election day: every station opens and reports its turnout "
            "in each window, some go silent, some report anomalies; the windows are moved "
            "onto the compressed day starting now (audited).")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="the election's slug (default: the current one)")
        parser.add_argument("--minutes", type=float,
                            help="how long the whole day takes, in minutes (required unless "
                                 "--restore)")
        parser.add_argument("--silent", type=int, default=300,
                            help="how many stations go silent (default 300)")
        parser.add_argument("--seed", type=int, default=1405, help="random seed")
        parser.add_argument("--url", default="",
                            help="send a share of the check-ins to this server's field API")
        parser.add_argument("--token", default="", help="the API token for --url")
        parser.add_argument("--api-path", default="/api/v1/operations/checkins")
        parser.add_argument("--sms-share", type=float, default=0.1)
        parser.add_argument("--api-share", type=float, default=0.05)
        parser.add_argument("--start-in", type=float, default=3.0,
                            help="seconds from now to the first window's opening")
        parser.add_argument(
            "--force", action="store_true",
            help="run on an election that is not marked as a demo or training one (a "
                 "staging copy of a real register): web check-ins only, all marked "
                 "simulated; no SMS in the staff's names, no field API")
        parser.add_argument("--restore", action="store_true",
                            help="put the windows back on the real day after a simulation, "
                                 "and do nothing else")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("simulate-election-day moves the election's windows and writes "
                               "check-ins; it does not run with AMANAT_ENV=production.")
        election = election_for_command(options["election"])
        if options["restore"]:
            self._restore(election)
            return
        if options["minutes"] is None or options["minutes"] <= 0:
            raise CommandError("--minutes must be more than 0")
        if not simulation_allowed(election) and not options["force"]:
            raise CommandError(
                f"{election.slug} is not marked as a demo or training election "
                "(operations.DaySettings.simulation_allowed; load-demo marks the demo's): "
                "a simulation moves its windows, sets a 1-minute quiet period and writes "
                "check-ins. Nothing was changed. Use --force on a copy you mean to fill.")
        simulation = Simulation(
            election, minutes=options["minutes"], silent=max(0, options["silent"]),
            seed=options["seed"], url=options["url"], token=options["token"],
            api_path=options["api_path"], sms_share=options["sms_share"],
            api_share=options["api_share"], write=self.stdout.write)
        start = timezone.now() + datetime.timedelta(seconds=options["start_in"])
        windows = simulation.prepare(start)
        self.stdout.write(
            f"The windows of {election.slug} were moved onto a {options['minutes']:g}-minute "
            f"day starting {timezone.localtime(start):%H:%M:%S} (audited: "
            f"operations.windows.retime; the real times are in its 'before'); a station is "
            f"silent after 1 minute. Put the real times back with --restore or on the "
            f"windows page.")
        for window in windows:
            self.stdout.write(f"  {window.code:3} {timezone.localtime(window.opens_at):%H:%M:%S}"
                              f"–{timezone.localtime(window.closes_at):%H:%M:%S}")
        if not simulation.sms:
            self.stdout.write("SMS: skipped, the operations SMS handler is not registered in "
                              "this build (core.sms.register).")
        if not options["url"]:
            self.stdout.write("Field API: skipped (no --url).")
        for note in simulation.outcome.notes:
            self.stdout.write(f"Note: {note}.")
        self.stdout.write("The replies to its SMS are kept, not sent. Silent-station alerts "
                          "need the watch running beside the "
                          f"simulation: amanat operations-watch --election {election.slug} "
                          "--loop 30")
        plan = simulation.plan(windows)
        self.stdout.write(f"{len(plan)} check-ins planned; {simulation.outcome.silent} stations "
                          f"go silent. Watch the dashboard: /operations/")
        with progress_bar() as bar:
            task = bar.add_task("check-ins", total=len(plan))

            def advance(count: int, window: str) -> None:
                bar.update(task, advance=count, description=f"check-ins ({window})")

            outcome = simulation.run(plan, windows, advance)
        late = sum(n for code, n in outcome.refused.items() if code.endswith(":late"))
        if outcome.late_seconds > 5:
            self.stdout.write(
                f"Note: the simulation fell up to {outcome.late_seconds:.0f} s behind its plan "
                f"(a busy machine): its check-ins arrived late, as over a slow network"
                + (f", and {late} were refused because their window had closed by then "
                   "(refused codes ending in ':late')" if late else "")
                + ". Give it more --minutes for an on-time day.")
        self.stdout.write(json.dumps(summary(outcome), ensure_ascii=False))
        self.stdout.write(self.style.SUCCESS("election day simulated"))

    def _restore(self, election: Election) -> None:
        try:
            windows = services.windows_restore(election=election, actor=None)
        except RuleError as error:
            raise CommandError(str(error.message)) from error
        self.stdout.write(f"The windows of {election.slug} are back on the real day:")
        for window in windows:
            opens = timezone.localtime(window.opens_at)
            closes = timezone.localtime(window.closes_at)
            self.stdout.write(f"  {window.code:3} {opens:%Y-%m-%d %H:%M}–{closes:%H:%M}")
