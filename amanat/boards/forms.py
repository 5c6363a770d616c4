"""Forms of the boards' pages. Forms validate what was typed; ``services`` keeps the rules
(sizes by law, one chair, national IDs) and writes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from amanat.boards.models import BoardKind
from amanat.core.forms import CleanCharField, FilterForm, JalaliDateField


class BoardFilterForm(FilterForm):
    unit = forms.TypedChoiceField(label=_("Province or county"), required=False, coerce=int,
                                  empty_value=None)
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All")), *BoardKind.choices])

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["unit"])
        field.choices = [("", _("All"))] + [(u.pk, u.name) for u in units]


class BoardForm(forms.Form):
    """Form a board under the act that appointed it."""

    kind = forms.ChoiceField(label=_("Kind"), choices=BoardKind.choices)
    unit = forms.TypedChoiceField(label=_("Province or county"), coerce=int)
    act_number = CleanCharField(label=_("Act number"), max_length=64)
    act_date = JalaliDateField(label=_("Act date"))
    appointed_by = CleanCharField(label=_("Appointed by"), max_length=200,
                                  help_text=_("Who signed the act, e.g. the county governor."))

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["unit"])
        field.choices = [(u.pk, f"{u.name} ({u.get_kind_display()})") for u in units]


class _UserField(CleanCharField):
    """A user account named by its username (optional): the member's sign-in."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("label", _("User account (username)"))
        kwargs.setdefault("help_text", _("Optional: ties what the member does in Amanat to "
                                         "this board."))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> User | None:
        name = super().clean(value)
        if not name:
            return None
        user = User.objects.filter(username=name, is_active=True).first()
        if user is None:
            raise forms.ValidationError(_("No active user account %(name)s."),
                                        code="unknown_user", params={"name": name})
        return user


class MemberForm(forms.Form):
    full_name = CleanCharField(label=_("Full name"), max_length=200)
    national_id = CleanCharField(label=_("National ID"), max_length=20)
    appointed_on = JalaliDateField(label=_("Appointed on"))
    user = _UserField()
    is_chair = forms.BooleanField(label=_("Chair"), required=False)


class ReplaceForm(forms.Form):
    full_name = CleanCharField(label=_("Full name of the new member"), max_length=200)
    national_id = CleanCharField(label=_("National ID"), max_length=20)
    appointed_on = JalaliDateField(label=_("Appointed on"))
    user = _UserField()
    reason = CleanCharField(label=_("Reason"), max_length=500)


class EndForm(forms.Form):
    ended_on = JalaliDateField(label=_("Ended on"))
    reason = CleanCharField(label=_("Reason"), max_length=500)
