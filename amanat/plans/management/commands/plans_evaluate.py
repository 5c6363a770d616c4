"""``amanat plans-evaluate``: evaluate every indicator once (run it every minute from a
timer, as docs/plans.md describes; django-tasks has no scheduler)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from amanat.elections.selectors import election_for_command
from amanat.plans.evaluate import indicators_evaluate


class Command(BaseCommand):
    help = "Evaluate the scenarios' indicators for every county; fire and clear alerts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--election", help="election slug (default: the current one)")

    def handle(self, *args: Any, **options: Any) -> None:
        election = election_for_command(options.get("election"))
        result = indicators_evaluate(election=election)
        self.stdout.write(f"alerts fired: {len(result.fired)}, cleared: {len(result.cleared)}")
