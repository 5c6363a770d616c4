"""Forms of the station pages: list filters, the edit form, the upload form.

The edit form checks the rules of ``stations.validation`` (the one place they live) and
shows each broken rule on its field in the active language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser
from amanat.core.collation import persian
from amanat.core.forms import (
    GRID_TEMPLATE,
    CleanCharField,
    FilterForm,
    JalaliDateField,
    JalaliDateInput,
    clean_formfield,
)
from amanat.core.templatetags.persian import persian_active
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.persian import normalize
from amanat.stations import tabular as st
from amanat.stations.codes import parse_station_code
from amanat.stations.models import VALIDATED_FIELDS, Cctv, Fibre, Station, Status
from amanat.stations.selectors import DEFAULT_SORT, SORTS, stations_for_user
from amanat.stations.services import EDITABLE_FIELDS, UNIT_KINDS
from amanat.stations.validation import validate_station

YES_NO = [("", _("Any")), ("yes", _("Yes")), ("no", _("No"))]
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class StationFilterForm(FilterForm):
    """The list's filters.  Province and county lists are loaded once (the user's scope)
    and checked in Python, so the page makes the same queries whatever is chosen.

    ``only`` keeps some of the filters (the map page offers four).  The sort order rides
    along hidden: the table's column headers choose it.
    """

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
                              choices=[("", _("Any")), ("missing", _("Not connected")),
                                       *Fibre.choices])
    evoting_planned = forms.ChoiceField(label=_("E-voting planned"), required=False,
                                        choices=YES_NO)
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
        widget=forms.HiddenInput,
    )

    def __init__(
        self, data: Any, *, provinces: list[AdminUnit], counties: list[AdminUnit],
        only: Sequence[str] | None = None,
    ) -> None:
        super().__init__(data)
        if only is not None:
            self.fields = {name: self.fields[name] for name in only}
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

    template_name = GRID_TEMPLATE
    compact = True  # some twenty fields: small widgets keep the form on one screen

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
            .only("pk", "name", "code", "kind").order_by(persian("name"), "pk")
        )
        self._rule_errors = False

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
        for error in validate_station(row):
            if error.field in failed:
                continue  # the field's own error (not a number, say) already says it
            self._rule_errors = True
            field = error.field if error.field in self.fields else None
            self.add_error(field, error.message)

    def _post_clean(self) -> None:
        # The model's clean() runs the same rules again; when they already failed here
        # (each on its field) skip it rather than say everything twice.
        if not self._rule_errors:
            super()._post_clean()  # type: ignore[misc]

    def changed_data_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in EDITABLE_FIELDS}

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

    def clean_file(self) -> UploadedFile:
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
    ``columns``: the import's own columns (the stations' by default; the people import
    passes its own, ``staffing.people_table.COLUMNS``).
    """

    import_id = CleanCharField(widget=forms.HiddenInput, max_length=64)
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): nothing is saved"), required=False
    )

    def __init__(self, unknown: list[st.UnknownColumn], *args: Any,
                 columns: Sequence[Any] = st.COLUMNS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unknown = unknown
        fa = persian_active()
        for index, column in enumerate(unknown):
            likely = [c for name in column.candidates[:5] for c in columns if c.name == name]
            others = [c for c in columns if c not in likely]
            choices: list[Any] = [("", _("Choose…")), (st.IGNORE, _("Ignore this column"))]
            if likely:
                choices.append((_("Likely"), [(c.name, _field_label(c, fa)) for c in likely]))
            choices.append((_("Other fields"), [(c.name, _field_label(c, fa)) for c in others]))
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column.header,
                choices=choices,
                error_messages={"required": _("Choose a field or ignore the column.")},
            )
        self.order_fields([f"column_{i}" for i in range(len(unknown))] + ["dry_run"])

    def mapping(self) -> dict[str, str]:
        """header -> column name or ``ignore``, for ``station_import(mapping=...)``."""
        return {
            column.header: self.cleaned_data[f"column_{i}"]
            for i, column in enumerate(self.unknown)
        }

def _field_label(column: Any, fa: bool) -> str:
    if fa:
        return f"{column.header_fa} ({column.name})"
    return f"{column.header_en} ({column.header_fa})"


class ApiTokenIssueForm(forms.Form):
    name = CleanCharField(label=_("Name"), max_length=100)
    ttl_days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=365, initial=30
    )
    stations = CleanCharField(
        label=_("Polling stations (optional)"), required=False, max_length=2000,
        help_text=_("Station codes of the current election, county code-station code, "
                    "separated by spaces or commas: 2321-0042 2321-0043. A token bound "
                    "to stations reaches only them; empty means your whole area."),
        widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_stations(self) -> list[Station]:
        """The named stations of the current election in the user's scope.

        A station outside the scope gets the same message as one that does not exist,
        so that the form does not reveal what exists elsewhere.
        """
        codes = list(dict.fromkeys(
            c for c in re.split(r"[\s,،;]+", normalize(self.cleaned_data["stations"])) if c
        ))
        parsed = {code: parse_station_code(code) for code in codes}
        election = Election.objects.current()
        found: dict[tuple[str, str], Station] = {}
        wanted = [p for p in parsed.values() if p is not None]
        if wanted and election is not None:
            condition = Q()
            for county, code in wanted:
                condition |= Q(county__code=county, code=code)
            stations = stations_for_user(self.user, election).filter(
                condition, county__kind=Kind.COUNTY
            ).select_related("county")
            found = {(s.county.code, s.code): s for s in stations}
        missing = [code for code, p in parsed.items() if p is None or p not in found]
        if missing:
            raise forms.ValidationError([
                forms.ValidationError(
                    _("No polling station “%(code)s” in the current election within your area."),
                    code="unknown_station", params={"code": code},
                )
                for code in missing
            ])
        return list(found.values())
