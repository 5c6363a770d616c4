"""``amanat plans-seed-catalogue``: load the national threat catalogue (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amanat.plans.catalogue import threat_catalogue_seed


class Command(BaseCommand):
    help = "Add the national threat catalogue's missing threats."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"threats added: {threat_catalogue_seed()}")
