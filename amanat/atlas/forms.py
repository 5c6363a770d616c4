"""Forms of the atlas: an agency's assessment, a county's national tier, the thresholds,
the factor catalogue's weights and parameters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amanat.accounts.models import Agency
from amanat.atlas import factors as fx
from amanat.atlas.models import Tier
from amanat.core.forms import CleanCharField, DecimalTextField, IdsChoiceField, JalaliDateField
from amanat.core.templatetags.persian import localize_digits
from amanat.stations.models import Station

SCORE_CHOICES = [
    (1, _("1 — low risk")), (2, "2"), (3, _("3 — moderate")), (4, "4"),
    (5, _("5 — very high risk")),
]


class StationsField(IdsChoiceField):
    """Stations to flag, each as «code · name» with the code in the reader's digits (user
    review 2026-12: the options read «0001 دبستان نور» on a Persian page)."""

    def label_from_instance(self, obj: Station) -> str:
        return f"{localize_digits(obj.code)} · {obj.name}"


class AssessmentForm(forms.Form):
    agency = forms.ModelChoiceField(queryset=Agency.objects.none(), label=_("Agency"))
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, label=_("Risk rating"),
        help_text=_("Your agency's view of the county: 1 is low risk, 5 very high risk. A "
                    "newer assessment of the same agency replaces this one in the score."))
    justification = CleanCharField(widget=forms.Textarea(attrs={"rows": 4}),
                                    label=_("Justification"), max_length=4000)
    assessed_on = JalaliDateField(label=_("Assessed on"))
    stations = StationsField(
        queryset=Station.objects.none(), required=False, label=_("Flag stations"),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], stations: QuerySet[Station],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field: Any = self.fields["agency"]
        agency_field.queryset = agencies
        if agencies.count() == 1:
            agency_field.initial = agencies.first()
        station_field: Any = self.fields["stations"]
        station_field.queryset = stations


class NationalTierForm(forms.Form):
    tier = forms.TypedChoiceField(
        choices=[("", _("No national tier")), *Tier.choices], coerce=int,
        empty_value=None, required=False, label=_("National tier"),
        help_text=_("Tier 1 is the highest risk. A national tier is a floor: the county is "
                    "shown at this tier, or a higher risk if its score says so."))
    note = CleanCharField(widget=forms.Textarea(attrs={"rows": 3}), required=False,
                           label=_("Note"), max_length=2000)


class ThresholdsForm(forms.Form):
    tier1_min = DecimalTextField(
        label=_("Tier 1 from score"), min_value=0, max_value=100,
        help_text=_("Scores run from 0 to 100. A county scoring at least this is tier 1 "
                    "(highest risk); the three values must fall: tier 1 > tier 2 > tier 3 > 0."))
    tier2_min = DecimalTextField(label=_("Tier 2 from score"), min_value=0, max_value=100)
    tier3_min = DecimalTextField(label=_("Tier 3 from score"), min_value=0, max_value=100)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        t1, t2, t3 = (data.get(k) for k in ("tier1_min", "tier2_min", "tier3_min"))
        if None not in (t1, t2, t3) and not (t1 > t2 > t3 > 0):  # type: ignore[operator]
            raise forms.ValidationError(
                _("Thresholds must decrease from tier 1 to tier 3 and stay above 0."))
        return data


LEVEL_LABELS = {"station": _("station factor"), "county": _("county factor"),
                "province": _("province factor")}


class CatalogueForm(forms.Form):
    """The weights of every factor and the catalogue's parameters; a new version when
    saved. One weight field per factor of ``atlas.factors`` (``w_<code>``), labelled with
    the factor's name in the reader's language."""

    station_mean_weight = DecimalTextField(
        label=_("Weight of the stations' mean in a county score"), min_value=0.01,
        max_value=100)
    county_mean_weight = DecimalTextField(
        label=_("Weight of the counties' mean in a province score"), min_value=0.01,
        max_value=100)
    incident_scale = DecimalTextField(
        label=_("Incident load scale"), min_value=0.01, max_value=1000,
        help_text=_("The incident load at which the incidents factor reaches 0.63 (1 − 1/e)."))
    over_capacity_span = DecimalTextField(
        label=_("Share above capacity that counts fully"), min_value=0.01, max_value=10,
        help_text=_("0.5: a station 50% above its capacity has the factor at 1."))
    note = CleanCharField(widget=forms.Textarea(attrs={"rows": 3}), label=_("Reason for the "
                          "change"), max_length=2000)
    # The version the form was opened on: saving over a newer one is refused, not a
    # silent undo of the other administrator's weights.
    base_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0,
                                      max_value=2**31 - 1)

    def __init__(self, *args: Any, lang: str = "fa", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weights = {}
        for factor in fx.CATALOGUE.values():
            name = factor.name_fa if lang == "fa" else factor.name_en
            weights[f"w_{factor.code}"] = DecimalTextField(
                label=name, min_value=0, max_value=100,
                help_text=LEVEL_LABELS[factor.level])
        # The weights first, then the parameters and the reason.
        self.fields = {**weights, **self.fields}

    def weights(self) -> dict[str, float]:
        return {code: float(self.cleaned_data[f"w_{code}"]) for code in fx.CATALOGUE}
