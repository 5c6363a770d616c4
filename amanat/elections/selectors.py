"""Reads other apps use: deadlines come from the calendar, never from constants."""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, get_national_object_for_user
from amanat.elections.models import Election, Milestone

MILESTONE = "elections.milestone"


def milestone_due(election: Election, code: str) -> datetime.date:
    """Due date of the milestone ``code`` (see ``models.MilestoneCode``) of ``election``.

    Raises ``Milestone.DoesNotExist`` when the calendar has no such milestone, so a missing
    deadline is an error rather than a silently open window.
    """
    try:
        due: datetime.date = (
            Milestone.objects.filter(election=election, code=code)
            .values_list("due", flat=True)
            .get()
        )
    except Milestone.DoesNotExist:
        raise Milestone.DoesNotExist(
            f"election {election.slug!r} has no milestone {code!r}"
        ) from None
    return due


def current_election() -> Election | None:
    return Election.objects.current()


def get_election_for_user(user: AnyUser, slug: str) -> Election:
    """An election by slug.  Calendars are national reference data: every signed-in user
    reads them (sign-in itself is required by the middleware)."""
    if not user.is_authenticated:
        raise Http404("not found")
    try:
        return Election.objects.get(slug=slug)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("not found") from None


def get_milestone_for_user(user: AnyUser, pk: Any, *, slug: str, action: str = policy.CHANGE
                           ) -> Milestone:
    """A milestone of the election ``slug``; changed only by country-level roles the
    policy allows (the calendar is national)."""
    return get_national_object_for_user(
        user, Milestone.objects.select_related("election"), action=action,
        model_label=MILESTONE, national=True, pk=pk, election__slug=slug,
    )
