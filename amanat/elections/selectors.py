"""Reads other apps use: deadlines come from the calendar, never from constants."""

from __future__ import annotations

import datetime

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
