"""What the navigation may offer the signed-in user, decided by the policy table."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from amanat.accounts import policy
from amanat.accounts.access import can


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
        "candidates": can(user, policy.VIEW, "candidates.candidacy", None),
    }}
