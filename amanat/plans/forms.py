"""Forms of the plans pages.  Forms validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanat.accounts.models import Agency
from amanat.atlas import factors as atlas_factors
from amanat.core.forms import (
    FILTERS_TEMPLATE,
    GRID_TEMPLATE,
    CleanCharField,
    JalaliDateField,
    text_limit,
)
from amanat.core.models import in_language
from amanat.geo.models import AdminUnit
from amanat.plans.models import (
    Directive,
    Localisation,
    Measure,
    MeasureKind,
    MeasureStatus,
    Phase,
    PlanComment,
    PlanStatus,
    SecurityPlan,
    StepStatus,
    Threat,
    ThreatRating,
)

LEVELS = [(n, str(n)) for n in range(1, 6)]


class _GridForm(forms.Form):
    template_name = GRID_TEMPLATE


class AgencyChoiceField(forms.ModelChoiceField[Agency]):
    def label_from_instance(self, obj: Agency) -> str:
        return str(obj.name)


class ThreatChoiceField(forms.ModelChoiceField[Threat]):
    def label_from_instance(self, obj: Threat) -> str:
        return obj.name


def _agencies() -> AgencyChoiceField:
    return AgencyChoiceField(label=_("Owner agency"), queryset=Agency.objects.order_by("code"))


def factor_choices() -> list[tuple[str, str]]:
    return [(f.code, in_language(f.name_fa, f.name_en))
            for f in atlas_factors.CATALOGUE.values()]


class ThreatForm(_GridForm):
    code = CleanCharField(label=_("Code"), max_length=40, validators=[validate_slug],
                          help_text=_("Latin letters, digits and hyphens, e.g. road-blocks."))
    name_fa = CleanCharField(label=_("Name (Persian)"), max_length=200)
    name_en = CleanCharField(label=_("Name (English)"), max_length=200, required=False)
    description = CleanCharField(label=_("Description"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 max_length=text_limit(Threat, "description"))
    factors = forms.MultipleChoiceField(
        label=_("Atlas factors that raise it"), required=False, choices=factor_choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Places and processes only: never people's ethnicity, religion or "
                    "politics."))
    impact = forms.TypedChoiceField(label=_("Impact (1–5)"), choices=LEVELS, coerce=int,
                                    initial=3)


class ThreatRatingForm(_GridForm):
    likelihood = forms.TypedChoiceField(label=_("Likelihood (1–5)"), choices=LEVELS,
                                        coerce=int)
    impact = forms.TypedChoiceField(label=_("Impact (1–5)"), choices=LEVELS, coerce=int)
    note = CleanCharField(label=_("Reasoning"), widget=forms.Textarea(attrs={"rows": 3}),
                          max_length=text_limit(ThreatRating, "note"))


class MeasureForm(_GridForm):
    title = CleanCharField(label=_("Measure"), max_length=300)
    threat = ThreatChoiceField(label=_("Threat"), queryset=Threat.objects.none(),
                               required=False)
    phase = forms.ChoiceField(label=_("Phase"), choices=Phase.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=MeasureKind.choices)
    owner = _agencies()
    due_on = JalaliDateField(label=_("Due date"))

    def __init__(self, *args: Any, unit: AdminUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["threat"]
        assert isinstance(field, forms.ModelChoiceField)
        scope = Q(unit__isnull=True) | (Q(unit=unit) if unit is not None else Q(pk__in=[]))
        field.queryset = Threat.objects.filter(scope, active=True).order_by("code")


class MeasureReportForm(_GridForm):
    status = forms.ChoiceField(label=_("Status"), choices=MeasureStatus.choices)
    evidence = CleanCharField(
        label=_("Evidence"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        max_length=text_limit(Measure, "evidence"),
        help_text=_("What was done, when, by whom (a letter number, a meeting, a count)."))


class DirectiveForm(_GridForm):
    code = CleanCharField(label=_("Code"), max_length=40, validators=[validate_slug],
                          help_text=_("The same code for every version of the directive."))
    title = CleanCharField(label=_("Title"), max_length=300)
    text = CleanCharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 10}),
                          max_length=text_limit(Directive, "text"))
    localise_by = JalaliDateField(label=_("Localise by"))


class DirectiveMeasureForm(MeasureForm):
    pass


class LocalisationForm(_GridForm):
    text = CleanCharField(label=_("Adapted text"), widget=forms.Textarea(attrs={"rows": 12}),
                          max_length=text_limit(Localisation, "text"))


class StepCloseForm(forms.Form):
    """One step's result in a playbook run's table: compact fields in a row."""

    template_name = FILTERS_TEMPLATE
    compact = True
    status = forms.ChoiceField(label=_("Result"), choices=[
        (StepStatus.DONE, StepStatus.DONE.label), (StepStatus.SKIPPED, StepStatus.SKIPPED.label)])
    note = CleanCharField(label=_("Note"), required=False, max_length=2000)


class PlanForm(_GridForm):
    summary = CleanCharField(label=_("Summary of the plan"),
                             widget=forms.Textarea(attrs={"rows": 10}),
                             max_length=text_limit(SecurityPlan, "summary"))


class PlanAdvanceForm(forms.Form):
    to = forms.ChoiceField(choices=PlanStatus.choices, widget=forms.HiddenInput)


class PlanCommentForm(_GridForm):
    text = CleanCharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}),
                          max_length=text_limit(PlanComment, "text"))
