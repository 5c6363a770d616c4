"""SMS to station staff before election day (issue 16): each assigned person is told
their post, their station and when the opening check-in is due, through the one
outbound layer (``core.notify.sms_send``: the outbox, delivered after commit).

Idempotent per person and kind: the outbox row's ``purpose`` names the election, the
kind and the person (``operations.remind.opening:12:345``), and a person with such a row
is not sent that kind again, so running the command twice (or after a crash half-way)
sends no double reminders.  Runs are serialised by a lock on the election's row, and
each run writes one audit entry with its counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from amanat.audit.services import audit_record
from amanat.core import notify
from amanat.core.models import OutboundMessage
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.lib.jalali import format_jalali
from amanat.lib.persian import to_persian_digits
from amanat.operations.models import Kind, Window
from amanat.operations.sms import EXAMPLE
from amanat.staffing.models import Assignment

# The kinds of reminder: the one days before (post, station, day and the opening
# check-in) and the one on the morning, shortly before the opening window.
KINDS = ("assigned", "opening")
PURPOSE = "operations.remind"
BATCH = 500


@dataclass
class RemindResult:
    sent: int = 0
    already: int = 0
    no_mobile: int = 0


def purpose(election: Election, kind: str, person_id: int) -> str:
    return f"{PURPOSE}.{kind}:{election.pk}:{person_id}"


def _already(election: Election, kind: str) -> set[str]:
    prefix = f"{PURPOSE}.{kind}:{election.pk}:"
    return set(OutboundMessage.objects.filter(purpose__startswith=prefix)
               .values_list("purpose", flat=True))


def _clock(moment: object) -> str:
    return to_persian_digits(timezone.localtime(moment).strftime("%H:%M"))  # type: ignore[arg-type]


def text_for(assignment: Assignment, kind: str, opening: Window | None) -> str:
    """The reminder's Persian text for one assignment."""
    station = assignment.station
    election = assignment.election
    code = f"{station.county.code}-{station.code}"
    example = EXAMPLE[Kind.OPENING].replace("2310-0042", code)
    with translation.override("fa"):
        values = {
            "name": assignment.person.full_name,
            "post": StationPost(assignment.post).label,
            "station": to_persian_digits(code), "station_name": station.name,
            "election": election.name,
            "day": format_jalali(election.election_day, persian_digits=True),
            "opens": _clock(opening.opens_at) if opening else "",
            "closes": _clock(opening.closes_at) if opening else "",
            "example": example,
        }
        if kind == "opening":
            return gettext(
                "%(name)s: today you are %(post)s of station %(station)s (%(station_name)s). "
                "Send the opening check-in between %(opens)s and %(closes)s: %(example)s"
            ) % values
        return gettext(
            "%(name)s: you are %(post)s of station %(station)s (%(station_name)s) in "
            "%(election)s on %(day)s. The opening check-in is due between %(opens)s and "
            "%(closes)s by SMS: %(example)s"
        ) % values


def _assignments(election: Election) -> Iterator[list[Assignment]]:
    query = (Assignment.objects.filter(election=election)
             .select_related("person", "station__county", "election").order_by("pk"))
    batch: list[Assignment] = []
    for assignment in query.iterator(chunk_size=BATCH):
        batch.append(assignment)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def staff_remind(*, election: Election, kind: str = "assigned",
                 actor_name: str = "operations-remind") -> RemindResult:
    """Send the ``kind`` reminder to every assigned staff member not sent it yet."""
    if kind not in KINDS:
        raise ValueError(f"unknown reminder kind {kind!r}")
    result = RemindResult()
    opening = (Window.objects.filter(election=election, kind=Kind.OPENING)
               .order_by("opens_at").first())
    with transaction.atomic():
        # One run at a time per election: a second one waits, then finds the rows.
        Election.objects.select_for_update().filter(pk=election.pk).exists()
        done = _already(election, kind)
        for batch in _assignments(election):
            for assignment in batch:
                person = assignment.person
                if not person.mobile:
                    result.no_mobile += 1
                    continue
                key = purpose(election, kind, person.pk)
                if key in done:
                    result.already += 1
                    continue
                notify.sms_send(to=person.mobile, text=text_for(assignment, kind, opening),
                                purpose=key)
                done.add(key)
                result.sent += 1
        audit_record(action="operations.staff.remind", actor=None, actor_name=actor_name,
                     object_type="elections.election", object_id=election.pk,
                     after={"kind": kind, "sent": result.sent, "already": result.already,
                            "no_mobile": result.no_mobile})
    return result
