"""Election list, calendar and milestone editing (server-rendered)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, can_nationally
from amanat.elections import selectors, services
from amanat.elections.forms import MilestoneDueForm
from amanat.elections.models import Election


def _can_edit_calendar(user: AnyUser) -> bool:
    """The one place that decides who may change an election calendar.

    The calendar is national: a role the policy allows for milestones, held at the country.
    """
    return can_nationally(user, policy.CHANGE, "elections.milestone")


@dataclass(frozen=True)
class Countdown:
    """Whole days from today until a date: positive ahead, zero today, negative past.

    A milestone is a date in the law's calendar (registration opens, the fibre status is
    due), not a task with a state: once it is behind us it is passed, never "overdue"
    (what was due then is tracked by the work itself: cases, measures, readiness)."""

    days: int

    @property
    def overdue(self) -> int:
        """Days since a date that has passed."""
        return -self.days


def election_list(request: HttpRequest) -> HttpResponse:
    elections = Election.objects.annotate(contest_count=Count("contests"))
    return render(request, "elections/election_list.html", {
        "elections": elections,
        "current": Election.objects.current(),
    })


def election_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    election = selectors.get_election_for_user(request.user, slug)
    today = timezone.localdate()
    contests = election.contests.annotate(constituency_count=Count("constituencies"))
    rows = [(m, Countdown(m.days_left(today))) for m in election.milestones.all()]
    return render(request, "elections/election_calendar.html", {
        "election": election,
        "today": today,
        "contests": contests,
        "phases": election.phases.all(),
        "rows": rows,
        "can_edit": _can_edit_calendar(request.user),
        "to_election": Countdown((election.election_day - today).days),
    })


@login_required
@require_http_methods(["GET", "POST"])
def milestone_edit(request: HttpRequest, slug: str, milestone_id: int) -> HttpResponse:
    # Out of reach looks like absent (see docs/access-policy.md).
    milestone = selectors.get_milestone_for_user(request.user, milestone_id, slug=slug)
    form = MilestoneDueForm(request.POST or None, initial={"due": milestone.due})
    if request.method == "POST" and form.is_valid():
        services.milestone_update(milestone=milestone, due=form.cleaned_data["due"],
                                  actor=request.user)
        messages.success(request, _("The milestone date was saved."))
        return redirect("elections:calendar", slug=slug)
    return render(request, "elections/milestone_edit.html", {
        "election": milestone.election,
        "milestone": milestone,
        "form": form,
    })
