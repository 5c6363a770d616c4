"""Forms of the candidates pages. Forms validate what was typed; services write (and
apply the rules: window, one candidacy, eligibility)."""

from __future__ import annotations

import datetime
from functools import cache
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from amanat.candidates import files
from amanat.candidates.files import CheckedFile
from amanat.candidates.models import (
    Candidacy,
    DeclaredRelative,
    DocumentType,
    EducationLevel,
    Gender,
    Relation,
    State,
)
from amanat.candidates.services import PersonData, mobile_checked, national_id_checked
from amanat.core.errors import RuleError
from amanat.core.forms import (
    CleanCharField,
    FilterForm,
    JalaliDateField,
    JalaliDateInput,
    ListedModelChoiceField,
    LongSelect,
    jalali_error_message,
    text_limit,
)
from amanat.core.models import in_language
from amanat.core.templatetags.persian import list_separator
from amanat.elections.models import Contest
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind, Kind
from amanat.lib.jalali import JalaliDateError, parse_jalali_date


def _model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def _rule(error: RuleError) -> ValidationError:
    return ValidationError(error.message, code=error.code)


class _NationalIdMobile(forms.Form):
    national_id = CleanCharField(label=_("National ID"), max_length=20,
                                 help_text=_("Ten digits, as on the national ID card"))
    mobile = CleanCharField(label=_("Mobile number"), max_length=20,
                            help_text=_("The number the confirmation code is sent to"))

    def clean_national_id(self) -> str:
        try:
            return national_id_checked(self.cleaned_data["national_id"])
        except RuleError as error:
            raise _rule(error) from error

    def clean_mobile(self) -> str:
        try:
            return mobile_checked(self.cleaned_data["mobile"])
        except RuleError as error:
            raise _rule(error) from error


class BirthDateField(JalaliDateField):
    """A Jalali date of any year (the project's date fields keep to years near today).

    Without the date fields' placeholder of today's date: in a date of birth (or of a
    resignation months ago) it read as a value already filled in with today."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", JalaliDateInput(attrs={"placeholder": False}))
        super().__init__(*args, **kwargs)

    def to_python(self, value: Any) -> datetime.date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, datetime.date):
            return value
        try:
            return parse_jalali_date(str(value), any_year=True)
        except JalaliDateError as error:
            raise ValidationError(jalali_error_message(error), code=error.reason) from error


# How a unit above a constituency is named in its place: "Markazi district".
_PLACE_NAMES = {Kind.DISTRICT: _("%(name)s district"),
                Kind.RURAL_DISTRICT: _("%(name)s rural district"),
                Kind.COUNTY: _("%(name)s county")}


def _kind_word(pattern: Any) -> str:
    return str(pattern).replace("%(name)s", "").strip()


@cache
def _persian_word(kind: str) -> str:
    with translation.override("fa"):
        return _kind_word(_PLACE_NAMES[Kind(kind)])


def _place_name(unit: AdminUnit) -> str:
    pattern = _PLACE_NAMES[Kind(unit.kind)]
    persian = _persian_word(unit.kind)
    # A name that already carries the word («بخش مرکزی»; the names are Persian) is not
    # given it again, in either language.
    for word in {persian, _kind_word(pattern)} - {""}:
        if unit.name.startswith(word) or unit.name.endswith(word):
            return unit.name
    return str(pattern) % {"name": unit.name}


def constituency_place(constituency: Constituency) -> str:
    """Where a constituency lies, from the unit above it up to its county («بخش مرکزی،
    شهرستان قرچک»); empty for a province-wide one. The units come with the constituency
    (``select_related`` of ``unit__parent…``: ``selectors.contest_constituencies``)."""
    parts = []
    node = constituency.unit.parent if constituency.unit is not None else None
    while node is not None and node.kind in _PLACE_NAMES:
        parts.append(_place_name(node))
        node = node.parent if node.kind != Kind.COUNTY else None
    return list_separator().join(parts)


class ConstituencyChoiceField(forms.ModelChoiceField[Constituency]):
    """A constituency by its name and place, as a citizen knows it (user review F12: the
    internal code «(CT-2321011593)» meant nothing to the registrant)."""

    def label_from_instance(self, obj: Constituency) -> str:
        place = constituency_place(obj)
        return f"{obj.name} — {place}" if place else obj.name


class ContestChoiceField(forms.ModelChoiceField[Contest]):
    def label_from_instance(self, obj: Contest) -> str:
        return obj.name


class PlaceForm(forms.Form):
    """Step one of registration: the contest and the county office."""

    contest = ContestChoiceField(label=_("Contest"), queryset=Contest.objects.none())
    county = forms.ModelChoiceField(label=_("County"), queryset=AdminUnit.objects.none(),
                                    widget=LongSelect)

    def __init__(self, *args: Any, contests: QuerySet[Contest], counties: QuerySet[AdminUnit],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "contest").queryset = contests
        _model_field(self, "county").queryset = counties


class PreRegisterStartForm(PlaceForm, _NationalIdMobile):
    """The public form's first step: who, where, and the number to confirm."""


class _PersonForm(forms.Form):
    # LongSelect: the options joined in Python, not a template each (the public
    # confirmation step is on the registration's hot path).
    constituency = ConstituencyChoiceField(label=_("Constituency"),
                                           queryset=Constituency.objects.none(),
                                           widget=LongSelect)
    first_name = CleanCharField(label=_("First name"),
                                max_length=text_limit(Candidacy, "first_name"))
    last_name = CleanCharField(label=_("Last name"), max_length=text_limit(Candidacy, "last_name"))
    father_name = CleanCharField(label=_("Father's name"),
                                 max_length=text_limit(Candidacy, "father_name"))
    gender = forms.ChoiceField(label=_("Gender"), choices=Gender.choices, widget=LongSelect)
    birth_date = BirthDateField(label=_("Date of birth"))
    education = forms.TypedChoiceField(label=_("Education"), choices=EducationLevel.choices,
                                       coerce=int, widget=LongSelect)
    residence_years = forms.IntegerField(label=_("Years of residence in the constituency"),
                                         min_value=0, max_value=120)
    occupation = CleanCharField(label=_("Occupation"), required=False,
                                max_length=text_limit(Candidacy, "occupation"))
    address = CleanCharField(label=_("Address"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), max_length=text_limit(Candidacy, "address"))
    holds_listed_office = forms.BooleanField(
        label=_("I hold an office whose holders must resign before registering"),
        required=False)
    resigned_on = BirthDateField(label=_("Date my resignation was accepted"), required=False)
    truthful = forms.BooleanField(label=_("I declare the information given to be true"))

    def __init__(self, *args: Any, constituencies: QuerySet[Constituency], **kwargs: Any
                 ) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "constituency").queryset = constituencies

    def person(self, *, national_id: str, mobile: str) -> PersonData:
        data = self.cleaned_data
        return PersonData(
            national_id=national_id, first_name=data["first_name"], last_name=data["last_name"],
            father_name=data["father_name"], gender=data["gender"],
            birth_date=data["birth_date"], education=data["education"],
            residence_years=data["residence_years"], mobile=mobile,
            occupation=data.get("occupation") or "", address=data.get("address") or "",
            holds_listed_office=bool(data.get("holds_listed_office")),
            resigned_on=data.get("resigned_on"))


class PreRegisterForm(_PersonForm):
    """The public form's second step: the code sent by SMS, and the person."""

    code = CleanCharField(label=_("Confirmation code"), max_length=10,
                          help_text=_("The six digits sent to your mobile"))
    field_order = ["code"]


class WalkInForm(_NationalIdMobile, _PersonForm):
    """Direct entry by county staff for a candidate at the office."""

    field_order = ["national_id", "mobile"]


class DocumentTypeChoiceField(forms.ModelChoiceField[DocumentType]):
    def label_from_instance(self, obj: DocumentType) -> str:
        return in_language(obj.name_fa, obj.name_en)


class DocumentUploadForm(forms.Form):
    document_type = DocumentTypeChoiceField(label=_("Document"),
                                            queryset=DocumentType.objects.none())
    file = forms.FileField(label=_("File"), help_text=_("JPEG or PNG image or PDF; at most 5 MB"))

    def __init__(self, *args: Any, types: QuerySet[DocumentType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "document_type").queryset = types

    def clean_file(self) -> CheckedFile:
        try:
            return files.check_upload(self.cleaned_data["file"])
        except RuleError as error:
            raise _rule(error) from error


class RelativeForm(forms.Form):
    """A relative the candidate declares (the staffing conflict check reads them)."""

    relation = forms.ChoiceField(label=_("Relation"), choices=Relation.choices)
    national_id = CleanCharField(label=_("National ID"), max_length=20,
                                 help_text=_("Ten digits, as on the national ID card"))
    first_name = CleanCharField(label=_("First name"),
                                max_length=text_limit(DeclaredRelative, "first_name"))
    last_name = CleanCharField(label=_("Last name"),
                               max_length=text_limit(DeclaredRelative, "last_name"))

    def clean_national_id(self) -> str:
        try:
            return national_id_checked(self.cleaned_data["national_id"])
        except RuleError as error:
            raise _rule(error) from error


class DocumentRejectForm(forms.Form):
    reason = CleanCharField(label=_("Reason for rejection"), max_length=500)


class CandidateFilterForm(FilterForm):
    county = ListedModelChoiceField(label=_("County"), queryset=AdminUnit.objects.none(),
                                    required=False, widget=LongSelect)
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All states")), *State.choices])
    q = CleanCharField(label=_("Name, national ID or tracking code"), required=False,
                       max_length=100)

    def __init__(self, *args: Any, counties: QuerySet[AdminUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _model_field(self, "county").queryset = counties


class ConstituencyFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *ConstituencyKind.choices])
    q = CleanCharField(label=_("Name or code"), required=False, max_length=100)


class ConstituencyForm(forms.ModelForm[Constituency]):
    name = CleanCharField(label=_("Name"), max_length=text_limit(Constituency, "name"))

    class Meta:
        model = Constituency
        fields = ["name", "seats", "reserve_seats", "population"]
