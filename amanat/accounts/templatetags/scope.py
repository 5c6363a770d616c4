"""``{% can_view "app.model" unit as linked %}``: whether the signed-in user may open the
page of an object of that type at ``unit``, so that a list links only what its reader
can open (a link to a page out of scope is a 404 and an ``access.denied`` audit event)."""

from __future__ import annotations

from typing import Any

from django import template

from amanat.accounts import policy
from amanat.accounts.access import can

register = template.Library()


@register.simple_tag(takes_context=True)
def can_view(context: dict[str, Any], model_label: str, unit: Any) -> bool:
    request = context.get("request")
    if request is None or unit is None:
        return False
    return can(request.user, policy.VIEW, model_label, unit)
