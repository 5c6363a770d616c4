"""Background work of election day (django-tasks)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from django_tasks import task

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
