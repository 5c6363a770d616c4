"""Forms of the training pages: they validate what was typed; services write."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError
from amanat.core.forms import (
    GRID_TEMPLATE,
    CleanCharField,
    FilterForm,
    JalaliDateField,
    text_limit,
)
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit
from amanat.lib.persian import to_ascii_digits
from amanat.training import services
from amanat.training.models import Audience, Course, Delivery, Enrolment, Question, Session


def _rule(error: RuleError) -> ValidationError:
    return ValidationError(error.message, code=error.code)


class CourseFilterForm(FilterForm):
    audience = forms.ChoiceField(label=_("Audience"), required=False,
                                 choices=[("", _("All audiences")), *Audience.choices])


class CompletionFilterForm(FilterForm):
    q = CleanCharField(label=_("Name or national ID"), max_length=100, required=False)


class CourseForm(forms.Form):
    template_name = GRID_TEMPLATE

    title = CleanCharField(label=_("Title"), max_length=text_limit(Course, "title"))
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    post = forms.ChoiceField(label=_("Station post"), required=False,
                             choices=[("", "—"), *StationPost.choices],
                             help_text=_("For station staff: the post this course "
                                         "qualifies for."))
    unit = forms.ModelChoiceField(label=_("Given by"), queryset=AdminUnit.objects.none(),
                                  help_text=_("The country for a national course, or a "
                                              "province or county."))
    delivery = forms.ChoiceField(label=_("Delivery"), choices=Delivery.choices)
    pass_mark = forms.IntegerField(label=_("Pass mark (percent)"), min_value=0,
                                   max_value=100, initial=70)
    public = forms.BooleanField(label=_("Published on the public pages"), required=False,
                                help_text=_("Only courses for voters and candidates are "
                                            "published."))
    summary = CleanCharField(label=_("Summary"), required=False, widget=forms.Textarea,
                             max_length=text_limit(Course, "summary"))
    material = CleanCharField(label=_("Material"), required=False, widget=forms.Textarea,
                              max_length=text_limit(Course, "material"),
                              help_text=_("The lessons: paragraphs separated by a blank "
                                          "line; a line starting with # is a heading."))

    def __init__(self, *args: Any, units: QuerySet[AdminUnit] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        if units is None:
            del self.fields["unit"]
        else:
            assert isinstance(unit_field, forms.ModelChoiceField)
            unit_field.queryset = units

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            services._course_checked(data)  # the same rules the service applies
        except RuleError as error:
            self.add_error(error.field if error.field in self.fields else None, _rule(error))
        return data


class QuestionsForm(forms.Form):
    questions = CleanCharField(
        label=_("Questions"), required=False, widget=forms.Textarea(attrs={"rows": 14}),
        max_length=20_000,
        help_text=_("One question per block, blocks separated by a blank line: the "
                    "question on the first line, then one choice per line; start the "
                    "correct choice with *."))

    def clean_questions(self) -> list[services.QuestionData]:
        try:
            return services.parse_questions(self.cleaned_data.get("questions") or "")
        except RuleError as error:
            raise _rule(error) from error


class TimeInput(forms.TimeInput):
    def __init__(self) -> None:
        super().__init__(attrs={"dir": "ltr", "placeholder": "09:30", "size": "5"},
                         format="%H:%M")


class TimeField(forms.TimeField):
    """A time such as 09:30, typed with Persian or Latin digits."""

    widget = TimeInput

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = to_ascii_digits(value).strip()
        return super().to_python(value)


class SessionForm(forms.Form):
    template_name = GRID_TEMPLATE

    place = CleanCharField(label=_("Place"), max_length=text_limit(Session, "place"))
    trainer = CleanCharField(label=_("Trainer"), max_length=text_limit(Session, "trainer"))
    day = JalaliDateField(label=_("Date"))
    time = TimeField(label=_("Time"))
    capacity = forms.IntegerField(label=_("Capacity"), min_value=1, max_value=10_000)
    unit = forms.ModelChoiceField(label=_("County"), queryset=AdminUnit.objects.none())

    def __init__(self, *args: Any, units: QuerySet[AdminUnit] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
        else:
            unit_field = self.fields["unit"]
            assert isinstance(unit_field, forms.ModelChoiceField)
            unit_field.queryset = units

    @staticmethod
    def initial_for(session: Session) -> dict[str, Any]:
        local = timezone.localtime(session.starts_at)
        return {"place": session.place, "trainer": session.trainer, "day": local.date(),
                "time": local.time(), "capacity": session.capacity}

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        starts = timezone.make_aware(datetime.datetime.combine(data["day"], data["time"]))
        return {"place": data["place"], "trainer": data["trainer"], "starts_at": starts,
                "capacity": data["capacity"]}


class PersonForm(forms.Form):
    """One person: national ID, full name, optional mobile (enrolment, attempts)."""

    national_id = CleanCharField(label=_("National ID"), max_length=20,
                                 help_text=_("Ten digits, as on the national ID card"))
    full_name = CleanCharField(label=_("Full name"), required=False,
                               max_length=text_limit(Enrolment, "full_name"),
                               help_text=_("Leave the name and mobile empty for someone in "
                                           "the county's staffing register: they are taken "
                                           "from it."))
    mobile = CleanCharField(label=_("Mobile number"), max_length=20, required=False)

    def clean_national_id(self) -> str:
        try:
            return services.national_id_checked(self.cleaned_data["national_id"])
        except RuleError as error:
            raise _rule(error) from error

    def clean_mobile(self) -> str:
        try:
            return services.mobile_checked(self.cleaned_data.get("mobile") or "")
        except RuleError as error:
            raise _rule(error) from error


class AttemptForm(PersonForm):
    """The assessment: one radio group per question."""

    def __init__(self, *args: Any, questions: list[Question] | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["mobile"]
        # Someone identified (enrolled on the course, or in the county's staffing
        # register) is named from there; anyone else must give their name (the service
        # asks for it, user review 2, F11).
        self.fields["full_name"].help_text = _(
            "Leave empty for someone enrolled on this course or in the county's staffing "
            "register: the name is taken from there.")
        self.questions = questions or []
        for q in self.questions:
            self.fields[f"q{q.pk}"] = forms.TypedChoiceField(
                label=q.text, widget=forms.RadioSelect, coerce=int,
                choices=[(i, c) for i, c in enumerate(q.choices, start=1)])

    def answers(self) -> list[int | None]:
        return [self.cleaned_data.get(f"q{q.pk}") for q in self.questions]


class AttendanceImportForm(forms.Form):
    file = forms.FileField(
        label=_("Attendance sheet (XLSX or CSV)"),
        help_text=_("Columns: national ID, full name, mobile (optional), attended "
                    "(yes/no, optional: yes when absent)."))


class VerifyForm(forms.Form):
    code = CleanCharField(label=_("Verification code"), max_length=40,
                          help_text=_("As printed on the certificate, such as "
                                      "ABCD-EFGH-JKLM"))
