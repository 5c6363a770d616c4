"""Reads of the alert, flag and quality-rule pages (opswatch), through the scope
helpers: a county sees its own alerts and flags, a province its counties'; out of scope
is 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.elections.models import Election
from amanat.operations.models import Alert, AlertLevel, AlertState, Flag, FlagState, QualityRule

ALERT = "operations.alert"
CHECKIN = "operations.checkin"
RULE = "operations.qualityrule"


def alerts_for_user(user: AnyUser, election: Election, *, kind: str = "", state: str = "",
                    level: str = "") -> QuerySet[Alert]:
    """The election's alerts in the user's scope: escalated first, then the newest.
    ``state`` empty: the ones not closed; "all": every state."""
    alerts = Alert.objects.filter(election=election)
    if kind:
        alerts = alerts.filter(kind=kind)
    if level:
        alerts = alerts.filter(level=level)
    if state == "all":
        pass
    elif state:
        alerts = alerts.filter(state=state)
    else:
        alerts = alerts.exclude(state=AlertState.CLOSED)
    alerts = access.scope_queryset(user, alerts, action=policy.VIEW, path_field="unit_path",
                                   model_label=ALERT)
    escalated = Case(When(level=AlertLevel.PROVINCE, then=Value(0)), default=Value(1),
                     output_field=IntegerField())
    return (alerts.select_related("station", "county", "flag__rule")
            .order_by(escalated, "-raised_at", "-pk"))


def get_alert_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Alert:
    return access.get_object_for_user(
        user, Alert, pk, write=write, path_field="unit_path", model_label=ALERT,
        queryset=Alert.objects.select_related("station", "county", "flag__rule",
                                              "flag__checkin", "acknowledged_by",
                                              "closed_by"))


def flags_for_user(user: AnyUser, election: Election) -> QuerySet[Flag]:
    """The election's open flags in the user's scope, the oldest first."""
    flags = Flag.objects.filter(election=election, state=FlagState.OPEN)
    return (access.scope_queryset(user, flags, action=policy.VIEW, path_field="unit_path",
                                  model_label=CHECKIN)
            .select_related("rule", "checkin", "station", "county")
            .order_by("created_at", "pk"))


def get_flag_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Flag:
    return access.get_object_for_user(
        user, Flag, pk, write=write, path_field="unit_path", model_label=CHECKIN,
        queryset=Flag.objects.select_related("rule", "checkin__window", "station", "county",
                                             "resolved_by"))


def rules_for_user(user: AnyUser) -> QuerySet[QualityRule]:
    if not access.can(user, policy.VIEW, RULE, None):
        raise Http404("not found")
    return QualityRule.objects.select_related("updated_by").order_by("-active", "code")


def get_rule_for_change(user: AnyUser, pk: Any) -> QualityRule:
    """A rule a national administrator changes; anyone else: 404."""
    return access.get_national_object_for_user(
        user, QualityRule.objects.all(), action=policy.CHANGE, model_label=RULE,
        national=True, pk=pk)
