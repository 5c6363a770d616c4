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

A worker that dies mid-task (SIGKILL, out of memory, its app server lost) leaves the
task RUNNING, and django-tasks-db never takes it back: it would never run (review
2026-12, finding 6).  So each worker writes a sign of life every
``AMANAT_TASK_BEAT_SECONDS`` (``core.TaskWorkerBeat``), from a thread of its own so that
a long task does not stop it, and at each beat puts back in the queue the RUNNING tasks
last claimed by a worker that has given none for ``AMANAT_TASK_WORKER_DEAD_SECONDS``.
Only workers that beat are judged: a plain ``db_worker`` is never taken for dead.  A
task is then run at least once, not exactly once: a worker cut off from the database
but still running comes back to find its task run again elsewhere, so tasks must
tolerate a second run (``deliver`` sends only a queued message).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from amanat.core.models import TaskWorkerBeat
from amanat.core.outage import outage_of

logger = logging.getLogger(__name__)

FIRST_WAIT_SECONDS = 1.0
LONGEST_WAIT_SECONDS = 30.0
# A worker that ran this long since its last outage starts waiting from the shortest wait.
CALM_SECONDS = 60.0


def requeue_abandoned(*, now: datetime.datetime | None = None) -> int:
    """Put back in the queue the RUNNING tasks whose worker stopped beating; forget those
    workers.  The number of tasks put back."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.AMANAT_TASK_WORKER_DEAD_SECONDS)
    dead = set(TaskWorkerBeat.objects.filter(beat_at__lt=stale)
               .values_list("worker_id", flat=True))
    if not dead:
        return 0
    put_back = 0
    with transaction.atomic():
        for result in (DBTaskResult.objects.select_for_update(skip_locked=True)
                       .filter(status=TaskResultStatus.RUNNING)):
            if result.worker_ids and result.worker_ids[-1] in dead:
                result.status = TaskResultStatus.READY
                result.started_at = None
                result.save(update_fields=["status", "started_at"])
                put_back += 1
                logger.warning("task worker: task %s (%s) was running on worker %s, which "
                               "has given no sign of life for %.0f s: queued again",
                               result.id, result.task_path, result.worker_ids[-1],
                               settings.AMANAT_TASK_WORKER_DEAD_SECONDS)
        TaskWorkerBeat.objects.filter(worker_id__in=dead, beat_at__lt=stale).delete()
    return put_back


class Worker(db_worker.Worker):
    def _beat(self) -> None:
        while self.running:
            try:
                TaskWorkerBeat.objects.update_or_create(
                    worker_id=self.worker_id, defaults={"beat_at": timezone.now()})
                requeue_abandoned()
            except DatabaseError as exc:
                logger.warning("task worker: no sign of life written (%s)", exc)
                connection.close()  # this thread's own, opened afresh next time
            time.sleep(settings.AMANAT_TASK_BEAT_SECONDS)
        connection.close()

    def run(self) -> None:
        threading.Thread(target=self._beat, name="task-worker-beat", daemon=True).start()
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
