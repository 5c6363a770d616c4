"""Reads of the audit log for the auditor's pages, scoped by the access helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from amanat.accounts import policy
from amanat.accounts.access import (
    AnyUser,
    can_nationally,
    get_national_object_for_user,
    scope_queryset,
)
from amanat.audit.models import Checkpoint, Event
from amanat.geo.models import AdminUnit
from amanat.geo.paths import under


def events_for_user(user: AnyUser) -> QuerySet[Event]:
    """Events the user may read: all of them for a national auditor, else by unit path."""
    events = Event.objects.order_by("-seq")
    if can_nationally(user, policy.VIEW, "audit.event"):
        return events
    return scope_queryset(user, events, action=policy.VIEW, path_field="unit_path",
                          model_label="audit.event")


def get_checkpoint_for_user(user: AnyUser, pk: Any) -> Checkpoint:
    """A signed checkpoint, for whoever may read the audit log (checkpoints hold only the
    log's size and root, no events)."""
    return get_national_object_for_user(user, Checkpoint.objects.all(), action=policy.VIEW,
                                        model_label="audit.event", pk=pk)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def filter_events(events: QuerySet[Event], filters: dict[str, Any]) -> QuerySet[Event]:
    """Apply the filter form's cleaned data; a unit filter takes its whole subtree."""
    if filters.get("unit"):
        unit = AdminUnit.objects.filter(pk=filters["unit"]).only("path").first()
        events = events.filter(under("unit_path", unit.path)) if unit else events.none()
    if filters.get("actor"):
        events = events.filter(actor_name__icontains=filters["actor"])
    if filters.get("action"):
        events = events.filter(action=filters["action"])
    if filters.get("object_type"):
        events = events.filter(object_type=filters["object_type"])
    if filters.get("object_id"):
        events = events.filter(object_id=filters["object_id"])
    if filters.get("since"):
        events = events.filter(time__gte=_day_start(filters["since"]))
    if filters.get("until"):
        events = events.filter(time__lt=_day_start(filters["until"] + dt.timedelta(days=1)))
    return events
