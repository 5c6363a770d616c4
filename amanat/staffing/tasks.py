"""The solver run as a background task (django-tasks), enqueued on commit by
``services.roster_assign_enqueue``; its progress goes to the roster and to the job of the
person who started it (core.jobs)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django_tasks import task

from amanat.core import jobs
from amanat.staffing.assignment import roster_assign
from amanat.staffing.models import Roster, RunState


@task()
def roster_assign_task(roster_id: int, user_id: int | None, job_id: str | None = None,
                       gender_balance: bool = False, replace: bool = False) -> None:
    roster = Roster.objects.select_related("election", "county").filter(pk=roster_id).first()
    if roster is None:
        return
    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None

    def work(report: jobs.Report) -> str:
        done = roster_assign(election=roster.election, county=roster.county, actor=actor,
                             progress=lambda percent, stage: report(percent, 100),
                             gender_balance=gender_balance, replace=replace)
        unfilled = sum(int(row.get("count", 0)) for row in done.run_unfilled
                       if isinstance(row, dict))
        return _("%(filled)s posts were filled and %(unfilled)s could not be; the governor "
                 "reviews and approves the roster.") % {"filled": done.run_filled,
                                                        "unfilled": unfilled}

    try:
        jobs.job_run(job_id, work)
    except Exception:
        Roster.objects.filter(pk=roster_id).update(run_state=RunState.FAILED, run_stage="failed")
        raise
