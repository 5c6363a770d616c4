"""Forms of the alert, flag and quality-rule pages (opswatch).  Forms validate; services
write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _

from amanat.core.forms import CleanCharField, FilterForm, text_limit
from amanat.operations.models import (
    AlertKind,
    AlertLevel,
    AlertNote,
    AlertState,
    Checkin,
    Kind,
    QualityRule,
)
from amanat.operations.services import MAX_VOTERS


class AlertFilterForm(FilterForm):
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *AlertKind.choices])
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("Not closed")), *AlertState.choices,
                                       ("all", _("All states"))])
    level = forms.ChoiceField(label=_("Level"), required=False,
                              choices=[("", _("All levels")), *AlertLevel.choices])


class AlertNoteForm(forms.Form):
    text = CleanCharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}),
                          max_length=text_limit(AlertNote, "text"))


class AlertCloseForm(forms.Form):
    note = CleanCharField(label=_("How was it handled?"),
                          widget=forms.Textarea(attrs={"rows": 2}),
                          max_length=text_limit(AlertNote, "text"),
                          help_text=_("Required: the note stays with the alert."))


class FlagVerifyForm(forms.Form):
    # Publishing held-back figures is not one tap: a note and a confirmation (user F15).
    note = CleanCharField(label=_("Note"),
                          widget=forms.Textarea(attrs={"rows": 2}),
                          max_length=text_limit(Checkin, "note"),
                          help_text=_("Who confirmed the figures, and how."))
    confirm = forms.BooleanField(
        label=_("I checked these figures with the station or another source: they are "
                "right and may be published."))


class FlagCorrectForm(forms.Form):
    voters = forms.IntegerField(label=_("Voters so far"), required=False, min_value=0,
                                max_value=MAX_VOTERS)
    total = forms.IntegerField(label=_("Total votes"), required=False, min_value=0,
                               max_value=MAX_VOTERS)
    note = CleanCharField(label=_("Note"), required=False,
                          widget=forms.Textarea(attrs={"rows": 2}),
                          max_length=text_limit(Checkin, "note"),
                          help_text=_("Where the right figure comes from."))

    def __init__(self, *args: Any, kind: str = Kind.TURNOUT, **kwargs: Any) -> None:
        # On the flag's page beside the verify form: ids of its own (one id_note a page).
        kwargs.setdefault("auto_id", "id_correct_%s")
        super().__init__(*args, **kwargs)
        # A turnout check-in is corrected in its turnout, a closing one in its total.
        del self.fields["total" if kind != Kind.CLOSING else "voters"]


class QualityRuleForm(forms.Form):
    code = CleanCharField(label=_("Code"), max_length=40, validators=[validate_slug],
                          help_text=_("Latin letters, digits and hyphens; it names the "
                                      "rule in the audit log and the API."))
    name_fa = CleanCharField(label=_("Persian name"),
                             max_length=text_limit(QualityRule, "name_fa"))
    name_en = CleanCharField(label=_("English name"), required=False,
                             max_length=text_limit(QualityRule, "name_en"))
    description = CleanCharField(label=_("Description"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 2}),
                                 max_length=text_limit(QualityRule, "description"))
    # Checked by the service (at least one): a refused checkbox group cannot point its
    # boxes at the error.
    kinds = forms.MultipleChoiceField(label=_("Check-ins it reads"), required=False,
                                      choices=Kind.choices,
                                      widget=forms.CheckboxSelectMultiple)
    expression = CleanCharField(label=_("Expression"), max_length=1000,
                                widget=forms.Textarea(attrs={"rows": 2, "dir": "ltr"}),
                                help_text=_("True flags the check-in, e.g. "
                                            "voters > registered. The names it may read "
                                            "are listed on the rules page."))
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
