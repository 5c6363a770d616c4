"""Background work of election day (django-tasks)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks import TaskResultStatus, task
from django_tasks_db.models import DBTaskResult

from amanat.elections.models import Election
from amanat.operations import reconcile, watch


@task()
def operations_watch(election_id: int) -> int:
    """One run of the silent-station watch now (``amanat operations-watch`` runs it
    directly or in a loop); returns the alerts raised or escalated."""
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return 0
    result = watch.silent_watch(election=election, now=timezone.now())
    return result.silent + result.quality + result.escalated


@task()
def operations_verify(election_id: int, user_id: int) -> int:
    """The election-day tables against the audit log (``amanat operations-verify``), the
    run recorded in the log: started from the check's page.  Returns the differences."""
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return 0
    from_log = reconcile.verify_run(election=election,
                                    actor=get_user_model().objects.filter(pk=user_id).first())
    return int((from_log.after or {}).get("mismatches") or 0)


def verify_pending(election_id: int) -> bool:
    """Whether a check of the election (``operations_verify``) is queued or running on
    the task worker: one pass at a time (attack review 3, F3)."""
    waiting = DBTaskResult.objects.filter(
        task_path=operations_verify.module_path,
        status__in=(TaskResultStatus.READY, TaskResultStatus.RUNNING),
    ).values_list("args_kwargs", flat=True)
    return any(list((found or {}).get("args") or [])[:1] == [election_id]
               for found in waiting)
