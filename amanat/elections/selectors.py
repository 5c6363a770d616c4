"""Reads other apps use: deadlines come from the calendar, never from constants."""

from __future__ import annotations

import datetime
from typing import Any, Literal, overload

from django.core.exceptions import ObjectDoesNotExist
from django.core.management.base import CommandError
from django.http import Http404, HttpRequest

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


def election_for(slug: str | None) -> Election | None:
    """The election named by ``slug`` or, without one, the current election.

    The one way every page, API endpoint and command picks its election.
    """
    if slug:
        return Election.objects.filter(slug=slug).first()
    return Election.objects.current()


@overload
def election_for_request(request: HttpRequest) -> Election | None: ...
@overload
def election_for_request(request: HttpRequest, *, required: Literal[True]) -> Election: ...
def election_for_request(request: HttpRequest, *, required: bool = False) -> Election | None:
    """The election of ``?election=<slug>`` or the current one; 404 for an unknown slug,
    and when ``required`` also when there is no election at all."""
    slug = request.GET.get("election") or None
    election = election_for(slug)
    if election is None and (slug or required):
        raise Http404("no such election")
    return election


def election_for_command(slug: str | None) -> Election:
    """``election_for`` for management commands: a CommandError saying what is missing."""
    election = election_for(slug)
    if election is None:
        raise CommandError(f"no election with slug {slug!r}" if slug else
                           "there is no election yet; create one first or pass --election")
    return election
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
