"""Writes to elections and their calendars; each runs in one transaction."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.audit.services import audit_record
from amanat.core.forms import jalali_error_message
from amanat.elections.models import Contest, Election, Milestone, Phase
from amanat.geo.models import Constituency
from amanat.lib.jalali import era_problem

Actor = AnyUser | None  # None: the system itself (seed, import)


def _audit(action: str, *, actor: Actor, obj: models.Model, data: dict[str, Any]) -> None:
    """The single place elections report changes to the audit log.

    ``data`` holds JSON-ready values; a value of the form {"before": x, "after": y} is a
    changed field, anything else is recorded as the new state.
    """
    before = {k: v["before"] for k, v in data.items() if isinstance(v, dict) and "before" in v}
    after = {k: (v["after"] if k in before else v) for k, v in data.items()}
    user = signed_in(actor)
    audit_record(action=action, actor=user, actor_name=None if user else "system",
                 obj=obj, before=before or None, after=after)


def _in_era(**dates: datetime.date) -> None:
    """Calendar dates of this election's era only (lib.jalali.check_era), whoever calls:
    the forms check the same, but a far date stored any other way breaks the calendar."""
    errors = {}
    for field, value in dates.items():
        problem = era_problem(value)
        if problem is not None:
            errors[field] = ValidationError(jalali_error_message(problem), code="era")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def election_create(
    *,
    name: str,
    slug: str,
    election_day: datetime.date,
    description: str = "",
    actor: Actor = None,
) -> Election:
    _in_era(election_day=election_day)
    election = Election(name=name, slug=slug, election_day=election_day, description=description)
    election.full_clean()
    election.save()
    _audit("election.create", actor=actor, obj=election,
           data={"slug": slug, "election_day": election_day.isoformat()})
    return election


@transaction.atomic
def contest_create(
    *,
    election: Election,
    kind: str,
    name: str,
    is_by_election: bool = False,
    constituencies: Iterable[Constituency] = (),
    actor: Actor = None,
) -> Contest:
    contest = Contest(election=election, kind=kind, name=name, is_by_election=is_by_election)
    contest.full_clean()
    contest.save()
    contest.constituencies.set(list(constituencies))
    _audit("contest.create", actor=actor, obj=contest,
           data={"election": election.slug, "kind": kind, "name": name,
                 "constituencies": sorted(c.code for c in contest.constituencies.all())})
    return contest


@transaction.atomic
def contest_registration_set(
    *,
    contest: Contest,
    opens: datetime.date | None,
    closes: datetime.date | None,
    actor: Actor = None,
) -> Contest:
    """Set (or clear, with None) the contest's own candidate registration window: each
    end set governs over the calendar's for this contest only. Audited."""
    dates = {name: value for name, value in (("registration_opens", opens),
                                              ("registration_closes", closes)) if value}
    _in_era(**dates)
    contest = Contest.objects.select_for_update().get(pk=contest.pk)
    before = {"registration_opens": contest.registration_opens,
              "registration_closes": contest.registration_closes}
    contest.registration_opens, contest.registration_closes = opens, closes
    contest.full_clean()
    contest.save(update_fields=["registration_opens", "registration_closes"])
    _audit("contest.registration", actor=actor, obj=contest, data={
        name: {"before": value.isoformat() if value else None,
               "after": (getattr(contest, name).isoformat() if getattr(contest, name)
                         else None)}
        for name, value in before.items()})
    return contest


@transaction.atomic
def phase_set(
    *,
    election: Election,
    kind: str,
    start: datetime.date,
    end: datetime.date,
    actor: Actor = None,
) -> Phase:
    """Create or move the ``kind`` phase of ``election``."""
    _in_era(start=start, end=end)
    if end < start:
        raise ValidationError(_("A phase cannot end before it starts."), code="phase_order")
    phase, _created = Phase.objects.update_or_create(
        election=election, kind=kind, defaults={"start": start, "end": end}
    )
    _audit("phase.set", actor=actor, obj=phase,
           data={"election": election.slug, "kind": kind,
                 "start": start.isoformat(), "end": end.isoformat()})
    return phase


@transaction.atomic
def milestone_create(
    *,
    election: Election,
    code: str,
    name: str,
    due: datetime.date,
    phase: str,
    description: str = "",
    actor: Actor = None,
) -> Milestone:
    _in_era(due=due)
    milestone = Milestone(election=election, code=code, name=name, due=due, phase=phase,
                          description=description)
    milestone.full_clean()
    milestone.save()
    _audit("milestone.create", actor=actor, obj=milestone,
           data={"election": election.slug, "code": code, "due": due.isoformat()})
    return milestone


@transaction.atomic
def milestone_update(*, milestone: Milestone, due: datetime.date, actor: Actor) -> Milestone:
    """Move a milestone to a new due date (the record of the old date lives in the audit log)."""
    _in_era(due=due)
    # Lock the row so two editors cannot both read the same "before" value.
    locked = Milestone.objects.select_for_update().get(pk=milestone.pk)
    before = locked.due
    if before == due:
        return locked
    locked.due = due
    locked.save(update_fields=["due"])
    _audit("milestone.update", actor=actor, obj=locked,
           data={"election": locked.election.slug, "code": locked.code,
                 "due": {"before": before.isoformat(), "after": due.isoformat()}})
    milestone.due = due
    return locked
