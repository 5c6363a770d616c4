"""``{% review_history candidacy %}``: the boards' decisions and the complaint, shown on
the dossier for those the policy lets see them, with a link to the review page."""

from __future__ import annotations

from typing import Any

from django import template

from amanat.accounts import access, policy
from amanat.candidates import review_selectors as rs
from amanat.candidates.models import Candidacy

register = template.Library()


@register.inclusion_tag("candidates/_review_history.html", takes_context=True)
def review_history(context: dict[str, Any], candidacy: Candidacy) -> dict[str, Any]:
    user = context["request"].user
    unit = candidacy.county
    see = access.can(user, policy.VIEW, rs.DECISION, unit)
    data = rs.review(candidacy) if see else None
    return {"candidacy": candidacy, "review": data, "see_decisions": see,
            "see_complaint": access.can(user, policy.VIEW, rs.COMPLAINT, unit)}
