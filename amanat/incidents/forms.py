"""Forms of the incidents pages: intake (staff and public), status lookup, case steps,
case filters and the category editor.  Forms validate; services write."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser
from amanat.accounts.models import Agency
from amanat.core.errors import RuleError
from amanat.core.forms import CleanCharField, FilterForm, JalaliDateField, clean_formfield
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.incidents import evidence as evidence_check
from amanat.incidents import selectors, spam
from amanat.incidents.evidence import CheckedFile
from amanat.incidents.models import MAX_RESPONSE_HOURS, Category, Severity, Status
from amanat.stations.models import Station


def _model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


class CategoryChoiceField(forms.ModelChoiceField[Category]):
    def label_from_instance(self, obj: Category) -> str:
        return str(obj.name)


class HoneypotField(CleanCharField):
    """A field hidden from people (its template draws it off-screen) that bots fill."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.template_name = "incidents/_honeypot.html"
        self.widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})


class _IntakeForm(forms.Form):
    """Category, place (a station code or a county), text and an optional evidence file."""

    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())
    station_code = CleanCharField(
        label=_("Polling station code (optional)"), required=False, max_length=30,
        help_text=_("County code, a dash, station code: 2321-0042"),
    )
    county = forms.ModelChoiceField(
        label=_("County"), queryset=AdminUnit.objects.none(), required=False
    )
    text = CleanCharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 5}),
                           max_length=5000)
    evidence = forms.FileField(label=_("Evidence file (optional)"), required=False,
                               help_text=_("JPEG or PNG image, PDF or plain text; at most 10 MB"))

    def __init__(self, *args: Any, counties: QuerySet[AdminUnit], election: Election | None,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.election = election
        _model_field(self, "category").queryset = selectors.active_categories()
        _model_field(self, "county").queryset = counties

    def clean_evidence(self) -> CheckedFile | None:
        upload = self.cleaned_data.get("evidence")
        if not upload:
            return None
        try:
            return evidence_check.check_upload(upload)
        except RuleError as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        code = (data.get("station_code") or "").strip()
        station: Station | None = None
        if code:
            station = self.find_station(code)
            if station is None:
                self.add_error("station_code", self.unknown_station)
        elif not data.get("county"):
            self.add_error("county", _("Give a polling station code or choose a county."))
        data["station"] = station
        return data


    unknown_station = _("No polling station has this code.")

    def find_station(self, code: str) -> Station | None:
        # The public may report at any station of the country.
        return selectors.find_station(self.election, code)


class StaffReportForm(_IntakeForm):
    """Staff file reports only where they may: a station out of their scope is looked for
    in the scope and answered like one that does not exist."""

    unknown_station = _("No polling station has this code in your area.")

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def find_station(self, code: str) -> Station | None:
        return selectors.find_station_for_user(self.user, self.election, code)


class PublicReportForm(_IntakeForm):
    contact = CleanCharField(
        label=_("Phone or email (optional)"), required=False, max_length=200,
        help_text=_("Only if you want to be contacted; it is never required."),
    )
    website = HoneypotField(label=_("Leave this field empty"))
    token = CleanCharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = spam.form_token()
        # A phone opens its camera for the evidence (a photo is what a witness has).
        self.fields["evidence"].widget.attrs.update({"accept": "image/*",
                                                     "capture": "environment"})

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("website"):
            raise ValidationError(_("The form could not be accepted."), code="honeypot")
        problem = spam.token_problem(self.data.get("token", ""))
        if problem == "used":
            raise token_used_error()
        if problem == "too_fast":
            raise ValidationError(_("The form was sent too quickly; please check it and "
                                    "send it again."), code="too_fast")
        if problem:
            raise ValidationError(_("The form has expired; please send it again."),
                                  code="expired")
        return data


def token_used_error() -> ValidationError:
    return ValidationError(_("This form has already been sent, and the report was received "
                             "once. To send another report, open the form again."),
                           code="used")


class StatusLookupForm(forms.Form):
    reference = CleanCharField(label=_("Reference number"), max_length=20)

    def clean_reference(self) -> str:
        return str(self.cleaned_data["reference"]).strip().upper()


# --- case steps -----------------------------------------------------------------------


class NoteForm(forms.Form):
    note = CleanCharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)


class TriageForm(NoteForm):
    category = CategoryChoiceField(label=_("Category"), queryset=Category.objects.none())
    severity = forms.TypedChoiceField(label=_("Severity"), choices=Severity.choices, coerce=int)

    field_order = ["category", "severity", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "category").queryset = selectors.active_categories()
        self.order_fields(self.field_order)


class AssignForm(NoteForm):
    agency = forms.ModelChoiceField(label=_("Agency"), queryset=Agency.objects.all())
    field_order = ["agency", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)


class ReferForm(NoteForm):
    office = CleanCharField(label=_("Office referred to"), max_length=200,
                             initial=_("Prosecutor's office"))
    # A step records what has just happened: today unless the user says otherwise.
    referred_on = JalaliDateField(label=_("Referral date"), initial=timezone.localdate)
    their_reference = CleanCharField(label=_("Their reference number"), required=False,
                                      max_length=100)
    field_order = ["office", "referred_on", "their_reference", "note"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.order_fields(self.field_order)


class OutcomeForm(forms.Form):
    outcome = CleanCharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 3}),
                              max_length=5000)


# step name → (target status, form class, button label)
STEPS: dict[str, tuple[str, type[forms.Form], str | Promise]] = {
    "triage": (Status.TRIAGED, TriageForm, _("Triage")),
    "assign": (Status.ASSIGNED, AssignForm, _("Assign to an agency")),
    "start": (Status.IN_PROGRESS, NoteForm, _("Start work")),
    "refer": (Status.REFERRED, ReferForm, _("Refer")),
    "resolve": (Status.RESOLVED, OutcomeForm, _("Resolve")),
    "dismiss": (Status.DISMISSED, OutcomeForm, _("Dismiss")),
}


class CaseFilterForm(FilterForm):
    status = forms.ChoiceField(
        label=_("Status"), required=False,
        choices=[("", _("Any")), ("open", _("Open")), *Status.choices],
    )
    category = forms.TypedChoiceField(label=_("Category"), required=False, coerce=int,
                                      empty_value=None)
    agency = forms.TypedChoiceField(label=_("Agency"), required=False, coerce=int,
                                    empty_value=None)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args: Any, categories: list[Category], agencies: list[Agency],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice_field(self, "category").choices = [("", _("Any"))] + [
            (c.pk, c.name) for c in categories
        ]
        _choice_field(self, "agency").choices = [("", _("Any"))] + [
            (a.pk, a.name) for a in agencies
        ]


class CategoryForm(forms.ModelForm[Category]):
    class Meta:
        model = Category
        formfield_callback = clean_formfield
        fields = ["name_fa", "name_en", "sms_code", "agency", "severity", "response_hours",
                  "active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        hours = cast(forms.IntegerField, self.fields["response_hours"])
        hours.min_value, hours.max_value = 1, MAX_RESPONSE_HOURS
        hours.validators += [MinValueValidator(1), MaxValueValidator(MAX_RESPONSE_HOURS)]
        hours.widget.attrs.update({"min": 1, "max": MAX_RESPONSE_HOURS})


class CaseEvidenceForm(forms.Form):
    """More evidence for an open case: one file (checked like intake) and a short note."""

    evidence = forms.FileField(label=_("Evidence file"),
                               help_text=_("JPEG or PNG image, PDF or plain text; at most 10 MB"))
    note = CleanCharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def clean_evidence(self) -> CheckedFile:
        try:
            return evidence_check.check_upload(self.cleaned_data["evidence"])
        except RuleError as error:
            raise ValidationError(error.message, code=error.code) from error


class CaseCandidateForm(forms.Form):
    """Name the candidate a campaign violation is about, from the county's candidates."""

    candidacy = forms.TypedChoiceField(label=_("Candidate"), required=False, coerce=int,
                                       empty_value=None)
    note = CleanCharField(label=_("Note"), required=False, max_length=2000,
                          widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, candidates: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["candidacy"])
        field.choices = [("", _("None"))] + [
            (c.pk, f"{c.first_name} {c.last_name} ({c.reference})") for c in candidates]
