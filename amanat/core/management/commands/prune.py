"""``amanat prune``: delete what is kept only for a while (run it daily, e.g. from cron).

Idempotency records answer retries for 24 hours; finished background-task results are
kept for a week for diagnosis, the progress of finished jobs started from pages for a
month.  Neither is evidence: the audit log keeps what happened.
Closed windows of failed sign-ins are summed up in the audit log and dropped
(``amanat failures-summarize``; called by name, as core does not import accounts).
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

from amanat.core.idempotency import idempotency_cleanup
from amanat.core.jobs import jobs_prune

TASK_RESULTS_KEPT_DAYS = 7


class Command(BaseCommand):
    help = ("Delete expired idempotency records and old finished task results; write the "
            "summaries of closed failed-sign-in windows.")

    def handle(self, *args: Any, **options: Any) -> None:
        removed = idempotency_cleanup()
        self.stdout.write(f"idempotency records removed: {removed}")
        self.stdout.write(f"finished jobs removed: {jobs_prune()}")
        call_command("prune_db_task_results", min_age_days=TASK_RESULTS_KEPT_DAYS,
                     verbosity=options["verbosity"])
        call_command("failures_summarize", stdout=self.stdout)
