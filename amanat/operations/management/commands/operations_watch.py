"""``amanat operations-watch``: the silent-station watch and the escalation of alerts
(operations.watch).  Once, or with ``--loop SECONDS`` every that many seconds until
stopped (the production form: one systemd service on election day, docs/operations.md).
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from amanat.core.periodic import loop_seconds, run_every
from amanat.elections.selectors import election_for_command
from amanat.operations.watch import WatchResult, silent_watch

log = logging.getLogger("amanat.operations")


class Command(BaseCommand):
    help = ("Raise alerts for silent stations, flagged and incident check-ins, escalate "
            "the ones nobody acknowledged and tell the officials.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current one)")
        parser.add_argument("--now", help="run as at this ISO time (tests, replays)")
        parser.add_argument("--loop", type=int, metavar="SECONDS",
                            help="run every SECONDS seconds until stopped")

    def handle(self, *args: Any, **options: Any) -> None:
        loop, given = loop_seconds(options.get("loop")), options.get("now")
        if loop is not None and given:
            raise CommandError("--now runs the watch once: give --now or --loop, not both")
        election = election_for_command(options.get("election"))
        if loop is None:
            self._report(silent_watch(election=election, now=self._now(given)))
            return
        run_every(loop, lambda: self._report(silent_watch(election=election,
                                                          now=timezone.now())),
                  name="operations-watch")

    def _now(self, given: str | None) -> datetime.datetime:
        if not given:
            return timezone.now()
        try:
            at = datetime.datetime.fromisoformat(given)
        except ValueError:
            raise CommandError(f"--now is not an ISO date and time: {given!r}") from None
        return timezone.make_aware(at) if timezone.is_naive(at) else at

    def _report(self, result: WatchResult) -> None:
        self.stdout.write(
            f"silent: {result.silent}, quality: {result.quality}, heard again: "
            f"{result.heard_again}, escalated: {result.escalated}, messages: {result.notified}"
            f", incidents: {result.incidents}, reports: {result.reported}")
