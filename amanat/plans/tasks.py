"""Background work of the plans app (django-tasks)."""

from __future__ import annotations

from django_tasks import task

from amanat.councils.models import Meeting
from amanat.elections.models import Election
from amanat.plans import evaluate


@task()
def meeting_created(meeting_id: int) -> int:
    """Put the overdue measures of the meeting's area on its agenda."""
    meeting = Meeting.objects.filter(pk=meeting_id).select_related("council").first()
    if meeting is None:
        return 0
    return len(evaluate.measures_to_agenda(meeting=meeting, actor=None))


@task()
def evaluate_indicators(election_id: int) -> int:
    """The periodic evaluation (``amanat plans-evaluate`` enqueues or runs it)."""
    election = Election.objects.filter(pk=election_id).first()
    if election is None:
        return 0
    return len(evaluate.indicators_evaluate(election=election).fired)
