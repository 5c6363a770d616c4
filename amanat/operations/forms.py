"""Forms of the election-day pages.  Forms validate; services write."""

from __future__ import annotations

import datetime
import json
import uuid
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import CleanCharField, FilterForm, TimeTextField
from amanat.elections.posts import StationPost
from amanat.operations.models import Window
from amanat.operations.services import CARRIES, Values

YES_NO = [("", "—"), ("yes", _("Yes")), ("no", _("No"))]


def _yes_no(label: Any) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, required=False,
                                  coerce=lambda value: value == "yes", empty_value=None)


class CheckinForm(forms.Form):
    """A check-in from the web: the window (only the open ones are offered, and the one
    just refused) and what the station says.  Each field belongs to the kinds that carry
    it (``services.CARRIES``; the service refuses the others' values): its widget says so
    in ``data-kinds`` and a small script shows the chosen kind's fields only; without the
    script every field is shown and the service's refusal says what does not belong.
    ``client_key``: drawn when the form is shown, so that the same form posted again (a
    resend on a weak network) is one check-in."""

    window = forms.ChoiceField(label=_("Check-in"))
    voters = forms.IntegerField(label=_("Voters so far"), required=False, min_value=0,
                                help_text=_("Turnout: how many have voted since opening."))
    total = forms.IntegerField(label=_("Total votes at closing"), required=False, min_value=0)
    materials = _yes_no(_("Materials complete"))
    cameras = _yes_no(_("Cameras recording"))
    network = _yes_no(_("Network up"))
    incidents = CleanCharField(label=_("Incident codes"), required=False, max_length=100,
                               help_text=_("The incidents' codes, separated by spaces."))
    note = CleanCharField(label=_("Note"), required=False, max_length=1000,
                          widget=forms.Textarea(attrs={"rows": 2}))
    client_key = CleanCharField(required=False, widget=forms.HiddenInput, max_length=64,
                                 validators=[RegexValidator(r"^[A-Za-z0-9-]{8,64}$")])

    def __init__(self, *args: Any, windows: list[Window] | None = None,
                 incident_codes: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("client_key", uuid.uuid4().hex)
        super().__init__(*args, **kwargs)
        self.windows = {str(w.pk): w for w in windows or []}
        self.incident_codes = incident_codes
        choice: Any = self.fields["window"]
        choice.choices = [(pk, f"{w.get_kind_display()} · {w.shown_label}")
                          for pk, w in self.windows.items()]
        choice.widget.attrs["data-window-kinds"] = json.dumps(
            {pk: w.kind for pk, w in self.windows.items()})
        # Staff present at opening, one box per post: first after the window (an
        # opening's first question).
        staff = {}
        for post, label in StationPost.choices:
            staff[f"staff_{post}"] = forms.IntegerField(
                label=_("Present: %(post)s") % {"post": label}, required=False,
                min_value=0)
        self.fields = {"window": self.fields.pop("window"), **staff, **self.fields}
        for name, field in self.fields.items():
            carried = "staff" if name.startswith("staff_") else name
            kinds = [kind for kind, names in CARRIES.items() if carried in names]
            if kinds:
                field.widget.attrs["data-kinds"] = " ".join(kinds)
        if incident_codes:
            self.fields["incidents"].help_text = _(
                "The incidents' codes, separated by spaces: %(codes)s.") % {
                "codes": " · ".join(f"{code} {name}" for code, name in incident_codes)}

    def chosen_window(self) -> Window:
        return self.windows[self.cleaned_data["window"]]

    def values(self) -> Values:
        data = self.cleaned_data
        staff = {post: data[f"staff_{post}"] for post in StationPost.values
                 if data.get(f"staff_{post}") is not None}
        return Values(
            # Staff entered on another kind is passed on: the service refuses it.
            staff=staff,
            materials=data.get("materials"), cameras=data.get("cameras"),
            network=data.get("network"), voters=data.get("voters"), total=data.get("total"),
            incidents=data.get("incidents") or "", note=data.get("note") or "")


class DayForm(forms.Form):
    """The day's settings and, per window, its opening and closing times on election
    day (a closing time not after the opening is on the next day)."""

    silent_after_minutes = forms.IntegerField(
        label=_("Silent after (minutes)"), min_value=5, max_value=720,
        help_text=_("A station heard from neither this long is silent."))
    escalate_after_minutes = forms.IntegerField(
        label=_("Escalate after (minutes)"), min_value=5, max_value=720,
        help_text=_("An alert nobody acknowledged at the county for this long goes to the "
                    "province."))

    def __init__(self, *args: Any, windows: list[Window] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.windows = windows or []
        for window in self.windows:
            name = f"{window.get_kind_display()} · {window.shown_label} ({window.code})"
            self.fields[f"w{window.pk}_opens"] = TimeTextField(
                label=_("%(window)s: opens at") % {"window": name})
            self.fields[f"w{window.pk}_closes"] = TimeTextField(
                label=_("%(window)s: closes at") % {"window": name})

    def times(self) -> dict[int, tuple[datetime.time, datetime.time]]:
        return {w.pk: (self.cleaned_data[f"w{w.pk}_opens"], self.cleaned_data[f"w{w.pk}_closes"])
                for w in self.windows}


class StationSearchForm(FilterForm):
    """The station search of the election-day pages (user review 2026-12, F25): a
    station's code or a part of its name, one box wide enough on a phone."""

    q = CleanCharField(label=_("Find a station"), max_length=100, required=False,
                       widget=forms.TextInput(attrs={
                           "type": "search", "placeholder": _("Station code or name"),
                           "autocomplete": "off", "enterkeyhint": "search"}))
    election = CleanCharField(required=False, max_length=100, widget=forms.HiddenInput)
