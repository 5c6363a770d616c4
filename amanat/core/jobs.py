"""Progress of background work started from a page (issue 18).

A service that enqueues long work creates a ``Job`` for the person who asked
(``job_create``) inside its transaction and passes the job's id to the task; the task
runs its work through ``job_run``, which marks the job running, hands the work a
``report(done, total)`` callback, and marks it finished or failed. The job's page
(amanat/site) polls its state and tells the person when it is over.

Progress is written outside the work's own transactions (a task reports between them),
so a reader sees it at once; work that is one transaction reports only its start and
end, and its page estimates the time from earlier runs of the same kind.

A worker that dies (killed, out of memory, the machine restarted) leaves its job queued
or running for ever.  Each start and report is a sign of life (``beat_at``); work that
has given none for ``STALE_AFTER`` (``AMANAT_JOB_STALE_MINUTES``) is stale
(``is_stale``, ``job_stale``): its page says so and stops waiting, the work may be
started again (``job_abandon`` closes the dead one), and the daily prune closes what is
left.  Other records that follow a run (a county's roster) keep their own last sign of
life and ask ``is_stale`` the same question.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from statistics import median
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

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


STALE_AFTER = timedelta(minutes=15)
BUSY = (JobStatus.QUEUED, JobStatus.RUNNING)


def stale_after() -> timedelta:
    minutes = getattr(settings, "AMANAT_JOB_STALE_MINUTES", None)
    return STALE_AFTER if minutes is None else timedelta(minutes=float(minutes))


def is_stale(last_sign_of_life: datetime | None, *, now: datetime | None = None) -> bool:
    """Whether work whose last sign of life was at ``last_sign_of_life`` has lost its
    worker: no sign for ``stale_after()`` (no sign at all: stale)."""
    if last_sign_of_life is None:
        return True
    return (now or timezone.now()) - last_sign_of_life > stale_after()


def job_stale(job: Job, *, now: datetime | None = None) -> bool:
    """A job still waiting or running that has given no sign of life for too long."""
    return job.status in BUSY and is_stale(job.beat_at or job.started_at or job.created_at,
                                           now=now)


def job_abandon(job_id: uuid.UUID | str | None) -> None:
    """Close a stale job as failed (its work is being started again, or pruned)."""
    if job_id is None:
        return
    language = Job.objects.filter(pk=job_id).values_list("language", flat=True).first()
    with translation.override(language or "fa"):
        message = gettext("The work stopped without finishing: its worker gave no sign of "
                          "life.")
    Job.objects.filter(pk=job_id, status__in=BUSY).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), message=message)


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
    now = timezone.now()
    _update(job_id, status=JobStatus.RUNNING, started_at=now, beat_at=now)

    def report(done: int, total: int | None = None) -> None:
        fields: dict[str, Any] = {"done": max(done, 0), "beat_at": timezone.now()}
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
    """Close stale jobs as failed, and forget finished jobs older than ``days`` (the
    daily ``amanat prune``)."""
    for job in Job.objects.filter(status__in=BUSY):
        if job_stale(job):
            job_abandon(job.pk)
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = Job.objects.filter(created_at__lt=cutoff).exclude(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING]).delete()
    return deleted
