"""Progress of background work started from a page (issue 18).

A service that enqueues long work creates a ``Job`` for the person who asked
(``job_create``) inside its transaction and passes the job's id to the task; the task
runs its work through ``job_run``, which marks the job running, hands the work a
``report(done, total)`` callback, and marks it finished or failed. The job's page
(amanat/site) polls its state and tells the person when it is over.

Progress is written outside the work's own transactions (a task reports between them),
so a reader sees it at once; work that is one transaction reports only its start and
end, and its page estimates the time from earlier runs of the same kind.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from statistics import median
from typing import Any

from django.utils import timezone, translation

from amanat.core.models import Job, JobStatus

log = logging.getLogger("amanat.jobs")

Report = Callable[[int, int | None], None]


def job_create(*, kind: str, title: str, user_id: int, total: int | None = None,
               result_url: str = "") -> Job:
    """A job for the signed-in person who asked, in the language of their request."""
    return Job.objects.create(kind=kind, title=title[:300], user_id=user_id, total=total,
                              result_url=result_url[:500],
                              language=(translation.get_language() or "fa")[:8])


def _update(job_id: uuid.UUID | str, **fields: Any) -> None:
    Job.objects.filter(pk=job_id).update(**fields)


def _ignore(done: int, total: int | None = None) -> None:
    """The report of work run without a job (a command, a change notice)."""


def job_run(job_id: uuid.UUID | str | None, work: Callable[[Report], str | None]) -> None:
    """Run ``work(report)`` as job ``job_id`` (or plainly when there is no job): running,
    then finished with the message ``work`` returns, or failed. The exception is logged
    and raised again, so the task runner records it too."""
    if job_id is None:
        work(_ignore)
        return
    language = Job.objects.filter(pk=job_id).values_list("language", flat=True).first()
    _update(job_id, status=JobStatus.RUNNING, started_at=timezone.now())

    def report(done: int, total: int | None = None) -> None:
        fields: dict[str, Any] = {"done": max(done, 0)}
        if total is not None:
            fields["total"] = max(total, 0)
        _update(job_id, **fields)

    try:
        with translation.override(language or "fa"):
            message = work(report)
    except Exception:
        log.exception("job %s failed", job_id)
        _update(job_id, status=JobStatus.FAILED, finished_at=timezone.now())
        raise
    _update(job_id, status=JobStatus.DONE, finished_at=timezone.now(),
            message=(message or "")[:2000])


def typical_seconds(kind: str) -> float | None:
    """The median duration of the last finished runs of this kind, for an estimate."""
    runs = Job.objects.filter(kind=kind, status=JobStatus.DONE, started_at__isnull=False,
                              finished_at__isnull=False).order_by("-finished_at")[:5]
    durations = [(job.finished_at - job.started_at).total_seconds() for job in runs
                 if job.finished_at and job.started_at]
    return median(durations) if durations else None


def seconds_left(job: Job, *, now: Any = None) -> float | None:
    """An estimate of the time left: from the job's own progress when it reports some,
    else from earlier runs of the same kind; None when nothing is known."""
    if job.finished or job.started_at is None:
        return None
    now = now or timezone.now()
    elapsed = (now - job.started_at).total_seconds()
    if job.total and job.done:
        return max(elapsed * (job.total - job.done) / job.done, 0.0)
    typical = typical_seconds(job.kind)
    return None if typical is None else max(typical - elapsed, 0.0)


def jobs_prune(*, days: int = 30) -> int:
    """Forget finished jobs older than ``days`` (the daily ``amanat prune``)."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Job.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).delete()
    return deleted
