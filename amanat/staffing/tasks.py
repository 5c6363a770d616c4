"""The solver run as a background task (django-tasks), enqueued on commit by
``services.roster_assign_enqueue``; its progress is written on the roster."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from amanat.staffing.assignment import roster_assign
from amanat.staffing.models import Roster, RunState


@task()
def roster_assign_task(roster_id: int, user_id: int | None) -> None:
    roster = Roster.objects.select_related("election", "county").filter(pk=roster_id).first()
    if roster is None:
        return
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        roster_assign(election=roster.election, county=roster.county, actor=actor)
    except Exception:
        Roster.objects.filter(pk=roster_id).update(run_state=RunState.FAILED, run_stage="failed")
        raise
