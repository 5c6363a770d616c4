from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from amanat.accounts import access, policy
from amanat.accounts.models import MEMBERSHIP_UNIT_KINDS, Agency, Role
from amanat.core.forms import CleanCharField
from amanat.geo.models import AdminUnit


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


class AlertContactForm(forms.Form):
    """The mobile number election-day alerts reach the user at (operations.watch)."""

    mobile = CleanCharField(
        label=_("Mobile number for election-day alerts"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel", "dir": "ltr"}),
        help_text=_("Alerts about your area go here by SMS and to your e-mail address. "
                    "Leave it empty for e-mail only."))
