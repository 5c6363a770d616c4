"""Forms of the review pages: inquiries, the boards' decisions, complaints, withdrawals.
Forms validate; ``review_services`` writes."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from amanat.candidates.models import (
    Complaint,
    ComplaintOutcome,
    FinalListEntry,
    Inquiry,
    InquiryAnswer,
    InquiryKind,
    Outcome,
    ReviewDecision,
    State,
)
from amanat.core.forms import CleanCharField, FilterForm, JalaliDateField, text_limit

ANSWERS = [(v, label) for v, label in InquiryAnswer.choices if v != InquiryAnswer.PENDING]


class ReviewFilterForm(FilterForm):
    """The review queue's filter bar: county, state, late inquiries."""

    county = forms.TypedChoiceField(label=_("County"), required=False, coerce=int,
                                    empty_value=None)
    state = forms.ChoiceField(label=_("State"), required=False,
                              choices=[("", _("All"))] + [
                                  (s.value, s.label) for s in State
                                  if s not in (State.PRE_REGISTERED, State.CANCELLED)])

    def __init__(self, *args: Any, counties: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["county"])
        field.choices = [("", _("All"))] + [(c.pk, c.name) for c in counties]


class InquiryFilterForm(FilterForm):
    county = forms.TypedChoiceField(label=_("County"), required=False, coerce=int,
                                    empty_value=None)
    late = forms.BooleanField(label=_("Late only"), required=False)

    def __init__(self, *args: Any, counties: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(forms.ChoiceField, self.fields["county"])
        field.choices = [("", _("All"))] + [(c.pk, c.name) for c in counties]


class InquirySendForm(forms.Form):
    """Send one authority's inquiries about every candidate of a county not yet asked."""

    county = forms.TypedChoiceField(label=_("County"), coerce=int)
    kind = forms.ChoiceField(label=_("Authority"), choices=InquiryKind.choices)
    due = JalaliDateField(label=_("Due date"))

    def __init__(self, *args: Any, counties: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["county"]).choices = [(c.pk, c.name) for c in counties]


class InquiryAnswerForm(forms.Form):
    answer = forms.ChoiceField(label=_("Answer"), choices=ANSWERS)
    adverse_reference = CleanCharField(
        label=_("Reference of the adverse finding"), required=False,
        max_length=text_limit(Inquiry, "adverse_reference"),
        help_text=_("Required for an adverse answer: the authority's file or judgment "
                    "number."))
    note = CleanCharField(label=_("Note"), required=False, widget=forms.Textarea(
        attrs={"rows": 2}), max_length=text_limit(Inquiry, "note"))


class InquiryImportForm(forms.Form):
    file = forms.FileField(
        label=_("Answers file (CSV or XLSX)"),
        help_text=_("Columns: reference (the tracking code), authority (intelligence, "
                    "police, judiciary, civil_registry), answer (clear, adverse, no_answer), "
                    "adverse_reference, note. Persian column names and the Persian names of "
                    "the authorities and answers are accepted too."))


class DecisionForm(forms.Form):
    """The executive board's decision."""

    outcome = forms.ChoiceField(label=_("Decision"), choices=[
        (Outcome.QUALIFIED.value, Outcome.QUALIFIED.label),
        (Outcome.DISQUALIFIED.value, Outcome.DISQUALIFIED.label)])
    legal_article = CleanCharField(label=_("Legal article"), required=False,
                                   max_length=text_limit(ReviewDecision, "legal_article"),
                                   help_text=_("Required for a disqualification."))
    reasons = CleanCharField(label=_("Reasons"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=text_limit(ReviewDecision, "reasons"))


class CheckForm(forms.Form):
    """The supervision board's confirmation or overturning."""

    # The heading above says "Supervision board's check"; the select says what is
    # checked (user review F13: the label repeated the heading).
    outcome = forms.ChoiceField(label=_("The executive board's decision is"), choices=[
        (Outcome.CONFIRMED.value, Outcome.CONFIRMED.label),
        (Outcome.OVERTURNED.value, Outcome.OVERTURNED.label)])
    legal_article = CleanCharField(label=_("Legal article"), required=False,
                                   max_length=text_limit(ReviewDecision, "legal_article"),
                                   help_text=_("Required when the result is a "
                                               "disqualification."))
    reasons = CleanCharField(label=_("Reasons"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             max_length=text_limit(ReviewDecision, "reasons"))


class ComplaintForm(forms.Form):
    text = CleanCharField(label=_("Complaint"), widget=forms.Textarea(attrs={"rows": 4}),
                          max_length=text_limit(Complaint, "text"))


class ComplaintDecisionForm(forms.Form):
    outcome = forms.ChoiceField(label=_("Decision on the complaint"), choices=[
        (v, label) for v, label in ComplaintOutcome.choices if v != ComplaintOutcome.PENDING])
    legal_article = CleanCharField(label=_("Legal article"), required=False,
                                   max_length=text_limit(Complaint, "legal_article"),
                                   help_text=_("Required when the complaint is rejected."))
    decision_text = CleanCharField(label=_("Decision"), required=False,
                                   widget=forms.Textarea(attrs={"rows": 3}),
                                   max_length=text_limit(Complaint, "decision_text"))


class WithdrawForm(forms.Form):
    note = CleanCharField(label=_("How the withdrawal was received"),
                          max_length=text_limit(FinalListEntry, "withdrawal_note"))
