"""Forms of the station pages: list filters, the edit form, the upload form.

The edit form checks the rules of ``stations.validation`` (the one place they live) and
shows each broken rule on its field in the active language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import CleanCharField, JalaliDateField, JalaliDateInput, clean_formfield
from amanat.core.templatetags.persian import persian_active
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.geo.paths import under
from amanat.lib.persian import normalize
from amanat.stations import tabular as st
from amanat.stations.models import VALIDATED_FIELDS, Cctv, Fibre, Station, Status
from amanat.stations.selectors import DEFAULT_SORT, SORTS
from amanat.stations.services import EDITABLE_FIELDS, UNIT_KINDS
from amanat.stations.validation import validate_station

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def _style(form: forms.BaseForm) -> None:
    """Bootstrap classes on every widget (templates render fields as they come)."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select):
            css = "form-select form-select-sm"
        else:
            css = "form-control form-control-sm"
        widget.attrs["class"] = css


def _mark_invalid(form: forms.BaseForm) -> None:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"


class StationFilterForm(forms.Form):
    """The list's filters.  Province and county lists are loaded once (the user's scope)
    and checked in Python, so the page makes the same queries whatever is chosen."""

    q = CleanCharField(label=_("Code or name"), required=False, max_length=100)
    province = forms.TypedChoiceField(label=_("Province"), required=False, coerce=int)
    county = forms.TypedChoiceField(label=_("County"), required=False, coerce=int)
    ready = forms.ChoiceField(
        label=_("Readiness"), required=False,
        choices=[("", _("Any")), ("yes", _("Ready")), ("no", _("Not ready"))],
    )
    sensitive = forms.ChoiceField(label=_("Sensitive"), required=False, choices=YES_NO)
    cctv = forms.ChoiceField(
        label=_("CCTV"), required=False,
        choices=[("", _("Any")), ("any", _("Has CCTV")), *Cctv.choices],
    )
    fibre = forms.ChoiceField(label=_("Fibre"), required=False,
                              choices=[("", _("Any")), *Fibre.choices])
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any")), *Status.choices])
    sort = forms.ChoiceField(
        label=_("Sort by"), required=False,
        choices=[
            ("code", _("Code")), ("-code", _("Code (descending)")),
            ("name", _("Name")), ("-name", _("Name (descending)")),
            ("county", _("County")), ("-county", _("County (descending)")),
            ("voters", _("Expected voters")), ("-voters", _("Expected voters (descending)")),
            ("updated", _("Updated")), ("-updated", _("Recently updated")),
        ],
    )

    def __init__(
        self, data: Any, *, provinces: list[AdminUnit], counties: list[AdminUnit]
    ) -> None:
        super().__init__(data)
        self.provinces = {u.pk: u for u in provinces}
        self.counties = {u.pk: u for u in counties}
        any_choice = [("", _("All"))]
        province_field = self.fields["province"]
        county_field = self.fields["county"]
        assert isinstance(province_field, forms.ChoiceField)
        assert isinstance(county_field, forms.ChoiceField)
        province_field.choices = any_choice + [(u.pk, u.name) for u in provinces]
        chosen = self._chosen_province(data)
        shown = [u for u in counties if chosen is None or u.path.startswith(chosen.path)]
        county_field.choices = any_choice + [(u.pk, u.name) for u in shown]
        _style(self)

    def _chosen_province(self, data: Any) -> AdminUnit | None:
        try:
            return self.provinces.get(int((data or {}).get("province") or 0))
        except (TypeError, ValueError):
            return None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["province"] = self.provinces.get(cleaned.get("province") or 0)
        cleaned["county"] = self.counties.get(cleaned.get("county") or 0)
        if cleaned.get("sort") not in SORTS:
            cleaned["sort"] = DEFAULT_SORT
        return cleaned


class StationForm(forms.ModelForm[Station]):
    """Edit one station.  Identity (election, county, code) is not editable."""

    fibre_date = JalaliDateField(label=_("fibre planned date"), required=False,
                                 widget=JalaliDateInput())

    class Meta:
        model = Station
        formfield_callback = clean_formfield
        fields = EDITABLE_FIELDS
        widgets = {
            "route": forms.Textarea(attrs={"rows": 2}),
            "sensitivity_reason": forms.Textarea(attrs={"rows": 2}),
            "closed_reason": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        county = self.instance.county
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, forms.ModelChoiceField)
        unit_field.queryset = (
            AdminUnit.objects.filter(under("path", county.path), kind__in=UNIT_KINDS)
            .only("pk", "name", "code", "kind").order_by("name", "pk")
        )
        self._rule_errors = False
        _style(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("name", "address", "route", "sensitivity_reason", "closed_reason"):
            if isinstance(cleaned.get(name), str):
                cleaned[name] = normalize(cleaned[name])
        self._check_rules(cleaned)
        return cleaned

    def _check_rules(self, cleaned: dict[str, Any]) -> None:
        """Run validate_station on the edited values; each error goes on its field."""
        row = {f: cleaned.get(f, getattr(self.instance, f)) for f in VALIDATED_FIELDS}
        row["code"] = self.instance.code
        failed = set(self.errors)
        if failed & {"latitude", "longitude"}:
            failed |= {"latitude", "longitude"}
        fa = persian_active()
        for error in validate_station(row):
            if error.field in failed:
                continue  # the field's own error (not a number, say) already says it
            self._rule_errors = True
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message_fa if fa else error.message_en)

    def _post_clean(self) -> None:
        # The model's clean() runs the same rules again with English messages only;
        # when the rules already failed here (in the active language) skip it.
        if not self._rule_errors:
            super()._post_clean()  # type: ignore[misc]

    def changed_data_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

    def is_valid(self) -> bool:
        valid = super().is_valid()
        _mark_invalid(self)
        return valid


class StationImportForm(forms.Form):
    election = forms.ModelChoiceField(
        label=_("Election"), queryset=Election.objects.order_by("-election_day", "pk"),
        to_field_name="slug", empty_label=None,
    )
    file = forms.FileField(
        label=_("Spreadsheet (CSV or XLSX)"),
        help_text=_("One row per station, Persian or English headers."),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): nothing is saved"), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        ext = Path(upload.name or "").suffix.lower().lstrip(".")
        if ext not in ("csv", "xlsx"):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        upload.amanat_ext = ext
        return upload


class ColumnMappingForm(forms.Form):
    """The upload's second step: what each column we do not recognise holds.

    One choice per such column: a field (the likely ones first) or "ignore".  The file
    itself waits on the server (``uploads.import_store``) under ``import_id``.
    """

    import_id = CleanCharField(widget=forms.HiddenInput, max_length=64)
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): nothing is saved"), required=False
    )

    def __init__(self, unknown: list[st.UnknownColumn], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unknown = unknown
        fa = persian_active()
        for index, column in enumerate(unknown):
            likely = [c for name in column.candidates[:5] for c in st.COLUMNS if c.name == name]
            others = [c for c in st.COLUMNS if c not in likely]
            choices: list[Any] = [("", _("Choose…")), (st.IGNORE, _("Ignore this column"))]
            if likely:
                choices.append((_("Likely"), [(c.name, _field_label(c, fa)) for c in likely]))
            choices.append((_("Other fields"), [(c.name, _field_label(c, fa)) for c in others]))
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column.header,
                choices=choices,
                error_messages={"required": _("Choose a field or ignore the column.")},
            )
        _style(self)

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{i}"] for i in range(len(self.unknown))]

    def mapping(self) -> dict[str, str]:
        """header -> column name or ``ignore``, for ``station_import(mapping=...)``."""
        return {
            column.header: self.cleaned_data[f"column_{i}"]
            for i, column in enumerate(self.unknown)
        }

    def is_valid(self) -> bool:
        valid = super().is_valid()
        _mark_invalid(self)
        return valid


def _field_label(column: st.Column, fa: bool) -> str:
    if fa:
        return f"{column.header_fa} ({column.name})"
    return f"{column.header_en} ({column.header_fa})"
