"""The auditor's filter form: every field optional, dates in Jalali."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import CleanCharField, FilterForm, JalaliDateField


class EventFilterForm(FilterForm):
    unit = forms.IntegerField(label=_("Unit id"), required=False, min_value=1)
    actor = CleanCharField(label=_("Actor"), required=False, max_length=150)
    action = CleanCharField(label=_("Action"), required=False, max_length=100)
    object_type = CleanCharField(label=_("Object type"), required=False, max_length=100)
    object_id = CleanCharField(label=_("Object id"), required=False, max_length=64)
    since = JalaliDateField(label=_("From"), required=False)
    until = JalaliDateField(label=_("Until"), required=False)
