"""Template helpers of the councils pages."""

from __future__ import annotations

from django import template

from amanat.councils.forms import ActionStatusForm
from amanat.councils.models import ActionItem

register = template.Library()


@register.simple_tag
def action_status_form(action: ActionItem) -> ActionStatusForm:
    """The status form of one row of an action table: its own ids, its current status,
    rendered by the project's form templates like every other form."""
    return ActionStatusForm(initial={"status": action.status}, auto_id=f"id_action{action.pk}_%s")
