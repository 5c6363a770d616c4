"""What the navigation may offer the signed-in user, decided by the policy table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from amanat.accounts import policy
from amanat.accounts.access import can, user_memberships
from amanat.accounts.models import Role

# Roles that work at the stations and get the field app in the menu (amanat/portal).
FIELD_ROLES = frozenset({Role.FIELD_INSPECTOR, Role.AGENCY_OFFICER})


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {}}
    return {"nav": {
        "memberships": can(user, policy.VIEW, "accounts.membership", None),
        "audit": can(user, policy.VIEW, "audit.event", None),
        "stations": can(user, policy.VIEW, "stations.station", None),
        "atlas": can(user, policy.VIEW, "atlas.score", None),
        "incidents": can(user, policy.VIEW, "incidents.case", None),
        "incident_reports": can(user, policy.VIEW, "incidents.report", None),
        "councils": can(user, policy.VIEW, "councils.council", None),
        "council_actions": can(user, policy.VIEW, "councils.actionitem", None),
        "report_new": can(user, policy.CREATE, "incidents.report", None),
        "field_app": any(m.role in FIELD_ROLES for m in user_memberships(user)),
        "plans": can(user, policy.VIEW, "plans.localisation", None),
        "plan_measures": can(user, policy.VIEW, "plans.measure", None),
        "candidates": can(user, policy.VIEW, "candidates.candidacy", None),
        "boards": can(user, policy.VIEW, "boards.board", None),
        "staffing": can(user, policy.VIEW, "staffing.roster", None),
        "training": can(user, policy.VIEW, "training.course", None),
        "operations": can(user, policy.VIEW, "operations.checkin", None),
    }}
