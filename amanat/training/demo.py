"""Demo training: the courses of the example election and a few sessions.

``seed_demo_training(election)`` creates one national course per station post (with a
short assessment), one for candidates and one for voters (both published on the public
pages), one for the security and police forces; sessions in Gharchak and Kerman with
some people enrolled and their attendance taken; two demo candidates enrolled on the
candidates' course, one of them completed.  The staffing demo records completions for
its own people (``services.record_completions``).  Running it twice changes nothing.

The titles and material are demo data in Persian (the election's language), not
interface text.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.nationalid import with_check_digit
from amanat.training import services
from amanat.training.models import Audience, Course, Delivery, Enrolment, Session

GHARCHAK, KERMAN = "2321", "0808"

LAW = ("# آنچه تخلف است\n\n"
       "خرید و فروش رأی، تهدید یا تطمیع رأی‌دهندگان، تبلیغ در محل شعبه و دخالت در رأی "
       "دیگران تخلف انتخاباتی است.\n\n"
       "# الزامات قانونی\n\n"
       "هر اقدام در شعبه طبق قانون انتخابات و آیین‌نامه اجرایی آن انجام می‌شود و در "
       "صورت‌جلسه ثبت می‌شود.\n\n"
       "# پیامدها\n\n"
       "تخلفات گزارش و پیگیری می‌شوند و مرتکب طبق قانون مجازات می‌شود.")

QUESTIONS = ("خرید رأی چه حکمی دارد؟\n* جرم انتخاباتی است\n- مجاز است\n"
             "- فقط در روز رأی‌گیری ممنوع است\n\n"
             "تبلیغ نامزدها در محل شعبه در روز رأی‌گیری:\n- مجاز است\n* ممنوع است\n\n"
             "اگر در شعبه تخلفی دیدید چه می‌کنید؟\n* در صورت‌جلسه ثبت و گزارش می‌کنم\n"
             "- نادیده می‌گیرم")

# (post or audience, title, summary, delivery, public)
COURSES: list[tuple[str, str, str, str, bool]] = [
    (StationPost.REPRESENTATIVE, "دوره نماینده فرماندار در شعبه",
     "وظایف نماینده فرماندار از گشایش شعبه تا شمارش آرا", Delivery.SESSIONS, False),
    (StationPost.MEMBER, "دوره اعضای شعبه اخذ رأی",
     "احراز هویت رأی‌دهنده، ثبت در سامانه و تنظیم صورت‌جلسه", Delivery.SESSIONS, False),
    (StationPost.INSPECTOR, "دوره بازرسان شعب",
     "نظارت بر شعبه، شناخت تخلفات و گزارش آنها", Delivery.SESSIONS, False),
    (StationPost.POLICE, "دوره مأموران انتظامی شعب",
     "حفظ نظم شعبه بدون دخالت در رأی‌گیری", Delivery.SESSIONS, False),
    (Audience.CANDIDATES, "آموزش داوطلبان: تبلیغات قانونی و تخلفات",
     "آنچه داوطلبان در تبلیغات مجازند و آنچه تخلف است، و پیامدهای آن", Delivery.SELF_PACED,
     True),
    (Audience.VOTERS, "راهنمای رأی‌دهندگان: حقوق شما در روز رأی‌گیری",
     "رأی شما مخفی است؛ خرید و فروش رأی جرم است؛ تخلف را گزارش کنید", Delivery.SELF_PACED,
     True),
    (Audience.SECURITY, "آموزش نیروهای امنیتی و انتظامی",
     "حدود وظایف در حفظ امنیت انتخابات و بی‌طرفی", Delivery.SESSIONS, False),
]

VOTER_MATERIAL = ("# رأی شما مخفی است\n\n"
                  "هیچ‌کس حق ندارد بپرسد به چه کسی رأی داده‌اید یا هنگام نوشتن رأی شما را "
                  "ببیند.\n\n"
                  "# خرید و فروش رأی جرم است\n\n"
                  "پیشنهاد پول یا هدیه در برابر رأی، و تهدید رأی‌دهندگان، جرم انتخاباتی است و "
                  "باید گزارش شود.\n\n"
                  "# تخلف را گزارش کنید\n\n"
                  "از صفحه گزارش تخلف، بدون حساب کاربری، می‌توانید هر تخلفی را گزارش کنید.")

# (county code, place, trainer, days from now, capacity, people enrolled, attended)
SESSIONS: list[tuple[str, str, str, int, int, int, int]] = [
    (GHARCHAK, "سالن اجتماعات فرمانداری قرچک", "محمد امینی", -5, 40, 8, 6),
    (GHARCHAK, "مدرسه شهید بهشتی قرچک", "زهرا کاظمی", 17, 30, 0, 0),
    (KERMAN, "سالن همایش استانداری کرمان", "علی محمدی", -3, 50, 6, 4),
]

FIRST = ("محمد", "علی", "زهرا", "فاطمه", "حسین", "مریم", "رضا", "سارا", "مهدی", "نرگس")
LAST = ("احمدی", "کریمی", "حسینی", "رضایی", "موسوی", "صادقی", "نوری", "باقری", "جعفری", "کاظمی")


def _nid(n: int) -> str:
    return with_check_digit(f"{520_000_000 + n * 3_571:09d}")


def _candidate_nid(index: int) -> str:
    """The national IDs the candidates demo gives its people (candidates/demo.py)."""
    return with_check_digit(f"{470_000_100 + index * 7_919:09d}")


@dataclass(frozen=True)
class DemoTraining:
    courses: int
    sessions: int
    enrolments: int

    def __str__(self) -> str:
        return (f"{self.courses} courses, {self.sessions} sessions, "
                f"{self.enrolments} enrolments created")


def _course(election: Election, iran: AdminUnit, key: str, title: str, summary: str,
            delivery: str, public: bool) -> tuple[Course, bool]:
    is_post = key in StationPost.values
    existing = (Course.objects.filter(election=election, post=key).first() if is_post
                else Course.objects.filter(election=election, audience=key,
                                           title=title).first())
    if existing is not None:
        return existing, False
    course = services.course_create(actor=None, election=election, unit=iran, data={
        "audience": Audience.STATION_STAFF if is_post else key, "post": key if is_post else "",
        "title": title, "summary": summary, "delivery": delivery, "public": public,
        "material": VOTER_MATERIAL if key == Audience.VOTERS else LAW, "pass_mark": 60})
    if is_post or key == Audience.CANDIDATES:
        services.questions_replace(actor=None, course=course,
                                   questions=services.parse_questions(QUESTIONS))
    return course, True


def seed_demo_training(election: Election) -> DemoTraining:
    iran = AdminUnit.objects.get(kind=Kind.COUNTRY)
    counties = {u.code: u for u in AdminUnit.objects.filter(kind=Kind.COUNTY,
                                                            code__in=[GHARCHAK, KERMAN])}
    made_courses = made_sessions = made_enrolments = 0
    with transaction.atomic():
        courses: dict[str, Course] = {}
        for key, title, summary, delivery, public in COURSES:
            course, created = _course(election, iran, key, title, summary, delivery, public)
            courses[key] = course
            made_courses += created
        base = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        person = 0
        for post in (StationPost.MEMBER, StationPost.INSPECTOR):
            course = courses[post]
            for code, place, trainer, days, capacity, enrol, attend in SESSIONS:
                county = counties.get(code)
                if county is None:
                    continue
                session = Session.objects.filter(course=course, unit=county,
                                                 place=place).first()
                if session is None:
                    session = services.session_create(
                        actor=None, course=course, unit=county, data={
                            "place": place, "trainer": trainer, "capacity": capacity,
                            "starts_at": base + datetime.timedelta(days=days)})
                    made_sessions += 1
                for _ in range(enrol):
                    person += 1
                    nid = _nid(person)
                    if Enrolment.objects.filter(course=course, national_id=nid).exists():
                        continue
                    services.enrol(actor=None, course=course, session=session,
                                   national_id=nid,
                                   full_name=f"{FIRST[person % 10]} {LAST[(person * 3) % 10]}")
                    made_enrolments += 1
                if enrol and not session.enrolments.filter(attended=True).exists():
                    services.attendance_mark(
                        actor=None, session=session,
                        attended=list(session.enrolments.order_by("pk")
                                      .values_list("pk", flat=True)[:attend]))
        candidates = courses[Audience.CANDIDATES]
        gharchak = counties.get(GHARCHAK)
        for index, name in ((1, "رضا کریمی"), (2, "زهرا حسینی")):
            nid = _candidate_nid(index)
            if not Enrolment.objects.filter(course=candidates, national_id=nid).exists():
                services.enrol(actor=None, course=candidates, unit=gharchak or iran,
                               national_id=nid, full_name=name)
                made_enrolments += 1
        services.record_completions(actor=None, course=candidates,
                                    people=[(_candidate_nid(1), "رضا کریمی")], score=100)
    return DemoTraining(made_courses, made_sessions, made_enrolments)
