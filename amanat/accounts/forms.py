from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanat.accounts import access, policy
from amanat.accounts.models import MEMBERSHIP_UNIT_KINDS, Agency, Role
from amanat.core.forms import CleanCharField
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents.selectors import parse_station_code
from amanat.lib.persian import normalize
from amanat.stations.models import Station
from amanat.stations.selectors import stations_for_user


class TokenForm(forms.Form):
    token = CleanCharField(
        label=_("Six-digit code"),
        min_length=6,
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "dir": "ltr",
                   "autofocus": True}
        ),
    )


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

    def __init__(self, *args: Any, user: access.AnyUser, **kwargs: Any) -> None:
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


class MembershipGrantForm(forms.Form):
    username = CleanCharField(label=_("Username"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=AdminUnit.objects.none())
    agency = forms.ModelChoiceField(
        label=_("Agency"), queryset=Agency.objects.all(), required=False
    )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = AdminUnit.objects.filter(kind__in=MEMBERSHIP_UNIT_KINDS)
        self.fields["unit"].queryset = access.scope_queryset(  # type: ignore[attr-defined]
            actor, units, action=policy.CREATE, path_field="path",
            model_label="accounts.membership",
        )

    def clean_username(self) -> User:
        username = self.cleaned_data["username"].strip()
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user has this username."))
        return user
