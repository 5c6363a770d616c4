"""Every form of the project is drawn by the project's form templates (core/forms.py,
core/templates/forms/): each visible field has its label, its Bootstrap class and, when
refused, its error element tied to the widget; no page template draws fields itself.

The walk finds the form classes the way test_clean_text does, so a new form without a
way to build it here fails ``test_every_form_class_is_covered`` until one is added.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.text import capfirst
from django.utils.translation import override

import amanat
from amanat.core.forms import (
    FILTERS_TEMPLATE,
    BootstrapBoundField,
    FormRenderer,
    widget_css_class,
)
from amanat.core.tests.test_clean_text import _form_classes

Factory = Callable[[Any], forms.BaseForm]


def _model(label: str) -> Any:
    # By label, not by import: core's tests stay below the apps they walk.
    return apps.get_model(label)


def _refused(form: Any) -> Any:
    """A form no input can refuse (a lone checkbox), with the refusal a service gives
    (a run already under way), as its view shows it."""
    form.is_valid()
    form.add_error(None, "An assignment run for this county is already under way.")
    return form


def _meeting(ctx: Any) -> Any:
    services = import_string("amanat.councils.services")
    council = services.council_create(unit=ctx.small_geo.gharchak, kind="security_council",
                                      name="شورای تأمین", actor=ctx.personas.admin)
    return services.meeting_create(council=council, held_on=datetime.date(2026, 1, 1),
                                   actor=ctx.personas.admin)


def _unknown_columns() -> list[Any]:
    column = import_string("amanat.stations.tabular.UnknownColumn")
    return [column(header="توضیحات", candidates=[])]


def _station(ctx: Any) -> Any:
    election = _model("elections.Election").objects.create(
        name="e", slug="e", election_day=datetime.date(2026, 6, 1))
    return _model("stations.Station")(election=election, county=ctx.small_geo.gharchak,
                                      code="0001")


def _counties() -> Any:
    return _model("geo.AdminUnit").objects.filter(kind="county")


# Form class (module.qualname) -> how to build it bound to empty data, so that its
# required fields are refused.  Base classes never drawn on a page map to None.
FACTORIES: dict[str, Factory | None] = {
    "amanat.stations.forms.ApiTokenIssueForm":
        lambda ctx: ctx.form({}, user=ctx.personas.admin),
    "amanat.accounts.forms.MembershipGrantForm":
        lambda ctx: ctx.form({}, actor=ctx.personas.admin),
    "amanat.accounts.forms.TokenForm": lambda ctx: ctx.form({}),
    "amanat.atlas.forms.AssessmentForm": lambda ctx: ctx.form(
        {}, agencies=_model("accounts.Agency").objects.all(),
        stations=_model("stations.Station").objects.none()),
    "amanat.atlas.forms.NationalTierForm": lambda ctx: ctx.form({"note": "x" * 3000}),
    "amanat.atlas.forms.ThresholdsForm": lambda ctx: ctx.form({}),
    "amanat.atlas.forms.CatalogueForm": lambda ctx: ctx.form({"w_sensitive": "-1"}),
    "amanat.audit.forms.EventFilterForm": lambda ctx: ctx.form({"since": "1404/13/01"}),
    "amanat.core.forms.FilterForm": None,
    "amanat.candidates.review_forms.ReviewFilterForm": lambda ctx: ctx.form(
        {"state": "x"}, counties=list(_counties())),
    "amanat.candidates.review_forms.InquiryFilterForm": lambda ctx: ctx.form(
        {"county": "x"}, counties=list(_counties())),
    "amanat.candidates.review_forms.InquirySendForm": lambda ctx: ctx.form(
        {}, counties=list(_counties())),
    "amanat.candidates.review_forms.InquiryAnswerForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.InquiryImportForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.DecisionForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.CheckForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.ComplaintForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.ComplaintDecisionForm": lambda ctx: ctx.form({}),
    "amanat.candidates.review_forms.WithdrawForm": lambda ctx: ctx.form({}),
    "amanat.councils.forms._GridForm": None,
    "amanat.councils.forms.ActionItemForm": lambda ctx: ctx.form({}),
    "amanat.councils.forms.ActionStatusForm": lambda ctx: ctx.form({}),
    "amanat.councils.forms.AgendaItemForm": lambda ctx: ctx.form({}),
    "amanat.councils.forms.DecisionForm": lambda ctx: ctx.form({}, meeting=_meeting(ctx)),
    "amanat.councils.forms.MeetingCreateForm": lambda ctx: ctx.form({}),
    "amanat.councils.forms.MeetingEditForm": lambda ctx: ctx.form({}),
    "amanat.elections.forms.MilestoneDueForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms._IntakeForm": None,
    "amanat.incidents.forms.StaffReportForm": lambda ctx: ctx.form(
        {}, user=ctx.personas.admin, counties=_counties(), election=None),
    "amanat.incidents.forms.PublicReportForm": lambda ctx: ctx.form(
        {}, counties=_counties(), election=None),
    "amanat.incidents.forms.StatusLookupForm": lambda ctx: ctx.form({}),
    "amanat.portal.forms.StationFinderForm": lambda ctx: ctx.form({}),
    "amanat.portal.forms.FieldReportForm": lambda ctx: ctx.form(
        {}, counties=_counties(), election=None, user=ctx.personas.inspector),
    "amanat.incidents.forms.NoteForm": lambda ctx: ctx.form({"note": "x" * 3000}),
    "amanat.incidents.forms.TriageForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.AssignForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.ReferForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.OutcomeForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.CaseFilterForm": lambda ctx: ctx.form(
        {"category": "x"}, categories=[], agencies=[]),
    "amanat.incidents.forms.CategoryForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.CaseEvidenceForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms._GridForm": None,
    "amanat.plans.forms.ThreatForm": lambda ctx: ctx.form({"code": "a b"}),
    "amanat.plans.forms.ThreatRatingForm": lambda ctx: ctx.form({"likelihood": "9"}),
    "amanat.plans.forms.MeasureForm": lambda ctx: ctx.form({"due_on": "1404/13/01"}),
    "amanat.plans.forms.MeasureReportForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.DirectiveForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.DirectiveMeasureForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.LocalisationForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.StepCloseForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.PlanForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.PlanAdvanceForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.PlanCommentForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.ScenarioForm": lambda ctx: ctx.form({"code": "a b"}),
    "amanat.plans.forms.ScenarioEditForm": lambda ctx: ctx.form({}),
    "amanat.plans.forms.IndicatorForm": lambda ctx: ctx.form({"threshold": "0"}),
    "amanat.plans.forms.IndicatorEditForm": lambda ctx: ctx.form({"window_minutes": "0"}),
    "amanat.plans.forms.StepForm": lambda ctx: ctx.form({"position": "0"}),
    "amanat.candidates.forms._NationalIdMobile": None,
    "amanat.candidates.forms._PersonForm": None,
    "amanat.candidates.forms.PlaceForm": lambda ctx: ctx.form(
        {}, contests=_model("elections.Contest").objects.none(), counties=_counties()),
    "amanat.candidates.forms.PreRegisterStartForm": lambda ctx: ctx.form(
        {"national_id": "1234567890"}, contests=_model("elections.Contest").objects.none(),
        counties=_counties()),
    "amanat.candidates.forms.PreRegisterForm": lambda ctx: ctx.form(
        {"birth_date": "1404/13/01"}, constituencies=_model("geo.Constituency").objects.all()),
    "amanat.candidates.forms.WalkInForm": lambda ctx: ctx.form(
        {"mobile": "12"}, constituencies=_model("geo.Constituency").objects.all()),
    "amanat.candidates.forms.DocumentUploadForm": lambda ctx: ctx.form(
        {}, types=_model("candidates.DocumentType").objects.all()),
    "amanat.candidates.forms.DocumentRejectForm": lambda ctx: ctx.form({}),
    "amanat.candidates.forms.RelativeForm": lambda ctx: ctx.form({"national_id": "123"}),
    "amanat.candidates.forms.CandidateFilterForm": lambda ctx: ctx.form(
        {"state": "x"}, counties=_counties()),
    "amanat.candidates.forms.ConstituencyFilterForm": lambda ctx: ctx.form({"kind": "x"}),
    "amanat.candidates.forms.ConstituencyForm": lambda ctx: ctx.form({}),
    "amanat.incidents.forms.CaseCandidateForm": lambda ctx: ctx.form({"candidacy": "x"},
                                                                     candidates=[]),
    "amanat.boards.forms.BoardFilterForm": lambda ctx: ctx.form(
        {"unit": "x"}, units=[ctx.small_geo.gharchak]),
    "amanat.boards.forms.BoardForm": lambda ctx: ctx.form({}, units=[ctx.small_geo.gharchak]),
    "amanat.boards.forms.MemberForm": lambda ctx: ctx.form({"national_id": "x"}),
    "amanat.boards.forms.ReplaceForm": lambda ctx: ctx.form({}),
    "amanat.boards.forms.EndForm": lambda ctx: ctx.form({}),
    "amanat.training.forms.CourseFilterForm": lambda ctx: ctx.form({"audience": "x"}),
    "amanat.training.forms.CompletionFilterForm": lambda ctx: ctx.form({"q": "x" * 101}),
    "amanat.training.forms.CourseForm": lambda ctx: ctx.form(
        {}, units=_model("geo.AdminUnit").objects.all()),
    "amanat.training.forms.QuestionsForm": lambda ctx: ctx.form({"questions": "Q\n- a"}),
    "amanat.training.forms.SessionForm": lambda ctx: ctx.form(
        {"day": "1404/13/01"}, units=_model("geo.AdminUnit").objects.all()),
    "amanat.training.forms.PersonForm": lambda ctx: ctx.form({"national_id": "123"}),
    "amanat.training.forms.AttemptForm": lambda ctx: ctx.form(
        {}, questions=list(_model("training.Question").objects.all())),
    "amanat.training.forms.AttendanceImportForm": lambda ctx: ctx.form({}),
    "amanat.training.forms.VerifyForm": lambda ctx: ctx.form({}),
    "amanat.staffing.forms.PersonForm": lambda ctx: ctx.form(
        {"national_id": "123"}, county=ctx.small_geo.gharchak),
    "amanat.staffing.forms.PeopleImportForm": lambda ctx: ctx.form({}),
    "amanat.staffing.forms.PeopleFilterForm": lambda ctx: ctx.form({"post": "x"}),
    "amanat.staffing.forms.AssignForm": lambda ctx: ctx.form(
        {"slot": "x"}, slots=[("member:1", "member")]),
    "amanat.staffing.forms.VerifyForm": lambda ctx: ctx.form({}),
    "amanat.staffing.forms.SolverRunForm": lambda ctx: _refused(
        ctx.form({"gender_balance": "on"})),
    "amanat.stations.forms.StationFilterForm": lambda ctx: ctx.form(
        {"province": "x"}, provinces=[], counties=[]),
    "amanat.stations.forms.StationForm": lambda ctx: ctx.form({}, instance=_station(ctx)),
    "amanat.stations.forms.StationImportForm": lambda ctx: ctx.form({}),
    "amanat.stations.forms.ColumnMappingForm": lambda ctx: ctx.form(_unknown_columns(), {}),
    # election day (opswatch)
    "amanat.operations.watch_forms.AlertFilterForm": lambda ctx: ctx.form({"kind": "x"}),
    "amanat.operations.watch_forms.AlertNoteForm": lambda ctx: ctx.form({}),
    "amanat.operations.watch_forms.AlertCloseForm": lambda ctx: ctx.form({}),
    "amanat.operations.watch_forms.FlagVerifyForm": lambda ctx: ctx.form({"note": "x" * 3000}),
    "amanat.operations.watch_forms.FlagCorrectForm": lambda ctx: ctx.form({"voters": "-1"}),
    "amanat.operations.watch_forms.QualityRuleForm": lambda ctx: ctx.form({}),
    "amanat.accounts.forms.AlertContactForm": lambda ctx: ctx.form({"mobile": "x" * 30}),
    # election day (issue 16), the dashboard's branch
    "amanat.operations.forms.CheckinForm": lambda ctx: ctx.form({"window": "x"}, windows=[]),
    "amanat.operations.forms.DayForm": lambda ctx: ctx.form({"silent_after_minutes": "x"},
                                                            windows=[]),
    # the station search (ckdash, user review 2026-12 F25)
    "amanat.operations.forms.StationSearchForm": lambda ctx: ctx.form({"q": "x" * 300}),
}


class _Context:
    def __init__(self, form_class: type[forms.BaseForm], small_geo: Any, personas: Any):
        self.form = form_class
        self.small_geo = small_geo
        self.personas = personas


def _name(form_class: type[forms.BaseForm]) -> str:
    return f"{form_class.__module__}.{form_class.__qualname__}"


def test_every_form_class_is_covered() -> None:
    missing = sorted(set(map(_name, _form_classes())) - set(FACTORIES))
    assert not missing, f"add a factory to FACTORIES for {missing}"


def _check_rendered(form: forms.BaseForm, label: str) -> None:
    assert not form.is_valid(), f"{label}: build it with data that has an error"
    assert isinstance(form.renderer, FormRenderer), label
    html = str(form)
    if form.template_name != FILTERS_TEMPLATE:  # a filter bar shows errors on its fields
        assert 'data-testid="form-errors"' in html, f"{label}: no error summary"
    for field in form:
        assert isinstance(field, BootstrapBoundField), label
        if field.is_hidden:
            continue
        where = f"{label}.{field.name}"
        widget_html = str(field)
        if field.use_fieldset:  # a group of checkboxes or radios: a fieldset's legend
            assert "<legend" in html, f"{where}: no legend"
            if isinstance(field.field.widget, forms.RadioSelect):  # checkboxes too
                assert f'data-testid="check-group-{field.name}"' in html, where
        else:
            assert f'for="{field.id_for_label}"' in html, f"{where}: no label"
        assert escape(capfirst(str(field.label))) in html, f"{where}: label text"
        css = widget_css_class(field.field.widget, compact=getattr(form, "compact", False))
        assert f'class="{css}' in widget_html, f"{where}: {widget_html[:200]}"
        if field.errors:
            assert f'id="{field.auto_id}_error"' in html, f"{where}: no error element"
            assert f'data-testid="error-{field.name}"' in html, where
            assert "is-invalid" in widget_html and 'aria-invalid="true"' in widget_html, where
            assert f"{field.auto_id}_error" in widget_html, f"{where}: aria-describedby"
        if field.help_text:
            assert f'id="{field.auto_id}_helptext"' in html, where


@pytest.mark.parametrize("name", sorted(k for k, v in FACTORIES.items() if v is not None))
@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_form_renders_through_the_project_templates(
    name: str, lang: str, small_geo: Any, personas: Any
) -> None:
    factory = FACTORIES[name]
    assert factory is not None
    with override(lang):
        form = factory(_Context(import_string(name), small_geo, personas))
        _check_rendered(form, name)


@pytest.mark.django_db
def test_django_auth_forms_on_our_pages_render_the_same_way() -> None:
    _check_rendered(AuthenticationForm(data={}), "login")
    user = _model("auth.User").objects.create_user("u", password="p")
    form = PasswordChangeForm(user, {})
    _check_rendered(form, "password change")
    assert 'dir="ltr"' in str(form["old_password"])
    assert 'dir="ltr"' in str(AuthenticationForm()["username"])


# --- templates ----------------------------------------------------------------------------

FORM_TEMPLATES = Path(amanat.__file__).parent / "core" / "templates" / "forms"
# What only a form template does: loop over a form, write a label or a field's errors.
DRAWS_FIELDS = re.compile(
    r"{%\s*for\s+\w+\s+in\s+\w*form\b|\w*(?:form|field)\.(?:\w+\.)?errors\b|label_tag"
    r"|id_for_label|field\.label\b"
    r"|non_field_errors|hidden_fields"
)


def _field_templates() -> set[str]:
    """Templates that fields name themselves (``Field(template_name=...)``)."""
    names = set()
    for form_class in _form_classes():
        for field in form_class.base_fields.values():
            if name := getattr(field, "template_name", None):
                names.add(name)
    return names


def test_no_page_template_draws_form_fields_itself() -> None:
    root = Path(amanat.__file__).parent
    own = _field_templates()
    offenders = []
    for path in root.rglob("templates/**/*.html"):
        if path.is_relative_to(FORM_TEMPLATES):
            continue
        if any(path.as_posix().endswith(f"/templates/{name}") for name in own):
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if DRAWS_FIELDS.search(line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()[:90]}")
    assert not offenders, "render forms with {{ form }}:\n" + "\n".join(offenders)
