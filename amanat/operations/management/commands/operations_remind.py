"""``amanat operations-remind --election SLUG [--before-opening]``: an SMS to every
assigned station staff member with their post, station and the opening check-in's time
(operations.reminders); ``--before-opening`` sends the morning reminder instead.  Each
person gets each kind once, however often the command runs."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amanat.elections.selectors import election_for_command
from amanat.operations.reminders import staff_remind


class Command(BaseCommand):
    help = "Send station staff their election-day reminder by SMS (once per person and kind)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current one)")
        parser.add_argument("--before-opening", action="store_true",
                            help="the morning reminder to send the opening check-in")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options.get("election"))
        kind = "opening" if options["before_opening"] else "assigned"
        result = staff_remind(election=election, kind=kind)
        self.stdout.write(f"{kind}: sent {result.sent}, already sent {result.already}, "
                          f"without a mobile {result.no_mobile}")
