"""The auditor's filter form: every field optional, dates in Jalali."""

from __future__ import annotations

from django import forms
from django.apps import apps
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from amanat.audit.display import ACTION_LABELS
from amanat.core.forms import CleanCharField, FilterForm, JalaliDateField


def _actions() -> list[tuple[str, str]]:
    labelled = ((code, str(label)) for code, label in ACTION_LABELS.items())
    return [("", str(_("Any"))), *sorted(labelled, key=lambda pair: pair[1])]


def _record_types() -> list[tuple[str, str]]:
    types = []
    for model in apps.get_models():
        if model._meta.app_label in RECORD_APPS:
            types.append((model._meta.label_lower, capfirst(str(model._meta.verbose_name))))
    return [("", str(_("Any"))), *sorted(types, key=lambda pair: pair[1])]


# The apps whose records the log names (the framework's own tables are left out).
RECORD_APPS = ("geo", "accounts", "elections", "stations", "incidents", "councils", "atlas",
               "audit", "auth", "otp_totp")


class EventFilterForm(FilterForm):
    """Filter by person, record, action and date (and area, by unit id)."""

    actor = CleanCharField(label=_("Person"), required=False, max_length=150)
    object_type = forms.ChoiceField(label=_("Record type"), required=False, choices=_record_types)
    object_id = CleanCharField(label=_("Record id"), required=False, max_length=64)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=_actions)
    since = JalaliDateField(label=_("From"), required=False)
    until = JalaliDateField(label=_("Until"), required=False)
    unit = forms.IntegerField(label=_("Unit id"), required=False, min_value=1)
