"""Reads of the second half of the candidate process: inquiries, review history,
complaints, the final list (issue 13).

Inquiry answers are confidential: ``scoped_inquiries`` reaches them only for the roles
the policy gives ``candidates.inquiry`` (the boards; national ones through a membership
at the country); the pages that show them do it on an audited POST.

Dates: a contest's candidate dates are the election's milestones, unless the calendar
holds a milestone for that kind of contest (``<code>__<contest kind>``): the Assembly of
Experts by-election runs its candidate review on its own dates.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from amanat.accounts import policy
from amanat.accounts.access import (
    AnyUser,
    get_object_for_user,
    scope_paths,
    scope_queryset,
    user_memberships,
)
from amanat.boards.models import BoardMember
from amanat.boards.selectors import board_of
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
    ReviewDecision,
    State,
)
from amanat.elections.models import Contest, Election, Milestone, MilestoneCode
from amanat.geo.models import AdminUnit

CANDIDACY = "candidates.candidacy"
INQUIRY = "candidates.inquiry"
DECISION = "candidates.reviewdecision"
COMPLAINT = "candidates.complaint"
FINAL_LIST = "candidates.finallist"

REGISTRATION_CLOSES = MilestoneCode.REGISTRATION_CLOSES
COMPLAINTS_CLOSE = MilestoneCode.CANDIDATE_COMPLAINTS_CLOSE


# --- dates ------------------------------------------------------------------------------------


def contest_due(contest: Contest, code: str) -> datetime.date | None:
    """The due date of milestone ``code`` for ``contest``: the contest's own registration
    dates where set (``Contest.registration_opens``/``closes``, as the registration
    itself reads them), else its kind's milestone, else the election's; None when the
    calendar has neither."""
    own = {MilestoneCode.REGISTRATION_OPENS: contest.registration_opens,
           MilestoneCode.REGISTRATION_CLOSES: contest.registration_closes}.get(code)
    if own is not None:
        return own
    dues = dict(Milestone.objects.filter(
        election_id=contest.election_id, code__in=[code, f"{code}__{contest.kind}"],
    ).values_list("code", "due"))
    return dues.get(f"{code}__{contest.kind}") or dues.get(code)


def complaints_window(contest: Contest) -> tuple[datetime.date | None, datetime.date | None]:
    """From the close of registration (review starts) to the close of complaints."""
    return contest_due(contest, REGISTRATION_CLOSES), contest_due(contest, COMPLAINTS_CLOSE)


def final_decision_day(contest: Contest) -> datetime.date | None:
    """The last day decisions (complaints included) are taken: the list follows it."""
    return contest_due(contest, COMPLAINTS_CLOSE)


# --- roles -------------------------------------------------------------------------------------


def holds_role(user: AnyUser, role: str, unit: AdminUnit) -> bool:
    """Whether ``user`` holds ``role`` at ``unit`` or above it."""
    return any(m.role == role and unit.path.startswith(m.unit.path)
               for m in user_memberships(user))


def board_seat(user: AnyUser, kind: str, candidacy: Candidacy) -> BoardMember | None:
    """The serving seat ``user`` holds on the board of ``kind`` that acts for the
    candidacy's county (amanat/boards: a member's account is linked to their seat), or
    None. The review is the board's act: an account role without a serving seat (a member
    replaced or whose service ended, a role holder never appointed) decides nothing."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    board = board_of(election=candidacy.election, kind=kind, unit=candidacy.county)
    if board is None:
        return None
    seat: BoardMember | None = board.members.serving().filter(user_id=user.pk).first()
    return seat


def party_to(seat: BoardMember, candidacy: Candidacy) -> bool:
    """Whether the member is the candidate or one of the candidate's declared relatives:
    no one decides their own case."""
    return (seat.national_id == candidacy.national_id
            or candidacy.relatives.filter(national_id=seat.national_id).exists())


def party_candidacies(user: AnyUser, election: Election, candidacy_ids: Any) -> set[int]:
    """Among ``candidacy_ids``, those ``user`` is a party to through a serving seat on any
    board of ``election`` (the seat's national ID is the candidate's or a declared
    relative's): such a member neither records the inquiry answers nor reads them, as
    they decide nothing on them (``party_to``)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return set()
    nids = set(BoardMember.objects.serving().filter(
        user_id=user.pk, board__election=election).values_list("national_id", flat=True))
    if not nids:
        return set()
    ids = list(candidacy_ids)
    return set(Candidacy.objects.filter(
        Q(national_id__in=nids) | Q(relatives__national_id__in=nids), pk__in=ids,
    ).values_list("pk", flat=True))


def took_part_in_decision(user: AnyUser, candidacy: Candidacy) -> bool:
    """Whether ``user`` took part in the decision a complaint is against: the supervision
    board's check that made the candidacy's outcome (its checker) and the executive
    decision it reviewed (its maker). The same person through another account counts
    too: a serving seat of the user on a board of the election with the national ID of a
    seat linked to one of those accounts. No one judges the appeal against their own
    decision (attack review 2, F2)."""
    if not getattr(user, "is_authenticated", False) or user.pk is None:
        return False
    check = (ReviewDecision.objects
             .filter(candidacy=candidacy, board=Board.SUPERVISION)
             .order_by("-decided_at", "-pk").values("decided_by_id", "maker_id").first())
    if check is None:
        return False
    takers = {check["decided_by_id"], check["maker_id"]} - {None}
    if user.pk in takers:
        return True
    seats = BoardMember.objects.filter(board__election=candidacy.election)
    nids = set(seats.filter(user_id__in=takers).values_list("national_id", flat=True))
    return bool(nids) and seats.serving().filter(user_id=user.pk,
                                                 national_id__in=nids).exists()


def open_executive_decision(candidacy: Candidacy) -> int | None:
    """The executive decision awaiting the supervision board, if any (its id)."""
    pk: int | None = (ReviewDecision.objects
                      .filter(candidacy=candidacy, board=Board.EXECUTIVE,
                              reviewed_by__isnull=True)
                      .values_list("pk", flat=True).first())
    return pk


def unanswered_inquiries(candidacy: Candidacy, today: datetime.date) -> list[InquiryKind]:
    """The four inquiries the board cannot yet decide a qualification on, in their
    order: not sent, or pending and not yet past their due date.

    The answer states are clear, adverse and no answer (issue 13): an inquiry still
    pending after its due date counts as "no answer" (the authority's silence), as if
    it had been recorded so; one pending before its due date is awaited.
    """
    sent: dict[str, tuple[str, datetime.date]] = {
        kind: (answer, due) for kind, answer, due in Inquiry.objects.filter(
            candidacy=candidacy).values_list("kind", "answer", "due")}
    missing = []
    for kind in InquiryKind:
        found = sent.get(kind.value)
        if found is None or (found[0] == InquiryAnswer.PENDING and found[1] >= today):
            missing.append(kind)
    return missing


# --- scope --------------------------------------------------------------------------------------


def get_candidacy_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Candidacy:
    return get_object_for_user(
        user, Candidacy, pk, action=action, path_field="unit_path", model_label=CANDIDACY,
        queryset=Candidacy.objects.select_related("contest", "constituency", "county",
                                                  "election"))


def scoped_inquiries(user: AnyUser, action: str = policy.VIEW) -> QuerySet[Inquiry]:
    return scope_queryset(user, Inquiry.objects.all(), action=action,
                          path_field="candidacy__unit_path", model_label=INQUIRY)


def inquiry_paths(user: AnyUser, action: str = policy.CHANGE) -> list[str]:
    return scope_paths(user, INQUIRY, action)


def get_inquiry_for_user(user: AnyUser, pk: Any, *, action: str = policy.CHANGE) -> Inquiry:
    return get_object_for_user(
        user, Inquiry, pk, action=action, path_field="candidacy__unit_path",
        model_label=INQUIRY,
        queryset=Inquiry.objects.select_related("candidacy__county", "batch"))


def get_decision_for_user(user: AnyUser, pk: Any) -> ReviewDecision:
    return get_object_for_user(
        user, ReviewDecision, pk, action=policy.CREATE, path_field="candidacy__unit_path",
        model_label=DECISION,
        queryset=ReviewDecision.objects.select_related("candidacy__county",
                                                       "candidacy__contest"))


def get_complaint_for_user(user: AnyUser, pk: Any, *, action: str = policy.CHANGE
                           ) -> Complaint:
    return get_object_for_user(
        user, Complaint, pk, action=action, path_field="candidacy__unit_path",
        model_label=COMPLAINT,
        queryset=Complaint.objects.select_related("candidacy__county", "candidacy__contest"))


def get_entry_for_user(user: AnyUser, pk: Any) -> FinalListEntry:
    return get_object_for_user(
        user, FinalListEntry, pk, action=policy.CHANGE, path_field="candidacy__unit_path",
        model_label=FINAL_LIST,
        queryset=FinalListEntry.objects.select_related("final_list", "candidacy__county"))


# --- inquiries ---------------------------------------------------------------------------------


def county_inquiries(user: AnyUser, *, election: Election, county: AdminUnit | None,
                     late_only: bool, today: datetime.date | None = None,
                     action: str = policy.CREATE) -> QuerySet[Inquiry]:
    """Inquiries in reach, pending ones first by due date; ``late_only``: pending past due.
    The answer is not read here (only its being pending). Scoped by the office's right to
    send inquiries (``action``), not by the boards' right to read them: the office that
    sent a batch must see it to chase the late ones."""
    today = today or timezone.localdate()
    qs = scoped_inquiries(user, action).filter(candidacy__election=election)
    if county is not None:
        qs = qs.filter(candidacy__unit_path__startswith=county.path)
    if late_only:
        qs = qs.filter(answer=InquiryAnswer.PENDING, due__lt=today)
    return (qs.select_related("candidacy", "batch")
            .only("pk", "kind", "due", "answer", "batch__reference", "candidacy__reference",
                  "candidacy__first_name", "candidacy__last_name", "candidacy__unit_path")
            .order_by("due", "candidacy_id", "kind"))


# Candidacies an inquiry may be sent about: those under review, and a disqualified one
# whose complaint is pending (disqualified before the answers came, under its article: the
# supervision board upholds a complaint only on the four answers).
AWAITS_INQUIRY = (Q(state__in=[State.REGISTERED, State.UNDER_REVIEW])
                  | Q(state=State.DISQUALIFIED, complaint__outcome=ComplaintOutcome.PENDING))


def awaiting_inquiry(user: AnyUser, *, election: Election, county: AdminUnit, kind: str
                     ) -> QuerySet[Candidacy]:
    """Candidacies of the county not yet asked of ``kind``'s authority."""
    return (scope_queryset(user, Candidacy.objects.all(), action=policy.CREATE,
                           path_field="unit_path", model_label=INQUIRY)
            .filter(AWAITS_INQUIRY, election=election, unit_path__startswith=county.path)
            .exclude(inquiries__kind=kind))


def batches(user: AnyUser, *, election: Election, county: AdminUnit | None
            ) -> QuerySet[InquiryBatch]:
    qs = scope_queryset(user, InquiryBatch.objects.filter(election=election),
                        action=policy.CREATE, path_field="unit_path", model_label=INQUIRY)
    if county is not None:
        qs = qs.filter(unit_path__startswith=county.path)
    return qs.select_related("unit").annotate(size=Count("inquiries"),
                       pending=Count("inquiries", filter=Q(
                           inquiries__answer=InquiryAnswer.PENDING)))


# --- the review page ----------------------------------------------------------------------------


@dataclass
class Review:
    candidacy: Candidacy
    decisions: list[ReviewDecision]
    open_decision: ReviewDecision | None
    complaint: Complaint | None
    inquiries: list[Inquiry]
    entry: FinalListEntry | None


def member_names(election: Election, user_ids: set[int]) -> dict[int, str]:
    """The full name of the board member behind each account (their latest seat on a
    board of ``election``), else the account's full name, else its username: a decision
    is signed by the person, not the login (user review 2, F14)."""
    if not user_ids:
        return {}
    names: dict[int, str] = {}
    for user_id, full_name in (BoardMember.objects
                               .filter(board__election=election, user_id__in=user_ids)
                               .order_by("appointed_on", "pk")
                               .values_list("user_id", "full_name")):
        names[user_id] = full_name
    from_accounts = get_user_model().objects.filter(pk__in=user_ids - set(names))
    for user in from_accounts:
        names[user.pk] = user.get_full_name() or user.get_username()
    return names


def review(candidacy: Candidacy) -> Review:
    decisions = list(ReviewDecision.objects.filter(candidacy=candidacy)
                     .select_related("reviews").order_by("decided_at", "pk"))
    checked = {d.reviews_id for d in decisions if d.reviews_id}
    open_decision = next((d for d in decisions
                          if d.board == Board.EXECUTIVE and d.pk not in checked), None)
    complaint = Complaint.objects.filter(candidacy=candidacy).first()
    deciders = {d.decided_by_id for d in decisions}
    if complaint is not None and complaint.decided_by_id:
        deciders.add(complaint.decided_by_id)
    # Who decided: the member's full name on their seat (``decider_name``).
    names = member_names(candidacy.election, deciders)
    for d in decisions:
        d.decider_name = names.get(d.decided_by_id, "")  # type: ignore[attr-defined]
    if complaint is not None:
        complaint.decider_name = names.get(complaint.decided_by_id or 0, "")  # type: ignore[attr-defined]
    return Review(
        candidacy=candidacy, decisions=decisions, open_decision=open_decision,
        complaint=complaint,
        # Without the answer: kind, due date and whether it is answered.
        inquiries=list(Inquiry.objects.filter(candidacy=candidacy)
                       .only("pk", "kind", "due", "answer", "answered_at", "candidacy_id")),
        entry=FinalListEntry.objects.filter(candidacy=candidacy)
        .select_related("final_list").first(),
    )


def inquiry_answers(candidacy: Candidacy) -> list[Inquiry]:
    """The confidential answers (the caller checks the role and audits the read)."""
    return list(Inquiry.objects.filter(candidacy=candidacy).select_related("recorded_by",
                                                                          "batch"))


def complaints(user: AnyUser, *, election: Election, county: AdminUnit | None,
               pending_only: bool) -> QuerySet[Complaint]:
    qs = scope_queryset(user, Complaint.objects.filter(candidacy__election=election),
                        action=policy.VIEW, path_field="candidacy__unit_path",
                        model_label=COMPLAINT)
    if county is not None:
        qs = qs.filter(candidacy__unit_path__startswith=county.path)
    if pending_only:
        qs = qs.filter(outcome=ComplaintOutcome.PENDING)
    return qs.select_related("candidacy").order_by("filed_at", "pk")


# --- the final list (public) --------------------------------------------------------------------


def published_lists(election: Election | None = None) -> QuerySet[FinalList]:
    qs = FinalList.objects.filter(published_at__isnull=False)
    if election is not None:
        qs = qs.filter(contest__election=election)
    return (qs.select_related("contest", "constituency")
            .annotate(size=Count("entries"))
            .order_by("contest_id", "constituency__code"))


def get_published_list(pk: Any) -> FinalList | None:
    from_pk = FinalList.objects.filter(published_at__isnull=False).select_related(
        "contest__election", "constituency").prefetch_related(
        Prefetch("entries", queryset=FinalListEntry.objects.order_by("ballot_order")
                 .select_related("candidacy")))
    try:
        return from_pk.get(pk=int(pk))
    except (FinalList.DoesNotExist, ValueError, TypeError):
        return None


def publishable(user: AnyUser, *, election: Election) -> QuerySet[Any]:
    """(contest, constituency) pairs in reach that have qualified candidates and no
    published list yet."""
    paths = scope_paths(user, FINAL_LIST, policy.CHANGE)
    qs = Candidacy.objects.filter(election=election, state=State.QUALIFIED,
                                  final_entry__isnull=True)
    if not any(p.count("/") == 1 for p in paths):
        condition = Q(pk__in=[])
        for path in paths:
            condition |= Q(constituency__unit_path__startswith=path)
        qs = qs.filter(condition)
    return (qs.values("contest_id", "contest__name", "constituency_id", "constituency__name",
                      "constituency__code")
            .annotate(qualified=Count("pk")).order_by("contest_id", "constituency__code"))
