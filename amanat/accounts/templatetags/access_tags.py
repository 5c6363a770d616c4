"""``{% can_open "app.model" unit as ok %}``: whether the signed-in reader may view objects
of that type at ``unit`` (the policy and the scope, as the page behind the link will ask).

Pages link to a unit, a province's atlas or a record only when this holds, so that no
link on a page leads to a 404 for its reader.  It reads the memberships already loaded
for the request: no query per link.
"""

from __future__ import annotations

from typing import Any

from django import template

from amanat.accounts import access, policy
from amanat.geo.models import AdminUnit

register = template.Library()


@register.simple_tag(takes_context=True)
def can_open(context: template.Context, model_label: str, unit: AdminUnit | None = None,
             action: str = policy.VIEW) -> bool:
    request: Any = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return False
    return access.can(user, action, model_label, unit)
