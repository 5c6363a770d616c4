"""Forms of the councils pages.  Forms validate; services write."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.accounts.models import Agency
from amanat.core.forms import (
    FILTERS_TEMPLATE,
    GRID_TEMPLATE,
    CleanCharField,
    JalaliDateField,
    text_limit,
)
from amanat.councils.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Decision,
    Meeting,
    MeetingStatus,
)
from amanat.lib.persian import normalize, to_ascii_digits


class _GridForm(forms.Form):
    """The councils' forms are drawn in columns (councils/form.html writes ``{{ form }}``)."""

    template_name = GRID_TEMPLATE


class TimeInput(forms.TimeInput):
    def __init__(self) -> None:
        super().__init__(attrs={"dir": "ltr", "placeholder": "09:30", "size": "5"},
                         format="%H:%M")


class PersianTimeField(forms.TimeField):
    """A time such as 09:30, typed with Persian or Latin digits."""

    widget = TimeInput

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = to_ascii_digits(value).strip()
        return super().to_python(value)


ATTENDEES_HELP = _("One attendee per line: name — post or agency.")


class MeetingCreateForm(_GridForm):
    held_on = JalaliDateField(label=_("Date"))
    starts_at = PersianTimeField(label=_("Time"), required=False)
    place = CleanCharField(label=_("Place"), max_length=200, required=False)
    attendees = CleanCharField(label=_("Attendees"), required=False, help_text=ATTENDEES_HELP,
                                widget=forms.Textarea(attrs={"rows": 4}),
                                max_length=text_limit(Meeting, "attendees"))


class MeetingEditForm(MeetingCreateForm):
    status = forms.ChoiceField(label=_("Status"), choices=MeetingStatus.choices)
    minutes = CleanCharField(label=_("Minutes"), required=False,
                              widget=forms.Textarea(attrs={"rows": 10}),
                              max_length=text_limit(Meeting, "minutes"))


class AgendaItemForm(_GridForm):
    case_number = CleanCharField(
        label=_("Case number (optional)"), max_length=16, required=False,
        help_text=_("A case of this council's area, e.g. C-ABCDEFGHIJ."),
    )
    title = CleanCharField(label=_("Title"), max_length=300, required=False,
                            help_text=_("Leave empty to use the case number and category."))
    note = CleanCharField(label=_("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 3}),
                           max_length=text_limit(AgendaItem, "note"))

    def clean_case_number(self) -> str:
        return to_ascii_digits(normalize(self.cleaned_data.get("case_number") or "")).upper()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("case_number") and not normalize(data.get("title") or ""):
            raise forms.ValidationError(_("Give a title or a case number."))
        return data


class AgendaChoiceField(forms.ModelChoiceField[AgendaItem]):
    def label_from_instance(self, obj: AgendaItem) -> str:
        return f"{obj.order}. {obj.title}"


class DecisionForm(_GridForm):
    agenda_item = AgendaChoiceField(label=_("Agenda item (optional)"),
                                    queryset=AgendaItem.objects.none(), required=False)
    text = CleanCharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 4}),
                          max_length=text_limit(Decision, "text"))

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agenda_item"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = meeting.agenda.order_by("order")


class AgencyChoiceField(forms.ModelChoiceField[Agency]):
    def label_from_instance(self, obj: Agency) -> str:
        return str(obj.name)


class ActionItemForm(_GridForm):
    text = CleanCharField(label=_("Action"), widget=forms.Textarea(attrs={"rows": 3}),
                          max_length=text_limit(ActionItem, "text"))
    owner = AgencyChoiceField(label=_("Owner agency"), queryset=Agency.objects.order_by("code"))
    due_on = JalaliDateField(label=_("Due date"))


class ActionStatusForm(forms.Form):
    """One row's status change in an action table: compact fields in a row."""

    template_name = FILTERS_TEMPLATE
    compact = True
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    note = CleanCharField(label=_("Note"), required=False,
                          max_length=text_limit(ActionItem, "done_note"))
