"""``amanat failures-summarize``: write the audit summaries of closed failure windows.

Failed sign-ins are counted per (username, address) and window rather than written one
event each (``amanat.accounts.services.failure_record``); a window's count reaches the
audit log at the next failure or sign-in after it closes, or when this runs.
``amanat prune`` runs it, so the daily cron needs nothing more.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from amanat.accounts.services import failure_windows_close


class Command(BaseCommand):
    help = "Write the audit summaries of closed failed-sign-in windows."

    def handle(self, *args: Any, **options: Any) -> None:
        written = failure_windows_close()
        self.stdout.write(f"failure summaries written: {written}")
