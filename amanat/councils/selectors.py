"""Reads of the councils app: the serious cases an agenda carries, scoped councils,
meetings and action items.

Councils, meetings and their parts are scoped by the council's unit path.  Action items
are also open to agency officers, but only those owned by the officer's agency within
the officer's unit (``scope_action_items``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.accounts.models import Role
from amanat.councils.models import ActionItem, ActionStatus, Council, Decision, Meeting
from amanat.geo.paths import under
from amanat.incidents.models import Case

COUNCIL = "councils.council"
MEETING = "councils.meeting"
ACTION = "councils.actionitem"

MEETING_PATH = "council__unit_path"
DECISION_PATH = "meeting__council__unit_path"
ACTION_PATH = "decision__meeting__council__unit_path"


def serious_open_cases(council: Council, *, opened_before: datetime.datetime | None = None
                       ) -> QuerySet[Case]:
    """Open cases at or above the serious threshold in the council's subtree, in agenda
    order: most severe first, then oldest first.  With ``opened_before``, only cases
    opened before then (a meeting recorded after the fact gets no later cases)."""
    qs = Case.objects.open().serious().filter(under("unit_path", council.unit_path))
    if opened_before is not None:
        qs = qs.filter(opened_at__lt=opened_before)
    return qs.select_related("category").order_by("-severity", "opened_at", "pk")


def end_of_day(day: datetime.date) -> datetime.datetime:
    """The first instant after ``day`` in the project's time zone (Tehran)."""
    return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=1),
                                                         datetime.time.min))


# --- councils and meetings ---------------------------------------------------------------


def council_list(user: AnyUser) -> QuerySet[Council]:
    qs = Council.objects.select_related("unit", "unit__parent").annotate(
        meeting_count=Count("meetings")
    )
    return access.scope_queryset(user, qs, action=policy.VIEW, path_field="unit_path"
                                 ).order_by("unit_path", "kind", "pk")


def get_council_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Council:
    return access.get_object_for_user(
        user, Council, pk, write=write, path_field="unit_path",
        queryset=Council.objects.select_related("unit"),
    )


def get_meeting_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Meeting:
    return access.get_object_for_user(
        user, Meeting, pk, action=action, path_field=MEETING_PATH,
        queryset=Meeting.objects.select_related("council__unit", "created_by"),
    )


def get_decision_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Decision:
    """A decision, under the policy of its meeting (decisions are part of the minutes)."""
    return access.get_object_for_user(
        user, Decision, pk, action=action, path_field=DECISION_PATH, model_label=MEETING,
        queryset=Decision.objects.select_related("meeting__council__unit",
                                                 "meeting__created_by"),
    )


def meeting_agenda(meeting: Meeting) -> list[Any]:
    return list(meeting.agenda.select_related("case__category", "case__unit").order_by("order"))


def meeting_decisions(meeting: Meeting) -> list[Any]:
    return list(
        meeting.decisions.select_related("agenda_item")
        .prefetch_related("actions__owner").order_by("number")
    )


# --- action items ------------------------------------------------------------------------


def _agency_condition(user: AnyUser, action: str) -> Q | None:
    """None when no agency narrowing applies; else which action items the user reaches.

    A membership of an allowed role other than agency officer reaches its subtree; an
    agency officer's only the items owned by the officer's agency within it.
    """
    allowed = policy.roles_allowed(ACTION, action)
    memberships = [m for m in access.user_memberships(user) if m.role in allowed]
    if not any(m.role == Role.AGENCY_OFFICER for m in memberships):
        return None
    condition = Q(pk__in=[])
    for m in memberships:
        subtree = under(ACTION_PATH, m.unit.path)
        if m.role == Role.AGENCY_OFFICER:
            if m.agency_id is None:
                continue
            subtree &= Q(owner_id=m.agency_id)
        condition |= subtree
    return condition


def scope_action_items(user: AnyUser, qs: QuerySet[ActionItem] | None = None, *,
                       action: str = policy.VIEW) -> QuerySet[ActionItem]:
    base = qs if qs is not None else ActionItem.objects.all()
    scoped = access.scope_queryset(user, base, action=action, path_field=ACTION_PATH,
                                   model_label=ACTION)
    extra = _agency_condition(user, action)
    return scoped if extra is None else scoped.filter(extra)


def action_queryset() -> QuerySet[ActionItem]:
    return ActionItem.objects.select_related("owner", "decision__meeting__council__unit")


def get_action_item_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> ActionItem:
    action = policy.CHANGE if write else policy.VIEW
    extra = _agency_condition(user, action)
    qs = action_queryset() if extra is None else action_queryset().filter(extra)
    return access.get_object_for_user(user, ActionItem, pk, action=action,
                                      path_field=ACTION_PATH, queryset=qs)


def action_item_list(user: AnyUser, *, status: str = ActionStatus.OPEN,
                     overdue: bool = False, today: datetime.date | None = None
                     ) -> QuerySet[ActionItem]:
    qs = scope_action_items(user, action_queryset())
    if status:
        qs = qs.filter(status=status)
    if overdue:
        qs = qs.filter(status=ActionStatus.OPEN, due_on__lt=today or timezone.localdate())
    return qs.order_by("due_on", "pk")


def changeable_action_ids(user: AnyUser, items: list[ActionItem]) -> set[int]:
    """Of ``items``, the ids the user may update (one query)."""
    if not items:
        return set()
    ids = [item.pk for item in items]
    return set(scope_action_items(user, ActionItem.objects.filter(pk__in=ids),
                                  action=policy.CHANGE).values_list("pk", flat=True))


def council_open_actions(council: Council) -> QuerySet[ActionItem]:
    return (
        action_queryset().filter(decision__meeting__council=council, status=ActionStatus.OPEN)
        .order_by("due_on", "pk")
    )


def today() -> datetime.date:
    return timezone.localdate()
