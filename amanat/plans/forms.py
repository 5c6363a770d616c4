"""Forms of the plans pages.  Forms validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanat.accounts.models import Agency, Role
from amanat.atlas import factors as atlas_factors
from amanat.core.forms import (
    FILTERS_TEMPLATE,
    GRID_TEMPLATE,
    CleanCharField,
    DecimalTextField,
    JalaliDateField,
    text_limit,
)
from amanat.core.models import in_language
from amanat.geo.models import AdminUnit
from amanat.incidents.models import Category
from amanat.plans.models import (
    Directive,
    IndicatorKind,
    Localisation,
    Measure,
    MeasureKind,
    MeasureStatus,
    Phase,
    PlanComment,
    PlanStatus,
    Scenario,
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


def _role_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in Role.choices]


ROLES_HELP = _("None: only national and provincial staff see its alerts.")


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    def label_from_instance(self, obj: Category) -> str:
        return in_language(obj.name_fa, obj.name_en)


def _categories() -> CategoryChoiceField:
    return CategoryChoiceField(
        label=_("Category"), queryset=Category.objects.order_by("position", "code"),
        required=False, help_text=_("Only reports or cases of this category (optional)."))


class ScenarioForm(_GridForm):
    """A new scenario: its threat, the roles alerted and the playbook's first step."""

    code = CleanCharField(label=_("Code"), max_length=40, validators=[validate_slug],
                          help_text=_("Latin letters, digits and hyphens, e.g. road-blocks."))
    title = CleanCharField(label=_("Title"), max_length=300)
    threat = ThreatChoiceField(label=_("Threat"), queryset=Threat.objects.none())
    description = CleanCharField(label=_("Description"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 max_length=text_limit(Scenario, "description"))
    alert_roles = forms.MultipleChoiceField(
        label=_("Roles alerted"), choices=_role_choices, widget=forms.CheckboxSelectMultiple,
        initial=[Role.GOVERNOR], required=False, help_text=ROLES_HELP)
    first_step_agency = AgencyChoiceField(label=_("First step: owner agency"),
                                          queryset=Agency.objects.order_by("code"))
    first_step = CleanCharField(label=_("First step"), max_length=300)

    def __init__(self, *args: Any, unit: AdminUnit | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["threat"]
        assert isinstance(field, forms.ModelChoiceField)
        scope = Q(unit__isnull=True) | (Q(unit=unit) if unit is not None else Q(pk__in=[]))
        field.queryset = Threat.objects.filter(scope, active=True).order_by("code")


class ScenarioEditForm(_GridForm):
    title = CleanCharField(label=_("Title"), max_length=300)
    description = CleanCharField(label=_("Description"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 3}),
                                 max_length=text_limit(Scenario, "description"))
    alert_roles = forms.MultipleChoiceField(
        label=_("Roles alerted"), choices=_role_choices, widget=forms.CheckboxSelectMultiple,
        required=False, help_text=ROLES_HELP)
    active = forms.BooleanField(label=_("Evaluated (active)"), required=False)


class IndicatorForm(_GridForm):
    kind = forms.ChoiceField(label=_("Indicator"), choices=IndicatorKind.choices)
    category = _categories()
    threshold = DecimalTextField(label=_("Threshold"), min_value=0.001,
                                 help_text=_("An alert fires when the county's value is at or "
                                             "above it."))
    window_minutes = forms.IntegerField(
        label=_("Window (minutes)"), min_value=1, max_value=7 * 24 * 60, initial=60,
        help_text=_("For reports per hour: the minutes counted back from now."))


class IndicatorEditForm(IndicatorForm):
    """An indicator's threshold, window and category; its kind stays."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["kind"]


class StepForm(_GridForm):
    agency = AgencyChoiceField(label=_("Owner agency"), queryset=Agency.objects.order_by("code"))
    name = CleanCharField(label=_("Step"), max_length=300)
    position = forms.IntegerField(label=_("Position"), min_value=1, max_value=100,
                                  required=False,
                                  help_text=_("1 is the first step; empty: at the end."))
