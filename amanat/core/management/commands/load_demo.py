"""Load the demo data that exists so far into the configured database.

Each step is idempotent, so running ``amanat load-demo`` twice leaves one copy.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amanat.elections.demo import seed_example_election
from amanat.geo.services import geo_import


class Command(BaseCommand):
    help = "Load the national demo data (geography, the example election)."

    def handle(self, *args: Any, **options: Any) -> None:
        result = geo_import()
        self.stdout.write(f"geography: {result}")
        election = seed_example_election()
        self.stdout.write(f"election: {election}")
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
