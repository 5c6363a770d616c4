"""``amanat operations-watch``: the silent-station watch and the escalation of alerts
(operations.watch).  Once, or with ``--loop SECONDS`` every that many seconds until
stopped (the production form: one systemd service on election day, docs/operations.md).
"""

from __future__ import annotations

import datetime
import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

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
        election = election_for_command(options.get("election"))
        loop, given = options.get("loop"), options.get("now")
        if loop is not None and given:
            raise CommandError("--now runs the watch once: give --now or --loop, not both")
        if loop is not None and loop < 1:
            raise CommandError("--loop needs a number of seconds of at least 1")
        if loop is None:
            self._report(silent_watch(election=election, now=self._now(given)))
            return
        while True:
            started = time.monotonic()
            try:
                self._report(silent_watch(election=election, now=timezone.now()))
            except DatabaseError:
                # A locked or briefly unreachable database: the next run tries again.
                log.exception("operations-watch: run failed, retrying in %s s", loop)
            time.sleep(max(0.0, loop - (time.monotonic() - started)))

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
