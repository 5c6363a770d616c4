"""Background work of election day (django-tasks)."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from amanat.elections.models import Election
from amanat.operations import watch


@task()
def operations_watch(election_id: int) -> int:
    """One run of the silent-station watch now (``amanat operations-watch`` runs it
    directly or in a loop); returns the alerts raised or escalated."""
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return 0
    result = watch.silent_watch(election=election, now=timezone.now())
    return result.silent + result.quality + result.escalated
