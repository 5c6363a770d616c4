"""Demo of the review half of the candidate process (issue 13): inquiries late and on
time, the boards' decisions, two complaints (one upheld, overturning a disqualification)
and a published final list for the Tehran Assembly of Experts by-election.

Dates. The election's candidate calendar is counted from the load day
(``elections.demo``): registration closes on load day and the councils' review runs over
the next weeks, so the council candidates of Gharchak and Kerman are shown mid-review.
The by-election runs its candidate review on its own, earlier calendar: milestones
``<code>__assembly_of_experts`` (registration closed 40 days before load day, complaints
closed 10 days before), which ``review_selectors.contest_due`` prefers for that contest.
Its candidates were registered, asked about, decided and complained in that past
window (the services take the moment as ``now``); the list is published on load day.
By-election candidacies still awaiting review when this runs (the registration demo's)
are taken through the same steps on load day, so nothing blocks the list.

Synthetic people; national IDs with a valid check digit. Running it twice changes
nothing (a published by-election list means the demo is there).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_KEY_HEX
from amanat.accounts.models import Membership, Role
from amanat.accounts.services import membership_grant_system
from amanat.audit.services import audit_record
from amanat.candidates import review_services as services
from amanat.candidates.models import (
    Candidacy,
    Channel,
    EducationLevel,
    FinalList,
    Inquiry,
    InquiryAnswer,
    InquiryKind,
    Outcome,
    State,
)
from amanat.elections.demo import load_day_of
from amanat.elections.models import Contest, ContestKind, Election, Milestone, PhaseKind
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind, Kind
from amanat.lib.persian import search_key

GHARCHAK, KERMAN, TEHRAN = "2321", "0808", "23"
AE = ContestKind.ASSEMBLY_OF_EXPERTS
# The by-election's own calendar: (code, name, days from load day).
AE_CALENDAR = [
    ("candidate_registration_opens", "آغاز ثبت‌نام داوطلبان میان‌دوره‌ای خبرگان", -50),
    ("candidate_registration_closes", "پایان ثبت‌نام داوطلبان میان‌دوره‌ای خبرگان", -40),
    ("candidate_review_ends", "پایان بررسی صلاحیت داوطلبان میان‌دوره‌ای خبرگان", -30),
    ("candidate_supervision_ends", "پایان رسیدگی نظارت بر داوطلبان میان‌دوره‌ای خبرگان", -20),
    ("candidate_complaints_close", "پایان رسیدگی به شکایات داوطلبان میان‌دوره‌ای خبرگان", -10),
    ("candidate_final_list", "اعلام فهرست نهایی نامزدهای میان‌دوره‌ای خبرگان", 0),
]
# Board members of the demo (the registration demo names the first two as well).
BOARD_USERS = [
    ("demo.gharchak.board", Role.EXECUTIVE_BOARD, Kind.COUNTY, GHARCHAK),
    ("demo.tehran.supervision", Role.SUPERVISION_BOARD, Kind.PROVINCE, TEHRAN),
    ("demo.kerman.board", Role.EXECUTIVE_BOARD, Kind.COUNTY, KERMAN),
    # Decides the complaints: not the member who confirmed the disqualification.
    ("demo.tehran.supervision2", Role.SUPERVISION_BOARD, Kind.PROVINCE, TEHRAN),
]
ARTICLE_EDUCATION = "ماده ۳۵ قانون انتخابات مجلس خبرگان، بند ۲"
ARTICLE_RECORD = "ماده ۲۸ قانون تشکیلات، وظایف و انتخابات شوراهای اسلامی، بند ۴"

# The by-election: (first, last, outcome of the executive board, of the supervision board,
# complaint: None, "upheld" or "rejected"; adverse inquiry kind or "").
AE_PEOPLE = [
    ("سید محمد", "حسینی‌نژاد", Outcome.QUALIFIED, Outcome.CONFIRMED, None, ""),
    ("عبدالرضا", "میرزایی", Outcome.QUALIFIED, Outcome.CONFIRMED, None, ""),
    ("محمدعلی", "شریفی", Outcome.QUALIFIED, Outcome.CONFIRMED, None, ""),
    ("سید حسن", "موسوی‌پور", Outcome.DISQUALIFIED, Outcome.CONFIRMED, "upheld",
     InquiryKind.CIVIL_REGISTRY),
    ("غلامرضا", "اکبری", Outcome.DISQUALIFIED, Outcome.CONFIRMED, "rejected",
     InquiryKind.JUDICIARY),
    ("مهدی", "رحیمی", Outcome.QUALIFIED, Outcome.OVERTURNED, None, InquiryKind.POLICE),
    ("احمد", "جعفری", Outcome.QUALIFIED, Outcome.CONFIRMED, None, ""),
]
# The councils, mid-review on load day: (Gharchak or Kerman, first, last).
COUNCIL_PEOPLE = [
    ("G", "سعید", "امیری"), ("G", "لیلا", "نظری"), ("G", "کامران", "یزدانی"),
    ("G", "پروین", "قاسمی"), ("G", "هادی", "صفری"), ("G", "مینا", "رستمی"),
    ("K", "جمشید", "ایرانی"), ("K", "شیرین", "کرمانی‌زاده"), ("K", "بهرام", "سلطانی"),
    ("K", "ناهید", "فرهادی"),
]


@dataclass
class DemoReview:
    candidates: int = 0
    inquiries: int = 0
    decisions: int = 0
    complaints: int = 0
    final_lists: int = 0
    note: str = ""

    def __str__(self) -> str:
        if self.note:
            return self.note
        return (f"{self.candidates} candidates taken through review, {self.inquiries} "
                f"inquiries, {self.decisions} decisions, {self.complaints} complaints, "
                f"{self.final_lists} final list published")


def _national_id(n: int) -> str:
    first = f"{590_000_000 + n * 7_907:09d}"[-9:]
    total = sum(int(d) * (10 - i) for i, d in enumerate(first))
    rest = total % 11
    return first + str(rest if rest < 2 else 11 - rest)


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, 0)))


def _users() -> dict[str, User]:
    users = get_user_model().objects
    found: dict[str, User] = {}
    for username, role, kind, code in BOARD_USERS:
        user = users.filter(username=username).first()
        if user is None:
            user = users.create_user(username=username, password=DEMO_PASSWORD)
        unit = AdminUnit.objects.get(kind=kind, code=code)
        if not Membership.objects.filter(user=user, role=role, unit=unit, active=True).exists():
            membership_grant_system(user=user, role=role, unit=unit, actor_name="demo")
        if kind == Kind.PROVINCE:
            TOTPDevice.objects.get_or_create(
                user=user, name="demo", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True})
        found[username] = user
    for code in (GHARCHAK, KERMAN):
        governor = (Membership.objects.filter(unit__kind=Kind.COUNTY, unit__code=code,
                                              role=Role.GOVERNOR, active=True)
                    .select_related("user").first())
        if governor is not None:
            found[f"governor.{code}"] = governor.user
    return found


def _calendar(election: Election, load_day: datetime.date) -> None:
    for code, name, offset in AE_CALENDAR:
        Milestone.objects.get_or_create(
            election=election, code=f"{code}__{AE}",
            defaults={"name": name, "due": load_day + datetime.timedelta(days=offset),
                      "phase": PhaseKind.BEFORE})


def _candidacy(*, n: int, contest: Contest, constituency: Constituency, county: AdminUnit,
               first: str, last: str, at: datetime.datetime, staff: User | None,
               education: int) -> Candidacy:
    """A candidacy entered at the county office (the registration demo's service is the
    way for new ones; these are the review's own people, registered in the past)."""
    national_id = _national_id(n)
    found = Candidacy.objects.filter(election=contest.election, national_id=national_id).first()
    if found is not None:
        return found
    reference = f"DR{n:06d}"
    with transaction.atomic():
        candidacy = Candidacy.objects.create(
            reference=reference, election=contest.election, contest=contest,
            constituency=constituency, county=county, unit_path=county.path,
            state=State.REGISTERED, channel=Channel.WALK_IN, national_id=national_id,
            first_name=first, last_name=last, gender="male" if n % 3 else "female",
            birth_date=datetime.date(1960 + n % 20, 1 + n % 12, 1 + n % 27),
            education=education, mobile=f"0913{4440000 + n:07d}", residence_years=10,
            search_text=search_key(f"{first} {last} {national_id} {reference}"),
            created_at=at, created_by=staff, confirmed_at=at, confirmed_by=staff)
        audit_record(action="candidates.candidacy.register", actor=staff, unit=county,
                     obj=candidacy, after={"reference": reference, "demo": True})
    return candidacy


def _council_constituency(contest: Contest, county: AdminUnit) -> Constituency | None:
    qs = Constituency.objects.filter(kind=ConstituencyKind.CITY,
                                     unit_path__startswith=county.path)
    return (qs.filter(unit__name_key=county.name_key).first()
            or qs.order_by("-population", "code").first())


def seed_demo_candidate_review(election: Election) -> DemoReview:
    contests = {c.kind: c for c in election.contests.all()}
    ae = contests.get(AE)
    if ae is None:
        return DemoReview(note="no Assembly of Experts contest")
    if FinalList.objects.filter(contest=ae, published_at__isnull=False).exists():
        return DemoReview(note="already loaded")
    units = {u.code: u for u in AdminUnit.objects.filter(kind=Kind.COUNTY,
                                                         code__in=[GHARCHAK, KERMAN])}
    seat = ae.constituencies.first()
    if len(units) < 2 or seat is None:
        return DemoReview(note="geography or contests missing")
    load_day = load_day_of(election, timezone.localdate())
    _calendar(election, load_day)
    users = _users()
    result = DemoReview()
    _by_election(election, ae, seat, units[GHARCHAK], users, load_day, result)
    council = contests.get(ContestKind.CITY_COUNCIL)
    if council is not None:
        _councils(election, council, units, users, load_day, result)
    return result


def _day(load_day: datetime.date, offset: int) -> datetime.date:
    return load_day + datetime.timedelta(days=offset)


def _by_election(election: Election, ae: Contest, seat: Constituency, county: AdminUnit,
                 users: dict[str, User], load_day: datetime.date, result: DemoReview) -> None:
    executive, supervision = users["demo.gharchak.board"], users["demo.tehran.supervision"]
    appeals = users["demo.tehran.supervision2"]
    governor = users.get(f"governor.{GHARCHAK}", executive)
    people = []
    for i, (first, last, *_rest) in enumerate(AE_PEOPLE):
        people.append(_candidacy(n=100 + i, contest=ae, constituency=seat, county=county,
                                 first=first, last=last, staff=governor,
                                 at=_at(_day(load_day, -45 + i % 4)),
                                 education=EducationLevel.IJTIHAD))
    result.candidates += len(people)
    # The four inquiries, sent together and answered before the review.
    for kind in InquiryKind.values:
        services.inquiry_batch_send(actor=governor, election=election, unit=county, kind=kind,
                                    candidacies=people, due=_day(load_day, -31),
                                    now=_at(_day(load_day, -38)))
        result.inquiries += len(people)
    adverse = {p.pk: spec[5] for p, spec in zip(people, AE_PEOPLE, strict=True)}
    rows: list[services.AnswerRow] = []
    for p in people:
        for kind in InquiryKind.values:
            answer = InquiryAnswer.ADVERSE if adverse[p.pk] == kind else InquiryAnswer.CLEAR
            rows.append(services.AnswerRow(
                line=len(rows) + 2, reference=p.reference, kind=kind, answer=answer,
                adverse_reference=f"م/{p.pk}/۱۴۰۴" if answer == InquiryAnswer.ADVERSE else ""))
    # The intelligence ministry never answered about one candidate: "no answer" after due.
    late = next(r for r in rows if r.reference == people[6].reference
                and r.kind == InquiryKind.INTELLIGENCE)
    late.answer = InquiryAnswer.NO_ANSWER
    applied = services.inquiry_answers_apply(actor=executive, election=election,
                                             paths=[county.path], rows=rows,
                                             now=_at(_day(load_day, -30)))
    assert not applied.errors, applied.errors
    for i, (p, spec) in enumerate(zip(people, AE_PEOPLE, strict=True)):
        _first, _last, made, checked, complaint, _kind = spec
        article = ARTICLE_EDUCATION if made == Outcome.DISQUALIFIED else ""
        decision = services.decision_make(
            actor=executive, candidacy=p, outcome=made, legal_article=article,
            reasons="بر پایه پاسخ استعلام‌ها و مدارک پرونده" if article else "",
            now=_at(_day(load_day, -28), 9 + i))
        services.decision_check(
            actor=supervision, decision=decision, outcome=checked,
            legal_article=ARTICLE_RECORD if checked == Outcome.OVERTURNED else "",
            reasons="سابقه کیفری مؤثر" if checked == Outcome.OVERTURNED else "",
            now=_at(_day(load_day, -22), 9 + i))
        result.decisions += 2
        if complaint is not None:
            filed = services.complaint_file(
                actor=governor, candidacy=p, now=_at(_day(load_day, -15), 9 + i),
                text="داوطلب مدارک تحصیلی حوزوی خود را پیوست کرده و خواستار بازنگری است.")
            services.complaint_decide(
                actor=appeals, complaint=filed, outcome=complaint,
                legal_article=ARTICLE_EDUCATION if complaint == "rejected" else "",
                decision_text=("مدرک اجتهاد از سوی مرجع ذی‌صلاح تأیید شد."
                               if complaint == "upheld" else "مدرک ارائه‌شده کافی نیست."),
                now=_at(_day(load_day, -11), 9 + i))
            result.complaints += 1
    _late_comers(election, ae, county, executive, supervision, governor, load_day, result)
    final = services.final_list_publish(actor=executive, contest=ae, constituency=seat)
    result.final_lists += 1
    entry = final.entries.order_by("-ballot_order").first()
    if entry is not None:
        services.final_list_withdraw(actor=executive, entry=entry,
                                     note="نامه کتبی انصراف داوطلب به فرمانداری")


def _late_comers(election: Election, ae: Contest, county: AdminUnit, executive: User,
                 supervision: User, governor: User, load_day: datetime.date,
                 result: DemoReview) -> None:
    """By-election candidacies of the registration demo still awaiting review: reviewed
    on load day (qualified), so that the list can be published."""
    waiting = list(Candidacy.objects.filter(contest=ae, state__in=services.REVIEWABLE,
                                            unit_path__startswith=county.path))
    if not waiting:
        return
    asked = set(Inquiry.objects.filter(candidacy__in=waiting).values_list("candidacy_id",
                                                                           flat=True))
    fresh = [c for c in waiting if c.pk not in asked]
    if fresh:
        for kind in InquiryKind.values:
            services.inquiry_batch_send(actor=governor, election=election, unit=county,
                                        kind=kind, candidacies=fresh,
                                        due=_day(load_day, 7))
    for inquiry in Inquiry.objects.filter(candidacy__in=waiting, answer=InquiryAnswer.PENDING):
        services.inquiry_answer(actor=executive, inquiry=inquiry, answer=InquiryAnswer.CLEAR)
    for c in waiting:
        decision = services.decision_make(actor=executive, candidacy=c,
                                          outcome=Outcome.QUALIFIED)
        services.decision_check(actor=supervision, decision=decision, outcome=Outcome.CONFIRMED)
        result.decisions += 2
        result.candidates += 1


def _councils(election: Election, council: Contest, units: dict[str, AdminUnit],
              users: dict[str, User], load_day: datetime.date, result: DemoReview) -> None:
    """Council candidates mid-review: inquiries late and on time, decisions taken and
    awaiting the supervision board."""
    by_county: dict[str, list[Candidacy]] = {GHARCHAK: [], KERMAN: []}
    for i, (which, first, last) in enumerate(COUNCIL_PEOPLE):
        code = GHARCHAK if which == "G" else KERMAN
        county = units[code]
        seat = _council_constituency(council, county)
        if seat is None:
            continue
        staff = users.get(f"governor.{code}")
        by_county[code].append(_candidacy(
            n=200 + i, contest=council, constituency=seat, county=county, first=first,
            last=last, staff=staff, at=_at(_day(load_day, -5 + i % 5)),
            education=EducationLevel.BACHELOR))
    result.candidates += sum(len(v) for v in by_county.values())
    gharchak, kerman = by_county[GHARCHAK], by_county[KERMAN]
    g_staff = users.get(f"governor.{GHARCHAK}", users["demo.gharchak.board"])
    k_staff = users.get(f"governor.{KERMAN}", users["demo.kerman.board"])
    if gharchak:
        # Police: sent six days ago, due yesterday; half answered, the rest late.
        services.inquiry_batch_send(actor=g_staff, election=election, unit=units[GHARCHAK],
                                    kind=InquiryKind.POLICE, candidacies=gharchak,
                                    due=_day(load_day, -1), now=_at(_day(load_day, -6)))
        for c in gharchak[: len(gharchak) // 2]:
            services.inquiry_answer(actor=users["demo.gharchak.board"],
                                    inquiry=Inquiry.objects.get(candidacy=c,
                                                                kind=InquiryKind.POLICE),
                                    answer=InquiryAnswer.CLEAR, now=_at(_day(load_day, -2)))
        # Judiciary: sent two days ago, due in five days (on time, pending).
        services.inquiry_batch_send(actor=g_staff, election=election, unit=units[GHARCHAK],
                                    kind=InquiryKind.JUDICIARY, candidacies=gharchak,
                                    due=_day(load_day, 5), now=_at(_day(load_day, -2)))
        result.inquiries += 2 * len(gharchak)
        # The first two were asked of the two other authorities too, and all four answered:
        # a qualification rests on the four answers (review_services._require_answers).
        executive = users["demo.gharchak.board"]
        first_two = gharchak[:2]
        for kind in (InquiryKind.INTELLIGENCE, InquiryKind.CIVIL_REGISTRY):
            services.inquiry_batch_send(actor=g_staff, election=election,
                                        unit=units[GHARCHAK], kind=kind,
                                        candidacies=first_two, due=_day(load_day, -1),
                                        now=_at(_day(load_day, -6)))
            result.inquiries += len(first_two)
        for inquiry in Inquiry.objects.filter(candidacy__in=first_two,
                                              answer=InquiryAnswer.PENDING):
            services.inquiry_answer(actor=executive, inquiry=inquiry,
                                    answer=InquiryAnswer.CLEAR, now=_at(_day(load_day, -1)))
        # The executive board has started: two qualified, one disqualified (awaiting the
        # supervision board; a disqualification under its article needs no answer yet),
        # one of them already confirmed.
        opening = services.decision_make(actor=executive, candidacy=gharchak[0],
                                       outcome=Outcome.QUALIFIED)
        services.decision_make(actor=executive, candidacy=gharchak[1],
                               outcome=Outcome.QUALIFIED)
        services.decision_make(actor=executive, candidacy=gharchak[2],
                               outcome=Outcome.DISQUALIFIED, legal_article=ARTICLE_RECORD,
                               reasons="پاسخ منفی استعلام مرجع قضایی")
        services.decision_check(actor=users["demo.tehran.supervision"], decision=opening,
                                outcome=Outcome.CONFIRMED)
        result.decisions += 4
    if kerman:
        services.inquiry_batch_send(actor=k_staff, election=election, unit=units[KERMAN],
                                    kind=InquiryKind.POLICE, candidacies=kerman,
                                    due=_day(load_day, -2), now=_at(_day(load_day, -6)))
        services.inquiry_batch_send(actor=k_staff, election=election, unit=units[KERMAN],
                                    kind=InquiryKind.CIVIL_REGISTRY, candidacies=kerman,
                                    due=_day(load_day, 3), now=_at(_day(load_day, -1)))
        result.inquiries += 2 * len(kerman)

