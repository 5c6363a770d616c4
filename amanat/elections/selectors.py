"""Reads other apps use: deadlines come from the calendar, never from constants."""

from __future__ import annotations

import datetime
from typing import Literal, overload

from django.core.management.base import CommandError
from django.http import Http404, HttpRequest

from amanat.elections.models import Election, Milestone


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
