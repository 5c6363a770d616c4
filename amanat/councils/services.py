"""Writes of the councils app: councils, meetings and their agendas, decisions, actions.

Every function is keyword-only, runs in one transaction and appends an audit event in
it.  ``meeting_create`` applies the rule the source documents ask for: serious crimes
stay on the security council's agenda until a result is reached.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Agency
from amanat.audit.services import audit_diff, audit_record, audit_snapshot
from amanat.core import changes
from amanat.core.errors import RuleError
from amanat.core.forms import jalali_problem
from amanat.councils.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Council,
    CouncilKind,
    Decision,
    Meeting,
    MeetingStatus,
)
from amanat.councils.selectors import end_of_day, serious_open_cases
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents.models import Case
from amanat.lib.jalali import era_problem
from amanat.lib.persian import clean_text

COUNCIL_UNIT_KINDS = (Kind.PROVINCE, Kind.COUNTY)
MEETING_FIELDS = ("council", "number", "held_on", "starts_at", "place", "status", "attendees",
                  "minutes")
MEETING_EDITABLE = frozenset({"held_on", "starts_at", "place", "status", "attendees",
                              "minutes"})
MAX_TITLE = 300


def _text(value: str, *, field: str, label: Promise, limit: int | None = None) -> str:
    cleaned = clean_text(value or "")
    if not cleaned:
        raise RuleError(_("%(label)s is empty"), code="required", field=field, label=label)
    if limit is not None and len(cleaned) > limit:
        raise RuleError(_("%(label)s is longer than %(limit)s characters"), code="too_long",
                        field=field, label=label, limit=limit)
    return cleaned


def _date(value: datetime.date | None, *, field: str, label: Promise) -> datetime.date:
    """A date given, of this election's era (lib.jalali.check_era): forms check it too,
    but no caller may store a date that would break the pages showing it."""
    if value is None:
        raise RuleError(_("%(label)s is missing"), code="required", field=field, label=label)
    problem = era_problem(value)
    if problem is not None:
        raise RuleError(_("%(label)s: %(problem)s"), code=problem.reason, field=field,
                        label=label, problem=jalali_problem(problem))
    return value


# --- councils ---------------------------------------------------------------------------


def council_create(*, unit: AdminUnit, kind: str, name: str, actor: AnyUser | None) -> Council:
    if unit.kind not in COUNCIL_UNIT_KINDS:
        raise RuleError(_("a council belongs to a province or a county"), code="unit_kind",
                        field="unit")
    if kind not in CouncilKind.values:
        raise RuleError(_("unknown council kind “%(kind)s”"), code="unknown_kind",
                        field="kind", kind=kind)
    name = _text(name, field="name", label=_("the council's name"), limit=200)
    with transaction.atomic():
        if Council.objects.filter(unit=unit, kind=kind, name=name).exists():
            raise RuleError(_("this council already exists"), code="exists", field="name")
        council = Council.objects.create(unit=unit, unit_path=unit.path, kind=kind, name=name)
        audit_record(action="councils.council.create", actor=actor, unit=unit, obj=council,
                     after=audit_snapshot(council, ["unit", "kind", "name"]))
    return council


# --- meetings and the serious-case rule -------------------------------------------------


def _carried_case_ids(council: Council, case_ids: list[int]) -> set[int]:
    """Of ``case_ids``, those already on an earlier agenda of this council."""
    return set(
        AgendaItem.objects.filter(meeting__council=council, case_id__in=case_ids)
        .values_list("case_id", flat=True)
    )


def case_agenda_title(case: Case) -> str:
    return f"{case.number} · {case.category.name_fa}"


def meeting_create(
    *,
    council: Council,
    held_on: datetime.date,
    actor: AnyUser | None,
    starts_at: datetime.time | None = None,
    place: str = "",
    attendees: str = "",
) -> Meeting:
    """Create a meeting and put every serious open case of the council's subtree on it.

    Cases opened after the meeting's day are left out (a past meeting recorded late).
    The cases come in a fixed order (severity, most severe first, then oldest first);
    ``carried_over`` marks a case that was on an earlier agenda of the same council.
    A case stays on each new agenda while it is open and serious, and drops off once
    resolved or dismissed.
    """
    held_on = _date(held_on, field="held_on", label=_("the meeting date"))
    with transaction.atomic():
        # Serialise meeting creation per council so that numbers never collide.
        council = Council.objects.select_for_update().select_related("unit").get(pk=council.pk)
        last = council.meetings.aggregate(n=Max("number"))["n"] or 0
        meeting = Meeting.objects.create(
            council=council, number=last + 1, held_on=held_on, starts_at=starts_at,
            place=clean_text(place or "", multiline=False), attendees=clean_text(attendees or ""),
            created_by=signed_in(actor),
        )
        cases = list(serious_open_cases(council, opened_before=end_of_day(held_on)))
        carried = _carried_case_ids(council, [c.pk for c in cases])
        AgendaItem.objects.bulk_create([
            AgendaItem(meeting=meeting, order=position, title=case_agenda_title(case),
                       case=case, automatic=True, carried_over=case.pk in carried)
            for position, case in enumerate(cases, start=1)
        ])
        audit_record(
            action="councils.meeting.create", actor=actor, unit=council.unit, obj=meeting,
            after=audit_snapshot(meeting, list(MEETING_FIELDS)),
            extra={"agenda_cases": [c.number for c in cases],
                   "carried_over": sorted(c.number for c in cases if c.pk in carried)},
        )
        # Apps above (plans: overdue measures) add their own items once this commits.
        changes.announce(changes.MeetingCreated(meeting_id=meeting.pk))
    return meeting


def meeting_update(*, meeting: Meeting, changes: Mapping[str, Any], actor: AnyUser | None
                   ) -> Meeting:
    """Change a meeting's date, time, place, status, attendees or minutes."""
    unknown = set(changes) - MEETING_EDITABLE
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "status" in changes and changes["status"] not in MeetingStatus.values:
        raise RuleError(_("unknown meeting status"), code="unknown_status", field="status")
    if "held_on" in changes:
        _date(changes["held_on"], field="held_on", label=_("the meeting date"))
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("council__unit").get(
            pk=meeting.pk)
        before = audit_snapshot(meeting, list(MEETING_FIELDS))
        for name, value in changes.items():
            if name == "place":
                value = clean_text(value or "", multiline=False)
            elif name in ("minutes", "attendees"):
                value = clean_text(value or "")
            setattr(meeting, name, value)
        meeting.save()
        old, new = audit_diff(before, audit_snapshot(meeting, list(MEETING_FIELDS)))
        if old or new:
            audit_record(action="councils.meeting.update", actor=actor,
                         unit=meeting.council.unit, obj=meeting, before=old, after=new)
    return meeting


# --- agenda -----------------------------------------------------------------------------


def _case_in_council(case: Case, council: Council) -> None:
    if not case.unit_path.startswith(council.unit_path):
        raise RuleError(_("case %(number)s is outside this council's area"),
                        code="out_of_scope", field="case", number=case.number)


def agenda_item_add(*, meeting: Meeting, actor: AnyUser | None, title: str = "",
                    case: Case | None = None,
                    note: str = "") -> AgendaItem:
    """Add an item by hand: a topic, or a case of the council's area (any severity)."""
    council = meeting.council
    if case is not None:
        _case_in_council(case, council)
        title = title or case_agenda_title(case)
    title = _text(title, field="title", label=_("the agenda item's title"),
                  limit=MAX_TITLE)
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        if case is not None and meeting.agenda.filter(case=case).exists():
            raise RuleError(_("case %(number)s is already on this agenda"),
                            code="already_on_agenda", field="case", number=case.number)
        last = meeting.agenda.aggregate(n=Max("order"))["n"] or 0
        carried = case is not None and bool(_carried_case_ids(council, [case.pk]))
        item = AgendaItem.objects.create(meeting=meeting, order=last + 1, title=title,
                                         case=case, carried_over=carried,
                                         note=clean_text(note or ""))
        audit_record(action="councils.agenda.add", actor=actor, unit=council.unit, obj=item,
                     after=audit_snapshot(item, ["meeting", "order", "title", "case",
                                                 "carried_over", "note"]))
    return item


# --- decisions and action items -----------------------------------------------------------


def decision_add(*, meeting: Meeting, text: str, actor: AnyUser | None,
                 agenda_item: AgendaItem | None = None) -> Decision:
    text = _text(text, field="text", label=_("the decision"), limit=5000)
    if agenda_item is not None and agenda_item.meeting_id != meeting.pk:
        raise RuleError(_("the agenda item belongs to another meeting"),
                        code="other_meeting", field="agenda_item")
    with transaction.atomic():
        meeting = Meeting.objects.select_for_update().select_related("council__unit").get(
            pk=meeting.pk)
        last = meeting.decisions.aggregate(n=Max("number"))["n"] or 0
        decision = Decision.objects.create(meeting=meeting, agenda_item=agenda_item,
                                           number=last + 1, text=text)
        audit_record(action="councils.decision.add", actor=actor, unit=meeting.council.unit,
                     obj=decision,
                     after=audit_snapshot(decision, ["meeting", "agenda_item", "number",
                                                     "text"]))
    return decision


ACTION_FIELDS = ["decision", "text", "owner", "due_on", "status", "done_note", "closed_at"]


def action_item_add(*, decision: Decision, text: str, owner: Agency, due_on: datetime.date,
                    actor: AnyUser | None) -> ActionItem:
    text = _text(text, field="text", label=_("the action"), limit=2000)
    due_on = _date(due_on, field="due_on", label=_("the due date"))
    if due_on < decision.meeting.held_on:
        raise RuleError(_("the due date is before the meeting"), code="before_meeting",
                        field="due_on")
    with transaction.atomic():
        item = ActionItem.objects.create(decision=decision, text=text, owner=owner,
                                         due_on=due_on)
        audit_record(action="councils.action.add", actor=actor,
                     unit=decision.meeting.council.unit, obj=item,
                     after=audit_snapshot(item, ACTION_FIELDS))
    return item


def action_item_set_status(*, item: ActionItem, status: str, actor: AnyUser | None, note: str = ""
                           ) -> ActionItem:
    """Mark an open action done or cancelled (with a note), or reopen a closed one."""
    if status not in ActionStatus.values:
        raise RuleError(_("unknown action status"), code="unknown_status", field="status")
    note = clean_text(note or "")
    if status == ActionStatus.CANCELLED and not note:
        raise RuleError(_("say why the action is cancelled"), code="required", field="note")
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related(
            "decision__meeting__council__unit").get(pk=item.pk)
        if item.status == status:
            raise RuleError(_("the action already has this status"), code="unchanged",
                            field="status")
        before = audit_snapshot(item, ACTION_FIELDS)
        item.status = status
        if status == ActionStatus.OPEN:
            item.closed_at, item.closed_by = None, None
        else:
            item.closed_at, item.closed_by = timezone.now(), signed_in(actor)
        if note:
            item.done_note = note
        item.save()
        old, new = audit_diff(before, audit_snapshot(item, ACTION_FIELDS))
        audit_record(action=f"councils.action.{status}", actor=actor,
                     unit=item.decision.meeting.council.unit, obj=item, before=old, after=new)
    return item


def agenda_export_record(*, meeting: Meeting, actor: AnyUser | None) -> None:
    """A printed agenda leaves the system: record who took it (exports are audited)."""
    audit_record(action="councils.agenda.export", actor=actor, unit=meeting.council.unit,
                 obj=meeting, extra={"format": "pdf"})
