"""The auditor's filter form: every field optional, dates in Jalali."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import JalaliDateField


class EventFilterForm(forms.Form):
    unit = forms.IntegerField(label=_("Unit id"), required=False, min_value=1)
    actor = forms.CharField(label=_("Actor"), required=False, max_length=150)
    action = forms.CharField(label=_("Action"), required=False, max_length=100)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=100)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    since = JalaliDateField(label=_("From"), required=False)
    until = JalaliDateField(label=_("Until"), required=False)
