"""Writes of the second half of the candidate process: the four inquiries, the boards'
review (maker-checker), complaints and the final list (issue 13).

Kept apart from ``services.py`` (registration and the dossier) so that the two halves of
the process can be worked on side by side; the conventions are the same: keyword-only
functions, one transaction, an audit entry inside it, refusals as ``RuleError``.

Dates come from the calendar (``review_selectors.contest_due``): the complaints window
closes on ``candidate_complaints_close`` and the final list is published only after that
day (the day of the last decision).
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Role
from amanat.audit.services import audit_record, audit_snapshot
from amanat.boards.models import BoardKind
from amanat.boards.selectors import require_complete
from amanat.candidates import review_selectors as rs
from amanat.candidates.models import (
    Board,
    Candidacy,
    Complaint,
    ComplaintOutcome,
    FinalList,
    FinalListEntry,
    Inquiry,
    InquiryAnswer,
    InquiryBatch,
    InquiryKind,
    Outcome,
    ReviewDecision,
    State,
)
from amanat.core.bulk import update_rows
from amanat.core.errors import RuleError
from amanat.core.templatetags.persian import list_separator
from amanat.elections.models import Contest, Election
from amanat.geo.models import AdminUnit, Constituency
from amanat.lib.collation import persian_key
from amanat.lib.persian import clean_text, search_key, to_ascii_digits

MAX_ARTICLE = 200
MAX_REASONS = 4000
MAX_REFERENCE = 200
# States in which inquiries may be sent and the executive board may decide.
REVIEWABLE = frozenset({State.REGISTERED, State.UNDER_REVIEW})
INQUIRY_FIELDS = ["answer", "adverse_reference", "note", "answered_at", "recorded_by"]


def _member(actor: AnyUser) -> User:
    """The signed-in person a decision or a batch is recorded under."""
    user = signed_in(actor)
    if user is None:
        raise RuleError(_("Only a signed-in member may do this."), code="signed_out")
    return user


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _refusal(*, actor: AnyUser | None, action: str, obj: Candidacy, unit: AdminUnit | None,
             error: RuleError) -> RuleError:
    """Record a refused attempt that matters (its own transaction: the refusal is raised
    after it), and hand the error back to be raised."""
    with transaction.atomic():
        audit_record(action=action, actor=signed_in(actor), unit=unit, obj=obj,
                     extra={"code": error.code, "field": error.field})
    return error


# --- the four inquiries -------------------------------------------------------------------


def inquiry_batch_send(*, actor: AnyUser, election: Election, unit: AdminUnit, kind: str,
                       candidacies: Sequence[Candidacy], due: datetime.date,
                       now: datetime.datetime | None = None) -> InquiryBatch:
    """Send the inquiry of ``kind`` about each candidacy to its authority, due on ``due``.

    A candidacy already asked of this authority is refused (an inquiry is sent once);
    registered candidacies go under review.
    """
    if kind not in InquiryKind.values:
        raise RuleError(_("Unknown inquiry authority."), code="unknown_kind", field="kind")
    today = timezone.localdate(_now(now))
    if due is None or due <= today:
        raise RuleError(_("The due date must be after today."), code="due_past", field="due")
    if not candidacies:
        raise RuleError(_("Choose at least one candidate."), code="required",
                        field="candidacies")
    ids = [c.pk for c in candidacies]
    with transaction.atomic():
        rows = list(Candidacy.objects.select_for_update().filter(pk__in=ids)
                    .values_list("pk", "state", "unit_path", "election_id", "reference"))
        # Under review, or disqualified with a complaint pending (rs.AWAITS_INQUIRY).
        awaiting = set(Candidacy.objects.filter(rs.AWAITS_INQUIRY, pk__in=ids)
                       .values_list("pk", flat=True))
        for pk, _state, path, election_id, reference in rows:
            if election_id != election.pk or not path.startswith(unit.path):
                raise RuleError(_("Candidate %(reference)s is not registered with this "
                                  "office."), code="other_office", field="candidacies",
                                reference=reference)
            if pk not in awaiting:
                raise RuleError(_("Candidate %(reference)s is not awaiting review."),
                                code="not_reviewable", field="candidacies",
                                reference=reference)
        asked = set(Inquiry.objects.filter(candidacy_id__in=ids, kind=kind)
                    .values_list("candidacy__reference", flat=True))
        if asked:
            raise RuleError(_("This authority has already been asked about %(references)s."),
                            code="already_asked", field="candidacies",
                            references=", ".join(sorted(asked)[:5]))
        batch = InquiryBatch.objects.create(
            reference=f"INQ-{secrets.token_hex(5).upper()}", election=election, kind=kind,
            unit=unit, unit_path=unit.path, due=due, sent_at=_now(now),
            sent_by=_member(actor))
        Inquiry.objects.bulk_create([Inquiry(candidacy_id=pk, batch=batch, kind=kind, due=due)
                                     for pk, *_rest in rows], batch_size=2000)
        Candidacy.objects.filter(pk__in=ids, state=State.REGISTERED).update(
            state=State.UNDER_REVIEW, updated_at=_now(now))
        audit_record(action="candidates.inquiry.send", actor=actor, unit=unit, obj=batch,
                     after={"kind": kind, "due": due.isoformat(), "count": len(rows)})
    return batch


def _answer_checked(answer: str, reference: str, due: datetime.date, today: datetime.date,
                    *, field_prefix: str = "") -> tuple[str, str]:
    if answer not in (InquiryAnswer.CLEAR, InquiryAnswer.ADVERSE, InquiryAnswer.NO_ANSWER):
        raise RuleError(_("The answer must be clear, adverse or no answer."),
                        code="unknown_answer", field=field_prefix + "answer")
    reference = clean_text(reference or "", multiline=False)
    if answer == InquiryAnswer.ADVERSE and not reference:
        raise RuleError(_("An adverse answer needs the authority's reference."),
                        code="reference_required", field=field_prefix + "adverse_reference")
    if len(reference) > MAX_REFERENCE:
        raise RuleError(_("The reference is longer than %(limit)s characters."),
                        code="too_long", field=field_prefix + "adverse_reference",
                        limit=MAX_REFERENCE)
    if answer == InquiryAnswer.NO_ANSWER and today <= due:
        raise RuleError(_("“No answer” can be recorded only after the due date %(due)s."),
                        code="not_due", field=field_prefix + "answer", due=due)
    return answer, reference if answer == InquiryAnswer.ADVERSE else ""


def inquiry_answer(*, actor: AnyUser, inquiry: Inquiry, answer: str, adverse_reference: str = "",
                   note: str = "", now: datetime.datetime | None = None) -> Inquiry:
    """Record the authority's answer to one inquiry (once: an answer is not rewritten)."""
    moment = _now(now)
    answer, reference = _answer_checked(answer, adverse_reference, inquiry.due,
                                        timezone.localdate(moment))
    candidacy = inquiry.candidacy
    if rs.party_candidacies(actor, candidacy.election, [candidacy.pk]):
        raise _refusal(actor=actor, action="candidates.inquiry.refused", obj=candidacy,
                       unit=candidacy.county, error=_party_error())
    with transaction.atomic():
        inquiry = Inquiry.objects.select_for_update().select_related("candidacy__county").get(
            pk=inquiry.pk)
        if inquiry.answer != InquiryAnswer.PENDING:
            raise RuleError(_("This inquiry has already been answered."), code="answered",
                            field="answer")
        inquiry.answer, inquiry.adverse_reference = answer, reference
        inquiry.note = clean_text(note or "")[:2000]
        inquiry.answered_at, inquiry.recorded_by = moment, signed_in(actor)
        inquiry.save(update_fields=INQUIRY_FIELDS)
        # The answer itself stays out of the log (confidential); its kind and who recorded.
        audit_record(action="candidates.inquiry.answer", actor=actor,
                     unit=inquiry.candidacy.county, obj=inquiry,
                     extra={"kind": inquiry.kind, "candidacy": inquiry.candidacy.reference})
    return inquiry


@dataclass
class AnswerRow:
    """One line of a batch of answers: the candidate's tracking code, the authority."""

    line: int
    reference: str
    kind: str
    answer: str
    adverse_reference: str = ""
    note: str = ""


@dataclass
class AnswersResult:
    applied: int = 0
    errors: list[tuple[int, RuleError]] = field(default_factory=list)


MAX_ERRORS = 50


def inquiry_answers_apply(*, actor: AnyUser, election: Election, paths: list[str],
                          rows: Iterable[AnswerRow], now: datetime.datetime | None = None
                          ) -> AnswersResult:
    """Apply a batch of answers (a spreadsheet, the API): all or nothing.

    ``paths`` are the unit paths the actor may record answers under (from the policy);
    an inquiry outside them is "not found", like one that does not exist. Every line is
    checked first; with any error nothing is stored and the errors are returned. The
    write is one bulk update and one audit entry.
    """
    moment = _now(now)
    today = timezone.localdate(moment)
    # A tracking code as the pages print it («DR۰۰۰۲۰۳») is the stored DR000203.
    rows = [dataclasses.replace(r, reference=to_ascii_digits(r.reference)) for r in rows]
    result = AnswersResult()
    references = {r.reference for r in rows}
    whole = any(p.count("/") == 1 for p in paths)
    found: dict[tuple[str, str], tuple[int, str, datetime.date]] = {}
    candidacy_of: dict[int, int] = {}
    for pk, reference, kind, answer, due, path, candidacy_id in (
            Inquiry.objects.filter(candidacy__election=election,
                                   candidacy__reference__in=references)
            .values_list("pk", "candidacy__reference", "kind", "answer", "due",
                         "candidacy__unit_path", "candidacy_id").iterator(chunk_size=5000)):
        if whole or any(path.startswith(p) for p in paths):
            found[(reference, kind)] = (pk, answer, due)
            candidacy_of[pk] = candidacy_id
    # A member who is a party (their own or a relative's candidacy) records no answer.
    parties = rs.party_candidacies(actor, election, set(candidacy_of.values()))
    updates: list[tuple[int, list[object]]] = []
    seen: set[int] = set()
    recorder = signed_in(actor)
    recorder_id = recorder.pk if recorder else None
    for row in rows:
        hit = found.get((row.reference, row.kind))
        try:
            if hit is None:
                raise RuleError(_("No inquiry of %(kind)s about candidate %(reference)s."),
                                code="not_found", field="reference", kind=row.kind,
                                reference=row.reference)
            pk, current, due = hit
            if candidacy_of[pk] in parties:
                raise _party_error()
            if current != InquiryAnswer.PENDING or pk in seen:
                raise RuleError(_("The inquiry about %(reference)s has already been "
                                  "answered."), code="answered", field="answer",
                                reference=row.reference)
            answer, reference = _answer_checked(row.answer, row.adverse_reference, due, today)
        except RuleError as error:
            result.errors.append((row.line, error))
            if len(result.errors) >= MAX_ERRORS:
                break
            continue
        seen.add(pk)
        updates.append((pk, [answer, reference, clean_text(row.note or "")[:2000], moment,
                             recorder_id]))
    if result.errors:
        return result
    with transaction.atomic():
        # Rows answered since they were read are refused as a whole (the lock is the row).
        still = set(Inquiry.objects.select_for_update()
                    .filter(pk__in=[pk for pk, _v in updates], answer=InquiryAnswer.PENDING)
                    .values_list("pk", flat=True)) if len(updates) <= 20_000 else None
        if still is not None and len(still) != len(updates):
            raise RuleError(_("Some of these inquiries were answered meanwhile; try again."),
                            code="conflict")
        result.applied = update_rows(Inquiry, INQUIRY_FIELDS, updates)
        counts: dict[str, int] = {}
        for _pk, values in updates:
            counts[str(values[0])] = counts.get(str(values[0]), 0) + 1
        audit_record(action="candidates.inquiry.answer_batch", actor=actor,
                     object_type="candidates.inquiry", object_id=election.slug,
                     extra={"count": result.applied, "answers": counts,
                            "first": updates[0][0] if updates else None,
                            "last": updates[-1][0] if updates else None})
    return result


# --- review by the boards --------------------------------------------------------------------


def _article(text: str) -> str:
    article = clean_text(text or "", multiline=False)
    if len(article) > MAX_ARTICLE:
        raise RuleError(_("The legal article is longer than %(limit)s characters."),
                        code="too_long", field="legal_article", limit=MAX_ARTICLE)
    return article


def _reasons(text: str) -> str:
    reasons = clean_text(text or "")
    if len(reasons) > MAX_REASONS:
        raise RuleError(_("The reasons are longer than %(limit)s characters."),
                        code="too_long", field="reasons", limit=MAX_REASONS)
    return reasons


def _require_role(actor: AnyUser, role: str, unit: AdminUnit) -> None:
    if not rs.holds_role(actor, role, unit):
        raise RuleError(_("Only a member of the %(board)s may take this decision."),
                        code="wrong_role", field="outcome",
                        board=Board.EXECUTIVE.label if role == Role.EXECUTIVE_BOARD
                        else Board.SUPERVISION.label)


def _require_seat(*, actor: AnyUser, kind: str, candidacy: Candidacy, action: str) -> None:
    """Refuse (and record the attempt) unless ``actor`` holds a serving seat on the board
    of ``kind`` acting for the candidacy (their account linked to it in amanat/boards),
    and is neither the candidate nor a declared relative of the candidate."""
    seat = rs.board_seat(actor, kind, candidacy)
    board = (Board.EXECUTIVE.label if kind == BoardKind.COUNTY_EXECUTIVE
             else Board.SUPERVISION.label)
    if seat is None:
        raise _refusal(actor=actor, action=action, obj=candidacy, unit=candidacy.county,
                       error=RuleError(
                           _("Only a serving member of the %(board)s may take this decision; "
                             "your account is not linked to a serving seat on it."),
                           code="not_a_member", field="outcome", board=board))
    if rs.party_to(seat, candidacy):
        raise _refusal(actor=actor, action=action, obj=candidacy, unit=candidacy.county,
                       error=RuleError(
                           _("A board member takes no part in the decision on their own "
                             "candidacy or on a relative's."),
                           code="party", field="outcome"))


def _party_error() -> RuleError:
    return RuleError(_("A board member neither records nor reads the inquiry answers about "
                       "their own candidacy or a relative's."), code="party", field="answer")


def _board_ready(*, actor: AnyUser, kind: str, candidacy: Candidacy, action: str) -> None:
    """Refuse (and record the attempt) while the board that would act is incomplete
    (amanat/boards: a board acts only with all its members by law and a chair)."""
    try:
        require_complete(election=candidacy.election, kind=kind, unit=candidacy.county)
    except RuleError as error:
        raise _refusal(actor=actor, action=action, obj=candidacy, unit=candidacy.county,
                       error=error) from None


# A list of labels in the reader's language, joined as the language joins a list.
_listed = lazy(lambda items: list_separator().join(str(i) for i in items), str)


def _require_answers(*, actor: AnyUser, candidacy: Candidacy, action: str,
                     moment: datetime.datetime) -> None:
    """Refuse (and record the attempt) a result that qualifies the candidate while any of
    the four inquiries is unanswered (``rs.unanswered_inquiries``): the inquiries are
    the basis of the review. A disqualification is not held back by them: it rests on
    the legal article it names (required), and may come before the answers."""
    missing = rs.unanswered_inquiries(candidacy, timezone.localdate(moment))
    if missing:
        raise _refusal(actor=actor, action=action, obj=candidacy, unit=candidacy.county,
                       error=RuleError(
                           _("A candidate is qualified only on the answers of the four "
                             "inquiries; still unanswered (not sent, or awaited before "
                             "their due date): %(inquiries)s. A disqualification under "
                             "its legal article may be decided before them."),
                           code="inquiries_unanswered", field="outcome",
                           inquiries=_listed([kind.label for kind in missing])))


def decision_make(*, actor: AnyUser, candidacy: Candidacy, outcome: str, legal_article: str = "",
                  reasons: str = "", now: datetime.datetime | None = None) -> ReviewDecision:
    """The county executive board decides: qualified, or disqualified under an article."""
    unit = candidacy.county
    if outcome not in (Outcome.QUALIFIED, Outcome.DISQUALIFIED):
        raise RuleError(_("The executive board decides qualified or disqualified."),
                        code="unknown_outcome", field="outcome")
    _require_role(actor, Role.EXECUTIVE_BOARD, unit)
    _board_ready(actor=actor, kind=BoardKind.COUNTY_EXECUTIVE, candidacy=candidacy,
                 action="candidates.decision.refused")
    _require_seat(actor=actor, kind=BoardKind.COUNTY_EXECUTIVE, candidacy=candidacy,
                  action="candidates.decision.refused")
    article, text = _article(legal_article), _reasons(reasons)
    if outcome == Outcome.DISQUALIFIED and not article:
        raise _refusal(actor=actor, action="candidates.decision.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("A disqualification must name the legal article it rests on."),
                           code="article_required", field="legal_article"))
    if outcome == Outcome.QUALIFIED:
        _require_answers(actor=actor, candidacy=candidacy, moment=_now(now),
                         action="candidates.decision.refused")
    with transaction.atomic():
        candidacy = Candidacy.objects.select_for_update().get(pk=candidacy.pk)
        if candidacy.state not in REVIEWABLE:
            raise RuleError(_("This candidacy is not awaiting the executive board's "
                              "decision."), code="not_reviewable", field="outcome")
        if rs.open_executive_decision(candidacy) is not None:
            raise RuleError(_("The executive board has decided; the supervision board has "
                              "not yet confirmed or overturned it."), code="awaiting_check",
                            field="outcome")
        decision = ReviewDecision.objects.create(
            candidacy=candidacy, board=Board.EXECUTIVE, outcome=outcome, legal_article=article,
            reasons=text, decided_by=_member(actor), decided_at=_now(now))
        if candidacy.state == State.REGISTERED:
            candidacy.state = State.UNDER_REVIEW
            candidacy.save(update_fields=["state", "updated_at"])
        audit_record(action="candidates.decision.make", actor=actor, unit=unit, obj=decision,
                     after=audit_snapshot(decision, ["candidacy", "board", "outcome",
                                                     "legal_article"]))
    return decision


def _flip(outcome: str) -> str:
    return Outcome.DISQUALIFIED if outcome == Outcome.QUALIFIED else Outcome.QUALIFIED


def decision_check(*, actor: AnyUser, decision: ReviewDecision, outcome: str,
                   legal_article: str = "", reasons: str = "",
                   now: datetime.datetime | None = None) -> ReviewDecision:
    """The supervision board confirms or overturns an executive decision; the checker is
    never the maker. The candidacy then is qualified or disqualified."""
    candidacy = decision.candidacy
    unit = candidacy.county
    if outcome not in (Outcome.CONFIRMED, Outcome.OVERTURNED):
        raise RuleError(_("The supervision board confirms or overturns."),
                        code="unknown_outcome", field="outcome")
    _require_role(actor, Role.SUPERVISION_BOARD, unit)
    _board_ready(actor=actor, kind=BoardKind.SUPERVISION, candidacy=candidacy,
                 action="candidates.decision.refused")
    _require_seat(actor=actor, kind=BoardKind.SUPERVISION, candidacy=candidacy,
                  action="candidates.decision.refused")
    checker = signed_in(actor)
    if checker is not None and decision.decided_by_id == checker.pk:
        raise _refusal(actor=actor, action="candidates.decision.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("The decision must be checked by someone other than its maker."),
                           code="same_person", field="outcome"))
    article, text = _article(legal_article), _reasons(reasons)
    result = decision.outcome if outcome == Outcome.CONFIRMED else _flip(decision.outcome)
    if result == Outcome.DISQUALIFIED and outcome == Outcome.OVERTURNED and not article:
        raise _refusal(actor=actor, action="candidates.decision.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("A disqualification must name the legal article it rests on."),
                           code="article_required", field="legal_article"))
    if result == Outcome.QUALIFIED:
        _require_answers(actor=actor, candidacy=candidacy, moment=_now(now),
                         action="candidates.decision.refused")
    with transaction.atomic():
        candidacy = Candidacy.objects.select_for_update().get(pk=candidacy.pk)
        if rs.open_executive_decision(candidacy) != decision.pk:
            raise RuleError(_("This decision has already been confirmed or overturned."),
                            code="already_checked", field="outcome")
        check = ReviewDecision.objects.create(
            candidacy=candidacy, board=Board.SUPERVISION, outcome=outcome,
            legal_article=article or (decision.legal_article if outcome == Outcome.CONFIRMED
                                      else ""),
            reasons=text, reviews=decision, maker_id=decision.decided_by_id,
            decided_by=_member(actor), decided_at=_now(now))
        candidacy.state = (State.QUALIFIED if result == Outcome.QUALIFIED
                           else State.DISQUALIFIED)
        candidacy.save(update_fields=["state", "updated_at"])
        audit_record(action=f"candidates.decision.{outcome}", actor=actor, unit=unit, obj=check,
                     after={"reviews": decision.pk, "result": result,
                            "legal_article": check.legal_article})
    return check


# --- complaints -------------------------------------------------------------------------------


def complaint_file(*, actor: AnyUser, candidacy: Candidacy, text: str,
                   now: datetime.datetime | None = None) -> Complaint:
    """A disqualified candidate's complaint, entered by the county office, within the
    complaints window; refused after it with the window's dates."""
    unit = candidacy.county
    moment = _now(now)
    text = clean_text(text or "")
    if not text:
        raise RuleError(_("Write the complaint."), code="required", field="text")
    if len(text) > 5000:
        raise RuleError(_("The complaint is longer than %(limit)s characters."),
                        code="too_long", field="text", limit=5000)
    opens, closes = rs.complaints_window(candidacy.contest)
    today = timezone.localdate(moment)
    if opens is None or closes is None:
        raise RuleError(_("The calendar has no complaints window for candidates."),
                        code="no_window", field="text")
    if not opens <= today <= closes:
        raise _refusal(actor=actor, action="candidates.complaint.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("Complaints are received from %(opens)s to the end of "
                             "%(closes)s; the window is closed."),
                           code="window_closed", field="text", opens=opens, closes=closes))
    with transaction.atomic():
        candidacy = Candidacy.objects.select_for_update().get(pk=candidacy.pk)
        if candidacy.state != State.DISQUALIFIED:
            raise RuleError(_("Only a disqualified candidate may complain."),
                            code="not_disqualified", field="text")
        if Complaint.objects.filter(candidacy=candidacy).exists():
            raise RuleError(_("This candidate has already complained."), code="exists",
                            field="text")
        complaint = Complaint.objects.create(candidacy=candidacy, text=text, filed_at=moment,
                                             filed_by=signed_in(actor))
        audit_record(action="candidates.complaint.file", actor=actor, unit=unit, obj=complaint,
                     after={"candidacy": candidacy.reference})
    return complaint


def complaint_decide(*, actor: AnyUser, complaint: Complaint, outcome: str,
                     legal_article: str = "", decision_text: str = "",
                     now: datetime.datetime | None = None) -> Complaint:
    """The supervision board decides a complaint; final and dated. Upheld: the candidate
    is qualified; rejected: the disqualification stands (under a legal article)."""
    candidacy = complaint.candidacy
    unit = candidacy.county
    if outcome not in (ComplaintOutcome.UPHELD, ComplaintOutcome.REJECTED):
        raise RuleError(_("A complaint is upheld or rejected."), code="unknown_outcome",
                        field="outcome")
    _require_role(actor, Role.SUPERVISION_BOARD, unit)
    _board_ready(actor=actor, kind=BoardKind.SUPERVISION, candidacy=candidacy,
                 action="candidates.complaint.refused")
    _require_seat(actor=actor, kind=BoardKind.SUPERVISION, candidacy=candidacy,
                  action="candidates.complaint.refused")
    if rs.took_part_in_decision(actor, candidacy):
        raise _refusal(actor=actor, action="candidates.complaint.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("A complaint is decided by a member who took no part in the "
                             "decision complained of; another member of the board must "
                             "decide it."),
                           code="took_part", field="outcome"))
    article = _article(legal_article)
    text = _reasons(decision_text)
    if outcome == ComplaintOutcome.REJECTED and not article:
        raise _refusal(actor=actor, action="candidates.complaint.refused", obj=candidacy,
                       unit=unit, error=RuleError(
                           _("A disqualification must name the legal article it rests on."),
                           code="article_required", field="legal_article"))
    if outcome == ComplaintOutcome.UPHELD:
        _require_answers(actor=actor, candidacy=candidacy, moment=_now(now),
                         action="candidates.complaint.refused")
    with transaction.atomic():
        complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
        if complaint.outcome != ComplaintOutcome.PENDING:
            raise RuleError(_("This complaint has been decided; the decision is final."),
                            code="final", field="outcome")
        complaint.outcome, complaint.legal_article = outcome, article
        complaint.decision_text = text
        complaint.decided_at, complaint.decided_by = _now(now), signed_in(actor)
        complaint.save()
        if outcome == ComplaintOutcome.UPHELD:
            Candidacy.objects.filter(pk=candidacy.pk).update(state=State.QUALIFIED,
                                                              updated_at=_now(now))
        audit_record(action=f"candidates.complaint.{outcome}", actor=actor, unit=unit,
                     obj=complaint, after={"candidacy": candidacy.reference,
                                           "legal_article": article})
    return complaint


# --- the final list ----------------------------------------------------------------------------


def final_list_publish(*, actor: AnyUser, contest: Contest, constituency: Constituency,
                       now: datetime.datetime | None = None) -> FinalList:
    """Publish the final list of one constituency: the qualified candidates in the
    ballot's order (alphabetical by last name, then first name). Only after the final
    decision date, and only once nothing in the constituency awaits a decision."""
    moment = _now(now)
    if not contest.constituencies.filter(pk=constituency.pk).exists():
        # Both come from the URL: without this an empty "final list" of any contest was
        # published for any constituency in the publisher's reach.
        raise RuleError(_("%(constituency)s is not a constituency of %(contest)s."),
                        code="constituency", constituency=constituency.name,
                        contest=contest.name)
    final_day = rs.final_decision_day(contest)
    if final_day is None:
        raise RuleError(_("The calendar has no final decision date for candidates."),
                        code="no_date")
    if timezone.localdate(moment) <= final_day:
        raise RuleError(_("The final list may be published only after the final decision "
                          "date, %(day)s."), code="too_early", day=final_day)
    with transaction.atomic():
        final, _created = FinalList.objects.select_for_update().get_or_create(
            contest=contest, constituency=constituency)
        if final.published_at is not None:
            raise RuleError(_("This final list has already been published."),
                            code="published")
        base = Candidacy.objects.filter(contest=contest, constituency=constituency)
        pending = (base.filter(state__in=REVIEWABLE).count()
                   + Complaint.objects.filter(candidacy__in=base,
                                              outcome=ComplaintOutcome.PENDING).count())
        if pending:
            raise RuleError(_("%(count)s candidacies of this constituency still await a "
                              "decision."), code="pending", count=pending)
        # The ballot is in Persian alphabetical order of surname, then given name (code
        # point order put پ چ ژ گ after ی).
        qualified = sorted(base.filter(state=State.QUALIFIED),
                           key=lambda c: (persian_key(search_key(c.last_name)),
                                          persian_key(search_key(c.first_name)), c.reference))
        FinalListEntry.objects.bulk_create([
            FinalListEntry(final_list=final, candidacy=c, ballot_order=i,
                           ballot_name=f"{c.first_name} {c.last_name}")
            for i, c in enumerate(qualified, start=1)])
        final.published_at, final.published_by = moment, signed_in(actor)
        final.save()
        audit_record(action="candidates.final_list.publish", actor=actor,
                     unit=constituency.unit or constituency.province, obj=final,
                     after={"contest": contest.pk, "constituency": constituency.code,
                            "entries": len(qualified)})
    return final


def final_list_withdraw(*, actor: AnyUser, entry: FinalListEntry, note: str,
                        now: datetime.datetime | None = None) -> FinalListEntry:
    """Record a withdrawal after publication: the entry stays, marked and dated."""
    note = clean_text(note or "", multiline=False)
    if not note:
        raise RuleError(_("Say how the withdrawal was received."), code="required",
                        field="note")
    if len(note) > 500:
        raise RuleError(_("The note is longer than %(limit)s characters."), code="too_long",
                        field="note", limit=500)
    with transaction.atomic():
        entry = FinalListEntry.objects.select_for_update().select_related(
            "final_list", "candidacy__county").get(pk=entry.pk)
        if entry.final_list.published_at is None:
            raise RuleError(_("The list is not published yet."), code="not_published",
                            field="note")
        if entry.withdrawn_at is not None:
            raise RuleError(_("This withdrawal has already been recorded."),
                            code="withdrawn", field="note")
        entry.withdrawn_at, entry.withdrawal_note = _now(now), note
        entry.withdrawal_recorded_by = signed_in(actor)
        entry.save()
        Candidacy.objects.filter(pk=entry.candidacy_id).update(state=State.WITHDRAWN,
                                                                updated_at=_now(now))
        audit_record(action="candidates.final_list.withdraw", actor=actor,
                     unit=entry.candidacy.county, obj=entry,
                     after={"candidacy": entry.candidacy.reference, "note": note})
    return entry
