"""The printable county security plan (WeasyPrint): always Persian, right to left.

Holds the atlas summary (score, tier, national tier), the threats with their levels,
the measures by phase and the scenarios with their indicators and playbook steps, and
the plan's status, approval and the agencies' comments.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from amanat.atlas.selectors import national_tier, unit_score
from amanat.core.templatetags.persian import localize_number
from amanat.lib.jalali import format_jalali
from amanat.lib.pdf import html_to_pdf, vazirmatn_font_face_css
from amanat.plans import playbooks, selectors
from amanat.plans.models import Phase, PlanStatus, Scenario, SecurityPlan

PLAN_CSS = """
@page { size: A4; margin: 18mm 16mm; }
html { direction: rtl; font-family: "Vazirmatn", sans-serif; font-size: 10.5pt; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; }
h3 { font-size: 11pt; margin: 8pt 0 3pt; }
.sub { color: #444; margin-bottom: 8pt; }
table { width: 100%; border-collapse: collapse; margin-bottom: 6pt; }
th, td { border: 0.5pt solid #999; padding: 3pt 5pt; text-align: right; vertical-align: top; }
th { background: #eee; }
.summary { white-space: pre-wrap; }
"""


def _fa(value: Any) -> str:
    """A number as the Persian text writes it: Persian digits and the Persian decimal
    separator («۲۷٫۲», not «۲۷.۲»); a whole float without its «.0»."""
    if isinstance(value, float):
        value = int(value) if value.is_integer() else round(value, 1)
    return localize_number(str(value))


def plan_status(plan: SecurityPlan) -> dict[str, str]:
    """The plan's status line: always the live one (approved, then sent)."""
    with translation.override("fa"):
        return {"status": str(plan.get_status_display()),
                "approved": format_jalali(plan.approved_at.date(), persian_digits=True)
                if plan.approved_at else ""}


def plan_context(plan: SecurityPlan) -> dict[str, Any]:
    """What the plan prints. An approved (or sent) plan prints the content kept at its
    approval (``plan_content``), whatever the county has changed since."""
    if plan.approved_content is not None and plan.status in (PlanStatus.APPROVED,
                                                             PlanStatus.SENT):
        return {**plan.approved_content, **plan_status(plan), "as_approved": True}
    return {**plan_content(plan), **plan_status(plan)}


def plan_content(plan: SecurityPlan) -> dict[str, Any]:
    """The plan's content from the county's data now (JSON: kept at approval)."""
    with translation.override("fa"):
        election, unit = plan.election, plan.unit
        score = unit_score(election, unit)
        tier = national_tier(election, unit)
        measures = selectors.county_measures(election, unit)
        scenarios = [s for s in Scenario.objects.filter(active=True).select_related("threat")
                     .prefetch_related("indicators__category").order_by("unit_path", "code")
                     if s.unit_id in (None, unit.pk)]
        return {
            "unit": unit.name, "province": unit.parent.name if unit.parent else "",
            "election": election.name,
            "summary": plan.summary,
            "score": _fa(round(float(score.value), 1)) if score else "",
            "tier": str(score.get_tier_display()) if score else "",
            "national_tier": str(tier.get_tier_display()) if tier else "",
            "threats": [{"name": r.threat.name_fa, "likelihood": _fa(r.likelihood),
                         "impact": _fa(r.impact), "level": _fa(r.level),
                         "factors": "، ".join(f["name"] for f in r.factors)}
                        for r in selectors.threat_levels(election, unit)],
            "phases": [{"label": str(label), "rows": [
                {"title": m.title, "owner": m.owner.name_fa,
                 "due": format_jalali(m.due_on, persian_digits=True),
                 "status": str(m.get_status_display()), "kind": str(m.get_kind_display())}
                for m in measures[value]]} for value, label in Phase.choices],
            "scenarios": [{"title": s.title, "threat": s.threat.name_fa,
                           "indicators": [f"{i.get_kind_display()} ≥ {_fa(i.threshold)}"
                                          for i in s.indicators.all()],
                           "steps": [st.name for st in playbooks.ordered_steps(s.playbook)]}
                          for s in scenarios],
            "comments": [{"agency": str(c.agency), "text": c.text}
                         for c in plan.comments.select_related("agency")],
        }


def plan_html(plan: SecurityPlan) -> str:
    with translation.override("fa"):
        return render_to_string("plans/plan_pdf.html", plan_context(plan))


def plan_pdf(plan: SecurityPlan) -> bytes:
    css = vazirmatn_font_face_css(settings.NODE_MODULES) + PLAN_CSS
    return html_to_pdf(plan_html(plan), css=css)
