"""Load the demo data that exists so far into the configured database.

Each step is idempotent, so running ``amanat load-demo`` twice leaves one copy.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amanat.accounts.demo import DEMO_PASSWORD, demo_totp_secret, seed_demo_users
from amanat.atlas.demo import seed_demo_atlas
from amanat.boards.demo import seed_demo_boards
from amanat.candidates.demo import seed_demo_candidates
from amanat.candidates.review_demo import seed_demo_candidate_review
from amanat.councils.demo import seed_demo_councils
from amanat.elections.demo import seed_example_election
from amanat.geo.services import geo_import
from amanat.incidents.demo import seed_demo_incidents
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
        result = geo_import()
        created, updated = sum(result.created.values()), sum(result.updated.values())
        unchanged = sum(result.unchanged.values())
        self.stdout.write(f"geography: {created} created, {updated} updated, "
                          f"{unchanged} unchanged")
        election = seed_example_election()
        self.stdout.write(f"election: {election}")
        self.stdout.write(f"stations: {seed_demo_stations(election=election)}")
        users = seed_demo_users()
        # Training before candidates and staffing (they read completions by national ID).
        self.stdout.write(f"training: {seed_demo_training(election)}")
        # Candidates after the users (county staff confirm and enter them).
        self.stdout.write(f"candidates: {seed_demo_candidates(election)}")
        # Incidents after stations (reports name stations), councils after incidents
        # (serious cases go on their agendas), the atlas last (it scores all of them).
        self.stdout.write(f"incidents: {seed_demo_incidents(election)}")
        self.stdout.write(f"councils: {seed_demo_councils(election)}")
        # The boards before the candidates' review (an incomplete board may not decide).
        self.stdout.write(f"boards: {seed_demo_boards(election)}")
        # The candidates' review, complaints and the by-election's final list.
        self.stdout.write(f"candidate review: {seed_demo_candidate_review(election)}")
        self.stdout.write(f"station staff: {seed_demo_staffing(election)}")
        self.stdout.write(f"atlas: {seed_demo_atlas(election)}")
        # Plans after the atlas (tiers, explanations) and the incidents (indicators).
        self.stdout.write(f"plans: {seed_demo_plans(election)}")
        self.stdout.write(self.style.SUCCESS("demo data loaded"))
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for demo, needs_2fa in users:
            note = "  (TOTP required)" if needs_2fa else ""
            self.stdout.write(f"  {demo.username:16} {demo.role} at {demo.kind} {demo.code}{note}")
        self.stdout.write(f"TOTP key for the national and provincial demo accounts: "
                          f"{demo_totp_secret()} (add it to an authenticator app)")
