"""Forms of the staffing pages: they check the shape of what was typed; the services
check the rules (RuleError, shown on the form)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import GRID_TEMPLATE, CleanCharField, FilterForm
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.staffing.models import Gender


class PersonForm(forms.Form):
    template_name = GRID_TEMPLATE

    national_id = CleanCharField(label=_("National ID"), max_length=20)
    first_name = CleanCharField(label=_("First name"), max_length=100)
    last_name = CleanCharField(label=_("Last name"), max_length=100)
    gender = forms.ChoiceField(label=_("Gender"), required=False,
                               choices=[("", "—"), *Gender.choices])
    mobile = CleanCharField(label=_("Mobile number"), max_length=20, required=False)
    home_unit = forms.ModelChoiceField(label=_("Home place"), queryset=AdminUnit.objects.none(),
                                       required=False)
    employer = CleanCharField(label=_("Employer"), max_length=200, required=False)
    posts = forms.MultipleChoiceField(label=_("Posts they may take"),
                                      choices=StationPost.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)
    available = forms.BooleanField(label=_("Available on election day"), required=False,
                                   initial=True)

    def __init__(self, *args: Any, county: AdminUnit | None = None,
                 keeping: tuple[str, str] | None = None, **kwargs: Any) -> None:
        """``keeping``: editing a person, their national ID and mobile as shown (masked).
        The form never carries them in full (a GET writes no audit entry, so it shows
        nothing the audited reveal guards): empty keeps the value."""
        super().__init__(*args, **kwargs)
        if keeping is not None:
            national_id, mobile = keeping
            self.fields["national_id"].required = False
            self.fields["national_id"].help_text = _(
                "Now %(value)s; leave empty to keep it.") % {"value": national_id}
            if mobile:
                self.fields["mobile"].help_text = _(
                    "Now %(value)s; leave empty to keep it.") % {"value": mobile}
                self.fields["mobile_clear"] = forms.BooleanField(
                    label=_("Remove the mobile number"), required=False)
        if county is not None:
            field = self.fields["home_unit"]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = AdminUnit.objects.within(county).filter(
                kind__in=[Kind.DISTRICT, Kind.CITY, Kind.RURAL_DISTRICT, Kind.VILLAGE]
            ).order_by("path")


# A people spreadsheet of a county is a few megabytes; the file is read into memory.
MAX_IMPORT_BYTES = 20 * 1024 * 1024


class PeopleImportForm(forms.Form):
    file = forms.FileField(label=_("Spreadsheet (CSV or XLSX)"))
    dry_run = forms.BooleanField(label=_("Check only, store nothing"), required=False)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 20 MB."), code="too_large")
        return upload


class PeopleFilterForm(FilterForm):
    q = CleanCharField(label=_("Search"), max_length=100, required=False)
    post = forms.ChoiceField(label=_("Post"), required=False,
                             choices=[("", _("Any")), *StationPost.choices])


class AssignForm(forms.Form):
    slot = forms.ChoiceField(label=_("Post"))
    national_id = CleanCharField(label=_("National ID of the person"), max_length=20)

    def __init__(self, *args: Any, slots: list[tuple[str, str]] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["slot"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = slots or []


class SolverRunForm(forms.Form):
    """The county's "assign people to open posts" button and its options: by default the
    empty posts only; the full re-optimisation is an explicit choice, with its warning."""

    FILL, REPLACE = "fill", "replace"
    mode = forms.ChoiceField(
        label=_("What to assign"), initial=FILL, widget=forms.RadioSelect, required=False,
        choices=[(FILL, _("Only the empty posts (people already assigned stay where they "
                          "are)")),
                 (REPLACE, _("Every post not pinned by hand, again (full re-optimisation)"))],
        help_text=_("Warning: a full re-optimisation may move people who already hold a "
                    "post and an appointment letter; their letters are then void and "
                    "they are told by SMS when the roster is approved."))

    gender_balance = forms.BooleanField(
        label=_("Balance women and men at each station"), required=False,
        help_text=_("Prefer a woman and a man among each station's staff where the "
                    "register allows."))


class VerifyForm(forms.Form):
    code = CleanCharField(label=_("Verification code"), max_length=20)
