from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import JalaliDateField


class MilestoneDueForm(forms.Form):
    due = JalaliDateField(
        label=_("Due date"),
        help_text=_("Jalali year/month/day, e.g. 1404/11/30"),
    )
