"""Load the demo data that exists so far into the configured database.

Each step is idempotent, so running ``amanat load-demo`` twice leaves one copy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amanat.accounts.demo import DEMO_PASSWORD, demo_totp_secret, seed_demo_users
from amanat.atlas.demo import seed_demo_atlas
from amanat.boards.demo import seed_demo_boards
from amanat.candidates.demo import seed_demo_candidates
from amanat.candidates.review_demo import seed_demo_candidate_review
from amanat.core.progress import progress_bar
from amanat.councils.demo import seed_demo_councils
from amanat.elections.demo import seed_example_election
from amanat.geo.services import geo_import
from amanat.incidents.demo import seed_demo_incidents
from amanat.operations.demo import seed_demo_operations
from amanat.plans.demo import seed_demo_plans
from amanat.staffing.demo import seed_demo_staffing
from amanat.stations.demo import seed_demo_stations
from amanat.training.demo import seed_demo_training


class Command(BaseCommand):
    help = ("Load the national demo: geography, the example election, ~59,000 stations, "
            "sign-ins, incidents and cases, security councils and the security atlas.")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("load-demo creates demo accounts with a public password; "
                               "it does not run with AMANAT_ENV=production.")
        election: Any = None

        def geography() -> str:
            result = geo_import()
            created, updated = sum(result.created.values()), sum(result.updated.values())
            return (f"{created} created, {updated} updated, "
                    f"{sum(result.unchanged.values())} unchanged")

        def example_election() -> str:
            nonlocal election
            election = seed_example_election()
            return str(election)

        users: list[Any] = []

        def sign_ins() -> str:
            users.extend(seed_demo_users())
            return f"{len(users)} demo users"

        # (what, relative cost for the estimate of the time left, the step). The order
        # matters: training before candidates and staffing (they read completions by
        # national ID); candidates after the users (county staff confirm them); incidents
        # after stations (reports name stations), councils after incidents (serious cases
        # go on their agendas); the boards before the candidates' review (an incomplete
        # board may not decide); the atlas after all it scores; plans after the atlas
        # (tiers) and the incidents (indicators).
        steps: list[tuple[str, int, Callable[[], object]]] = [
            ("geography", 10, geography),
            ("election", 1, example_election),
            ("stations", 20, lambda: seed_demo_stations(election=election)),
            ("users", 1, sign_ins),
            ("training", 2, lambda: seed_demo_training(election)),
            ("candidates", 6, lambda: seed_demo_candidates(election)),
            ("incidents", 20, lambda: seed_demo_incidents(election)),
            ("councils", 3, lambda: seed_demo_councils(election)),
            ("boards", 1, lambda: seed_demo_boards(election)),
            ("candidate review", 3, lambda: seed_demo_candidate_review(election)),
            ("station staff", 10, lambda: seed_demo_staffing(election)),
            ("atlas", 15, lambda: seed_demo_atlas(election)),
            ("plans", 5, lambda: seed_demo_plans(election)),
            ("election day", 2, lambda: seed_demo_operations(election)),
        ]
        with progress_bar() as bar:
            task = bar.add_task("demo", total=sum(cost for _what, cost, _step in steps))
            for what, cost, step in steps:
                bar.update(task, description=what)
                self.stdout.write(f"{what}: {step()}")
                bar.advance(task, cost)
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for demo, needs_2fa in users:
            note = "  (TOTP required)" if needs_2fa else ""
            self.stdout.write(f"  {demo.username:24} {demo.role} at {demo.kind} {demo.code}{note}")
        self.stdout.write(f"TOTP key for the national and provincial demo accounts: "
                          f"{demo_totp_secret()} (add it to an authenticator app)")
        self.stdout.write("Each demo account has a demo mobile (0900…) and e-mail (…@demo.amanat."
                          "invalid): their SMS and e-mail show in the `amanat serve` output "
                          "and the outbox (docs/operations.md).")
