"""Pages of the second half of the candidate process (issue 13): the review queue, the
four inquiries (batches, answers one by one or from a file, late ones per county), a
candidacy's review page (decisions, complaint, confidential answers on an audited POST),
the staff's final lists and the public final list with its open data and printable PDF.

Views fetch through ``review_selectors`` (scope helpers; out of scope is 404) and write
through ``review_services``.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import access, policy
from amanat.audit.services import audit_record
from amanat.boards.models import BoardKind
from amanat.boards.selectors import require_complete
from amanat.candidates import review_pdf, selectors
from amanat.candidates import review_selectors as rs
from amanat.candidates import review_services as services
from amanat.candidates.models import Candidacy, FinalList, InquiryAnswer, InquiryKind, State
from amanat.candidates.review_forms import (
    CheckForm,
    ComplaintDecisionForm,
    ComplaintForm,
    DecisionForm,
    InquiryAnswerForm,
    InquiryFilterForm,
    InquiryImportForm,
    InquirySendForm,
    ReviewFilterForm,
    WithdrawForm,
)
from amanat.core.collation import persian
from amanat.core.errors import RuleError, table_warnings, tabular_error
from amanat.core.templatetags.persian import code_text, localize_digits
from amanat.elections.models import Contest, Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Constituency, Kind
from amanat.lib.persian import search_key
from amanat.lib.tabular import (
    HeaderNotFound,
    TabularError,
    check_error_cells,
    escape_formula,
    read_table,
)
from amanat.stations.tabular import parse_text

PER_PAGE = 50
LICENCE = "CC BY 4.0 — https://creativecommons.org/licenses/by/4.0/"
MAX_IMPORT_BYTES = 20 * 1024 * 1024


def _require(request: HttpRequest, action: str, label: str) -> None:
    if not access.can(request.user, action, label, None):
        raise Http404("not found")


def _form_error(form: forms.BaseForm, error: RuleError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _election(request: HttpRequest) -> Election:
    election = election_for_request(request)
    if election is None:
        raise Http404("no election")
    return election


def _counties(user: Any, label: str, action: str) -> list[AdminUnit]:
    return list(access.scope_queryset(user, AdminUnit.objects.filter(kind=Kind.COUNTY),
                                      action=action, path_field="path", model_label=label)
                .order_by(persian("name"), "pk"))


def _county(counties: list[AdminUnit], pk: int | None) -> AdminUnit | None:
    if pk is None:
        return None
    return next((c for c in counties if c.pk == pk), None)


# --- the review queue -------------------------------------------------------------------------


def review_queue(request: HttpRequest) -> HttpResponse:
    """Candidacies in reach by state, linked to their review pages."""
    _require(request, policy.VIEW, rs.CANDIDACY)
    election = _election(request)
    counties = _counties(request.user, rs.CANDIDACY, policy.VIEW)
    form = ReviewFilterForm(request.GET or None, counties=counties)
    qs = access.scope_queryset(request.user, Candidacy.objects.filter(election=election),
                               action=policy.VIEW, path_field="unit_path",
                               model_label=rs.CANDIDACY).exclude(
        state__in=[State.PRE_REGISTERED, State.CANCELLED])
    if form.is_valid():
        county = _county(counties, form.cleaned_data["county"])
        if county is not None:
            qs = qs.filter(unit_path__startswith=county.path)
        if form.cleaned_data["state"]:
            qs = qs.filter(state=form.cleaned_data["state"])
    qs = qs.select_related("county", "constituency").only(
        "pk", "reference", "first_name", "last_name", "state", "county__name",
        "constituency__name", "created_at").order_by("-created_at", "-pk")
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "candidates/review_queue.html", {
        "form": form, "page": page, "election": election,
        "can_inquire": access.can(request.user, policy.CREATE, rs.INQUIRY, None),
        "can_publish": access.can(request.user, policy.CHANGE, rs.FINAL_LIST, None),
    })


# --- inquiries ----------------------------------------------------------------------------------


def inquiries(request: HttpRequest) -> HttpResponse:
    """Inquiries sent from the offices in reach, late ones first; never the answers."""
    _require(request, policy.CREATE, rs.INQUIRY)
    election = _election(request)
    counties = _counties(request.user, rs.INQUIRY, policy.CREATE)
    form = InquiryFilterForm(request.GET or None, counties=counties)
    county, late = None, False
    if form.is_valid():
        county, late = _county(counties, form.cleaned_data["county"]), form.cleaned_data["late"]
    qs = rs.county_inquiries(request.user, election=election, county=county, late_only=late,
                             action=policy.CREATE)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "candidates/inquiries.html", {
        "form": form, "page": page, "election": election, "late": late,
        "batches": list(rs.batches(request.user, election=election, county=county)[:20]),
        "today": timezone.localdate(),
        "can_answer": access.can(request.user, policy.CHANGE, rs.INQUIRY, None),
    })


@require_http_methods(["GET", "POST"])
def inquiry_send(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CREATE, rs.INQUIRY)
    election = _election(request)
    counties = _counties(request.user, rs.INQUIRY, policy.CREATE)
    form = InquirySendForm(request.POST or None, counties=counties)
    if request.method == "POST" and form.is_valid():
        county = _county(counties, form.cleaned_data["county"])
        assert county is not None  # the field's choices are the counties in reach
        kind = form.cleaned_data["kind"]
        waiting = list(rs.awaiting_inquiry(request.user, election=election, county=county,
                                           kind=kind).only("pk"))
        try:
            batch = services.inquiry_batch_send(
                actor=request.user, election=election, unit=county, kind=kind,
                candidacies=waiting, due=form.cleaned_data["due"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Batch %(reference)s sent: %(count)s inquiries.")
                             % {"reference": code_text(batch.reference),
                                "count": localize_digits(str(len(waiting)))})
            return redirect("candidates_review:inquiries")
    return render(request, "candidates/review_form.html", {
        "form": form, "title": _("Send inquiries"),
        "cancel": reverse("candidates_review:inquiries")})


@require_http_methods(["GET", "POST"])
def inquiry_answer(request: HttpRequest, inquiry_id: int) -> HttpResponse:
    inquiry = rs.get_inquiry_for_user(request.user, inquiry_id, action=policy.CHANGE)
    form = InquiryAnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.inquiry_answer(actor=request.user, inquiry=inquiry, **form.cleaned_data)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Answer recorded."))
            return redirect("candidates_review:inquiries")
    return render(request, "candidates/review_form.html", {
        "form": form, "candidacy": inquiry.candidacy,
        "title": _("Answer of %(authority)s") % {"authority": inquiry.get_kind_display()},
        "cancel": reverse("candidates_review:inquiries")})


IMPORT_COLUMNS = ("reference", "authority", "answer", "adverse_reference", "note")

# The spellings a county office's sheet uses for the columns and the values, compared by
# ``_import_key`` (spaces, ZWNJ, Arabic letters, case and brackets do not matter). The
# authorities' and answers' display labels (Persian and English) are accepted as well.
_IMPORT_HEADERS = {
    "reference": ("tracking code", "کد رهگیری", "شماره رهگیری", "کد پیگیری", "کد داوطلب"),
    "authority": ("kind", "مرجع", "مرجع استعلام", "نوع استعلام", "استعلام از"),
    "answer": ("result", "پاسخ", "نتیجه", "نتیجه استعلام", "پاسخ استعلام"),
    "adverse_reference": ("adverse reference", "شماره نامه", "شماره نامه پاسخ", "مستند",
                          "شماره مستند"),
    "note": ("notes", "توضیحات", "ملاحظات", "یادداشت"),
}
_AUTHORITY_WORDS: dict[str, tuple[str, ...]] = {
    InquiryKind.INTELLIGENCE: ("اطلاعات", "وزارت اطلاعات", "intelligence ministry"),
    InquiryKind.POLICE: ("پلیس", "سوءپیشینه", "سوء پیشینه", "نیروی انتظامی", "فراجا",
                         "police record"),
    InquiryKind.JUDICIARY: ("قضاییه", "قوه قضاییه", "دادگستری"),
    InquiryKind.CIVIL_REGISTRY: ("ثبت احوال", "سازمان ثبت احوال", "civil registry"),
}
_ANSWER_WORDS: dict[str, tuple[str, ...]] = {
    InquiryAnswer.CLEAR: ("بلامانع", "پاک", "فاقد سابقه", "فاقد سوءپیشینه", "ندارد"),
    InquiryAnswer.ADVERSE: ("دارای سابقه", "دارای سابقه منفی", "سابقه دار", "مورد دارد",
                            "نامطلوب"),
    InquiryAnswer.NO_ANSWER: ("بی پاسخ", "بدون پاسخ", "پاسخ نداده", "عدم پاسخ",
                              "no answer"),
}
_IMPORT_PUNCTUATION = str.maketrans("", "", "()[]{}_-.:،؛,;*")


def _import_key(text: str) -> str:
    return search_key(text).replace("ئ", "ی").replace("ء", "").translate(_IMPORT_PUNCTUATION)


def _vocabulary(words: dict[str, tuple[str, ...]], labels: Any) -> dict[str, str]:
    """``_import_key(spelling) -> value``: the value itself, its labels in Persian and
    English, and the extra spellings."""
    vocabulary: dict[str, str] = {}
    for value, label in labels:
        spellings = [value, *words.get(value, ())]
        for language in ("fa", "en"):
            with override(language):
                spellings.append(str(label))
        for spelling in spellings:
            vocabulary.setdefault(_import_key(spelling), str(value))
    return vocabulary


def _answer_columns() -> dict[str, str]:
    """``_import_key(header) -> column``: every accepted spelling of each column."""
    columns = {_import_key(name): name for name in IMPORT_COLUMNS}
    for name, spellings in _IMPORT_HEADERS.items():
        columns.update({_import_key(spelling): name for spelling in spellings})
    return columns


def _answer_header(cells: list[str]) -> bool:
    """A header row names the reference, the authority and the answer (a title row
    above it, «پاسخ استعلام‌های …», does not)."""
    columns = _answer_columns()
    found = {columns.get(_import_key(c)) for c in cells}
    return all(name in found for name in IMPORT_COLUMNS[:3])


def _answer_rows(data: bytes, filename: str,
                 warnings: list[RuleError] | None = None) -> list[services.AnswerRow]:
    try:
        table = read_table(data, filename=filename, is_header=_answer_header)
    except HeaderNotFound as error:
        raise RuleError(_("The file has no column %(columns)s."), code="columns",
                        field="file", columns=", ".join(IMPORT_COLUMNS[:3])) from error
    if warnings is not None:
        warnings += table_warnings(table)
    columns = _answer_columns()
    at: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        column = columns.get(_import_key(str(header or "")))
        if column is not None:
            at.setdefault(column, i)
    # An error value (#N/A) in a column read (TabularError, worded by the view).
    check_error_cells(table, at.values())
    authorities = _vocabulary(_AUTHORITY_WORDS, InquiryKind.choices)
    answers = _vocabulary(_ANSWER_WORDS, [c for c in InquiryAnswer.choices
                                          if c[0] != InquiryAnswer.PENDING])

    def cell(cells: list[Any], name: str) -> str:
        # As every import reads a cell: invisible marks (a code pasted from a page
        # carries right-to-left marks), control characters and no-break spaces gone,
        # Persian letter forms.  The letter's reference and the note are kept as typed
        # (the note with its lines), as the answer form keeps them: the service cleans.
        i = at.get(name)
        value = None if i is None or i >= len(cells) else cells[i]
        if name in ("note", "adverse_reference"):
            return "" if value is None else str(value).strip()
        return parse_text(value)

    def word(value: str, vocabulary: dict[str, str]) -> str:
        # An unknown spelling stays as written: the service names it in its refusal.
        return vocabulary.get(_import_key(value), value)

    rows = [services.AnswerRow(line=line, reference=cell(cells, "reference").upper(),
                               kind=word(cell(cells, "authority"), authorities),
                               answer=word(cell(cells, "answer"), answers),
                               adverse_reference=cell(cells, "adverse_reference"),
                               note=cell(cells, "note"))
            for line, cells in table.rows]
    if not rows:
        # Nothing to apply: "0 answers recorded" and an audit entry of no batch.
        raise RuleError(_("The file has no rows of answers under its header."),
                        code="no_rows", field="file")
    return rows


@require_http_methods(["GET", "POST"])
def inquiry_import(request: HttpRequest) -> HttpResponse:
    """Answers from a spreadsheet, all or nothing."""
    _require(request, policy.CHANGE, rs.INQUIRY)
    election = _election(request)
    form = InquiryImportForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_IMPORT_BYTES:
                raise RuleError(_("The file is too large."), code="too_large", field="file")
            try:
                notes: list[RuleError] = []
                rows = _answer_rows(upload.read(), upload.name, notes)
                for note in notes:  # how the file was read (hidden rows, an encoding)
                    messages.warning(request, note.message)
            except TabularError as error:
                raise tabular_error(error).with_field("file") from error
            result = services.inquiry_answers_apply(
                actor=request.user, election=election,
                paths=rs.inquiry_paths(request.user), rows=rows)
        except RuleError as error:
            _form_error(form, error)
        else:
            if result.errors:
                errors = [_("Line %(line)s: %(error)s")
                          % {"line": localize_digits(str(line)), "error": e.message}
                          for line, e in result.errors]
                form.add_error(None, _("Nothing was stored; correct the lines below."))
            else:
                messages.success(request, _("%(count)s answers recorded.")
                                 % {"count": localize_digits(str(result.applied))})
                return redirect("candidates_review:inquiries")
    return render(request, "candidates/review_form.html", {
        "form": form, "title": _("Import inquiry answers"), "multipart": True,
        "errors": errors, "cancel": reverse("candidates_review:inquiries")})


# --- a candidacy's review ------------------------------------------------------------------------


def _review_context(request: HttpRequest, candidacy: Candidacy, **extra: Any) -> dict[str, Any]:
    user, unit = request.user, candidacy.county
    data = rs.review(candidacy)
    # A board's act: the role, and a serving seat on the board that acts for the county
    # (amanat/boards); the service refuses the rest (a party to the case included).
    can_decide = (access.can(user, policy.CREATE, rs.DECISION, unit)
                  and rs.holds_role(user, "executive_board", unit)
                  and _may_sit(user, BoardKind.COUNTY_EXECUTIVE, candidacy))
    can_check = (access.can(user, policy.CREATE, rs.DECISION, unit)
                 and rs.holds_role(user, "supervision_board", unit)
                 and _may_sit(user, BoardKind.SUPERVISION, candidacy))
    context = {
        "candidacy": candidacy, "review": data,
        "see_decisions": access.can(user, policy.VIEW, rs.DECISION, unit),
        "see_complaint": access.can(user, policy.VIEW, rs.COMPLAINT, unit),
        "see_answers": access.can(user, policy.VIEW, rs.INQUIRY, unit),
        "decide_form": DecisionForm() if can_decide and candidacy.state in services.REVIEWABLE
        and data.open_decision is None else None,
        "check_form": CheckForm() if can_check and data.open_decision is not None else None,
        "complaint_form": ComplaintForm()
        if access.can(user, policy.CREATE, rs.COMPLAINT, unit)
        and candidacy.state == State.DISQUALIFIED and data.complaint is None else None,
        "complaint_decision_form": ComplaintDecisionForm()
        if data.complaint is not None and data.complaint.outcome == "pending"
        and access.can(user, policy.CHANGE, rs.COMPLAINT, unit)
        and rs.holds_role(user, "supervision_board", unit)
        and _may_sit(user, BoardKind.SUPERVISION, candidacy) else None,
        "withdraw_form": WithdrawForm()
        if data.entry is not None and data.entry.withdrawn_at is None
        and access.can(user, policy.CHANGE, rs.FINAL_LIST, unit) else None,
        "answers": None,
        "show_cases": selectors.show_cases(user, candidacy),
    }
    context["next_step"] = _next_step(candidacy, data, outcome=bool(context["see_decisions"]))
    # No one decides the complaint against a decision they took part in: said, not offered.
    context["complaint_recused"] = bool(
        context["complaint_decision_form"] and rs.took_part_in_decision(user, candidacy))
    if context["complaint_recused"]:
        context["complaint_decision_form"] = None
    # A board acts only when complete (amanat/boards): say so before its form is used.
    context["executive_problem"] = (_board_problem(BoardKind.COUNTY_EXECUTIVE, candidacy)
                                    if context["decide_form"] else None)
    context["supervision_problem"] = (
        _board_problem(BoardKind.SUPERVISION, candidacy)
        if context["check_form"] or context["complaint_decision_form"] else None)
    # Said before the board chooses: a qualification waits for these inquiries' answers.
    context["unanswered"] = (rs.unanswered_inquiries(candidacy, timezone.localdate())
                             if context["decide_form"] or context["check_form"]
                             or context["complaint_decision_form"] else [])
    context.update(extra)
    return context


def _next_step(candidacy: Candidacy, data: rs.Review, *, outcome: bool) -> str:
    """What the candidacy waits for, under its state (user review 2, F14: after the
    executive board's decision the state still reads "under review"). The decision's
    outcome is named only to those who may see the decisions."""
    if candidacy.state in services.REVIEWABLE:
        if data.open_decision is None:
            return _("Next: the county executive board decides.")
        if outcome:
            return (_("The executive board decided: %(outcome)s. Next: the supervision board "
                      "confirms or overturns it.")
                    % {"outcome": data.open_decision.get_outcome_display()})
        return _("Next: the supervision board confirms or overturns the executive board's "
                 "decision.")
    if candidacy.state == State.DISQUALIFIED and data.complaint is not None \
            and data.complaint.outcome == "pending":
        return _("Next: the supervision board decides the complaint.")
    return ""


def _may_sit(user: Any, kind: str, candidacy: Candidacy) -> bool:
    """Whether the board's form is offered: the user holds a serving seat, or the board is
    not complete yet (the form then says why no one may act)."""
    return (rs.board_seat(user, kind, candidacy) is not None
            or _board_problem(kind, candidacy) is not None)


def _board_problem(kind: str, candidacy: Candidacy) -> str | None:
    try:
        require_complete(election=candidacy.election, kind=kind, unit=candidacy.county)
    except RuleError as error:
        return error.message
    return None


def candidacy_review(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    candidacy = rs.get_candidacy_for_user(request.user, candidacy_id)
    return render(request, "candidates/review.html", _review_context(request, candidacy))


@require_POST
def candidacy_answers(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    """The confidential inquiry answers, shown on a POST that is recorded in the log."""
    candidacy = rs.get_candidacy_for_user(request.user, candidacy_id)
    access.require(request.user, policy.VIEW, rs.INQUIRY, candidacy.county, pk=candidacy.pk)
    if rs.party_candidacies(request.user, candidacy.election, [candidacy.pk]):
        # A member who is a party (their own or a relative's candidacy) reads nothing:
        # the refusal is recorded like the board's others.
        with transaction.atomic():
            audit_record(action="candidates.inquiry.refused", actor=request.user,
                         unit=candidacy.county, obj=candidacy, extra={"code": "party"})
        messages.error(request, _("A board member neither records nor reads the inquiry "
                                  "answers about their own candidacy or a relative's."))
        return render(request, "candidates/review.html", _review_context(request, candidacy),
                      status=403)
    answers = rs.inquiry_answers(candidacy)
    with transaction.atomic():
        audit_record(action="candidates.inquiry.view", actor=request.user,
                     unit=candidacy.county, obj=candidacy,
                     extra={"inquiries": [a.pk for a in answers]})
    return render(request, "candidates/review.html",
                  _review_context(request, candidacy, answers=answers))


def _review_post(request: HttpRequest, candidacy: Candidacy, form: forms.Form, name: str,
                 act: Any) -> HttpResponse:
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("candidates_review:review", candidacy_id=candidacy.pk)
    return render(request, "candidates/review.html",
                  _review_context(request, candidacy, **{name: form}), status=422)


@require_POST
def candidacy_decide(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    candidacy = rs.get_candidacy_for_user(request.user, candidacy_id)
    access.require(request.user, policy.CREATE, rs.DECISION, candidacy.county, pk=candidacy.pk)
    return _review_post(request, candidacy, DecisionForm(request.POST), "decide_form",
                        lambda d: services.decision_make(actor=request.user,
                                                         candidacy=candidacy, **d))


@require_POST
def decision_check(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = rs.get_decision_for_user(request.user, decision_id)
    candidacy = rs.get_candidacy_for_user(request.user, decision.candidacy_id)
    return _review_post(request, candidacy, CheckForm(request.POST), "check_form",
                        lambda d: services.decision_check(actor=request.user,
                                                          decision=decision, **d))


@require_POST
def complaint_file(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    candidacy = rs.get_candidacy_for_user(request.user, candidacy_id)
    access.require(request.user, policy.CREATE, rs.COMPLAINT, candidacy.county, pk=candidacy.pk)
    return _review_post(request, candidacy, ComplaintForm(request.POST), "complaint_form",
                        lambda d: services.complaint_file(actor=request.user,
                                                          candidacy=candidacy, **d))


@require_POST
def complaint_decide(request: HttpRequest, complaint_id: int) -> HttpResponse:
    complaint = rs.get_complaint_for_user(request.user, complaint_id)
    candidacy = rs.get_candidacy_for_user(request.user, complaint.candidacy_id)
    return _review_post(request, candidacy, ComplaintDecisionForm(request.POST),
                        "complaint_decision_form",
                        lambda d: services.complaint_decide(actor=request.user,
                                                            complaint=complaint, **d))


@require_POST
def entry_withdraw(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = rs.get_entry_for_user(request.user, entry_id)
    candidacy = rs.get_candidacy_for_user(request.user, entry.candidacy_id)
    return _review_post(request, candidacy, WithdrawForm(request.POST), "withdraw_form",
                        lambda d: services.final_list_withdraw(actor=request.user,
                                                               entry=entry, **d))


# --- final lists (staff) -----------------------------------------------------------------------


def final_lists(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CHANGE, rs.FINAL_LIST)
    election = _election(request)
    rows = list(rs.publishable(request.user, election=election)[:200])
    # Each row says from when it may be published instead of offering a button that only
    # refuses before the final decision date (one calendar read per contest).
    today = timezone.localdate()
    final_days: dict[int, datetime.date | None] = {}
    for row in rows:
        if row["contest_id"] not in final_days:
            contest = Contest.objects.filter(pk=row["contest_id"]).first()
            final_days[row["contest_id"]] = rs.final_decision_day(contest) if contest else None
        day = final_days[row["contest_id"]]
        row["final_day"] = day
        row["too_early"] = day is not None and today <= day
    return render(request, "candidates/final_lists.html", {
        "election": election,
        "publishable": rows,
        "published": list(rs.published_lists(election)[:200]),
    })


def _constituency_unit(constituency: Constituency) -> AdminUnit:
    return constituency.unit or constituency.province


@require_POST
def final_list_publish(request: HttpRequest, contest_id: int, constituency_id: int
                       ) -> HttpResponse:
    contest = Contest.objects.filter(pk=contest_id).first()
    constituency = (Constituency.objects.select_related("unit", "province")
                    .filter(pk=constituency_id).first())
    if contest is None or constituency is None:
        raise Http404("not found")
    if not access.can(request.user, policy.CHANGE, rs.FINAL_LIST,
                      _constituency_unit(constituency)):
        access.access_denied_record(user=request.user, model_label="geo.constituency",
                                    pk=constituency.pk, action=policy.CHANGE)
        raise Http404("not found")
    try:
        final = services.final_list_publish(actor=request.user, contest=contest,
                                            constituency=constituency)
    except RuleError as error:
        messages.error(request, error.message)
        return redirect("candidates_review:final_lists")
    messages.success(request, _("The final list is published."))
    return redirect("public_final_list", list_id=final.pk)


# --- the public final list ----------------------------------------------------------------------


@login_not_required
@require_GET
def public_final_lists(request: HttpRequest) -> HttpResponse:
    return render(request, "candidates/public_final_lists.html", {
        "lists": list(rs.published_lists()[:500])})


def _published(list_id: int) -> FinalList:
    final = rs.get_published_list(list_id)
    if final is None:
        raise Http404("not found")
    return final


@login_not_required
@require_GET
def public_final_list(request: HttpRequest, list_id: int) -> HttpResponse:
    final = _published(list_id)
    return render(request, "candidates/public_final_list.html", {
        "final": final, "entries": list(final.entries.all()), "licence": LICENCE})


def open_rows(final: FinalList) -> list[dict[str, Any]]:
    return [{"ballot_order": e.ballot_order, "name": e.ballot_name,
             "tracking_code": e.candidacy.reference,
             "withdrawn": e.withdrawn_at is not None,
             "withdrawn_at": e.withdrawn_at.isoformat() if e.withdrawn_at else None,
             "withdrawal_note": e.withdrawal_note}
            for e in final.entries.all()]


@login_not_required
@require_GET
def public_final_list_json(request: HttpRequest, list_id: int) -> HttpResponse:
    final = _published(list_id)
    assert final.published_at is not None
    body = {"licence": LICENCE, "election": final.contest.election.name,
            "contest": final.contest.name, "constituency": final.constituency.name,
            "constituency_code": final.constituency.code,
            "published_at": final.published_at.isoformat(), "candidates": open_rows(final)}
    response = HttpResponse(json.dumps(body, ensure_ascii=False, indent=1),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="final-list-{final.pk}.json"'
    return response


@login_not_required
@require_GET
def public_final_list_csv(request: HttpRequest, list_id: int) -> HttpResponse:
    final = _published(list_id)
    out = io.StringIO()
    out.write(f"# licence: {LICENCE}\n")
    writer = csv.writer(out)
    writer.writerow(["ballot_order", "name", "tracking_code", "withdrawn", "withdrawn_at",
                     "withdrawal_note"])
    for row in open_rows(final):
        # Names come from the public registration form: escaped like every export.
        writer.writerow([row["ballot_order"], escape_formula(row["name"]),
                         row["tracking_code"], "yes" if row["withdrawn"] else "no",
                         row["withdrawn_at"] or "", escape_formula(row["withdrawal_note"])])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="final-list-{final.pk}.csv"'
    return response


def _final_list_pdf(final: FinalList) -> bytes:
    """The PDF, rendered once per version of the list (publication, withdrawals): it is
    public and takes a second or more of CPU to draw, so that anyone repeating the request
    would otherwise occupy the server's workers."""
    entries = list(final.entries.all())
    version = hashlib.sha256(repr((final.pk, final.published_at, [
        (e.pk, e.ballot_order, e.ballot_name, e.withdrawn_at) for e in entries])).encode()
    ).hexdigest()[:32]
    key = f"candidates:final-list-pdf:{final.pk}:{version}"
    data: bytes | None = cache.get(key)
    if data is None:
        data = review_pdf.final_list_pdf(final, entries, licence=LICENCE)
        cache.set(key, data, timeout=24 * 60 * 60)
    return data


@login_not_required
@require_GET
def public_final_list_pdf(request: HttpRequest, list_id: int) -> HttpResponse:
    final = _published(list_id)
    response = HttpResponse(_final_list_pdf(final), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="final-list-{final.pk}.pdf"'
    return response

