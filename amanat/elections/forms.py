from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import JalaliDateField, JalaliDateInput


class MilestoneDueForm(forms.Form):
    due = JalaliDateField(
        label=_("Due date"),
        help_text=_("Jalali year/month/day, e.g. 1404/11/30"),
        widget=JalaliDateInput(attrs={"class": "form-control"}),
    )

    def is_valid(self) -> bool:
        valid = super().is_valid()
        # Bootstrap styles a refused field by the class on the input itself.
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
        return valid
