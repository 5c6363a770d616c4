"""``amanat prune``: delete what is kept only for a while (run it daily, e.g. from cron).

Idempotency records answer retries for 24 hours; finished background-task results are
kept for a week for diagnosis.  Neither is evidence: the audit log keeps what happened.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from amanat.core.idempotency import idempotency_cleanup

TASK_RESULTS_KEPT_DAYS = 7


class Command(BaseCommand):
    help = "Delete expired idempotency records and old finished task results."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = idempotency_cleanup()
        self.stdout.write(f"idempotency records removed: {removed}")
        call_command("prune_db_task_results", min_age_days=TASK_RESULTS_KEPT_DAYS,
                     verbosity=options["verbosity"])
