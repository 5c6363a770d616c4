"""``amanat task_worker``: django-tasks-db's ``db_worker`` that outlives database outages.

``db_worker`` ends on the first database error it does not expect, and "database is
locked" is one of them when it comes from starting its polling transaction (``BEGIN
EXCLUSIVE`` waits for the write lock only as long as the busy timeout) or from recording a
task's result: under write contention on SQLite the worker exited and no SMS reply went
out after it (docs/benchmarks.md, "SMS check-ins through Kannel").  Here an outage (the
database locked, full, unreachable: amanat/core/outage.py) makes the worker log, wait
(1, 2, 4 … 30 s, again from 1 s once it has run a minute without one) and carry on with
the same queue; any other error still ends it, as before (``amanat serve`` starts it
again).  Same options as ``db_worker``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.db import DatabaseError, connections
from django_tasks_db.management.commands import db_worker

from amanat.core.outage import outage_of

logger = logging.getLogger(__name__)

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 30.0
# A worker that ran this long since its last outage starts waiting from the shortest wait.
CALM_SECONDS = 60.0


class Worker(db_worker.Worker):
    def run(self) -> None:
        wait, last_outage = FIRST_WAIT_SECONDS, None
        while self.running:
            try:
                super().run()
                return  # --batch or --max-tasks: done
            except DatabaseError as exc:
                outage = outage_of(exc)
                if outage is None:
                    raise
                now = time.monotonic()
                if last_outage is not None and now - last_outage > CALM_SECONDS:
                    wait = FIRST_WAIT_SECONDS
                last_outage = now
                logger.warning("task worker: the database cannot serve (%s: %s); trying "
                               "again in %.0f s", outage.reason, outage.cause, wait)
                # A connection left mid-transaction or broken is opened afresh.
                connections.close_all()
                self.startup_delay = False
                self.running_task = False  # a signal now ends the worker at once
                time.sleep(wait)
                wait = min(wait * 2, LONGEST_WAIT_SECONDS)


class Command(db_worker.Command):
    help = ("Run the database background worker (django-tasks-db's db_worker), waiting out "
            "database outages instead of exiting.")

    def handle(self, *args: Any, **options: Any) -> None:
        original = db_worker.Worker
        db_worker.Worker = Worker  # type: ignore[misc]  # the class handle() builds
        try:
            super().handle(*args, **options)
        finally:
            db_worker.Worker = original  # type: ignore[misc]
