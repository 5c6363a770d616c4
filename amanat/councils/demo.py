"""Demo security councils: Gharchak (2321) and Kerman (0808) counties and their provinces.

``seed_demo_councils(election)`` creates a security council for each of the four units,
three past meetings per council over the months before the load day and the next one a
few days ahead (dates counted from the load day), through the real services:
each agenda gets the serious open cases of the council's area by the rule (so a case
rides from meeting to meeting while open), one topic of its own, a decision and two
action items.  Run it after the incidents demo so that there are cases to carry.
Deterministic (fixed dates and texts, units in a fixed order) and idempotent (a council
that already has meetings is left alone).  Needs the national geography.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.councils import services
from amanat.councils.models import ActionStatus, Council, CouncilKind
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind

# (county code, province code) of the demo councils' areas.
DEMO_COUNTIES = (("2321", "23"), ("0808", "08"))
# Days before the load day of the three past meetings (the demo's incidents go back four
# months, so each finds serious cases to carry), and days after it of the next one.
MEETING_DAYS_AGO = (70, 35, 7)
NEXT_MEETING_IN = 5
NEXT_TOPIC = "برنامه تأمین امنیت روز رأی‌گیری و آمادگی شعب حساس"
TOPICS = (
    "بررسی آمادگی شعب حساس و نیروهای تأمین",
    "گزارش پیشرفت اتصال فیبر نوری شعب تمام‌الکترونیک",
    "هماهنگی دستگاه‌ها برای روز رأی‌گیری",
)
ACTIONS = (
    ("police", "تشدید گشت در محدوده شعب حساس و گزارش به دبیرخانه شورا", 14),
    ("election_hq", "تهیه فهرست به‌روز نمایندگان فرماندار و بازرسان شعب", 21),
)
ATTENDEES = "\n".join((
    "فرماندار (رئیس شورا)", "دادستان عمومی و انقلاب", "فرمانده انتظامی",
    "رئیس اداره اطلاعات", "فرمانده سپاه", "معاون سیاسی، امنیتی و اجتماعی (دبیر)",
))


@dataclass
class DemoCouncils:
    councils: int = 0
    meetings: int = 0
    agenda_cases: int = 0

    def __str__(self) -> str:
        return (f"{self.councils} councils, {self.meetings} meetings, "
                f"{self.agenda_cases} case items on agendas")


def _units() -> list[AdminUnit]:
    units: list[AdminUnit] = []
    for county, province in DEMO_COUNTIES:
        for kind, code in ((Kind.PROVINCE, province), (Kind.COUNTY, county)):
            unit = AdminUnit.objects.filter(kind=kind, code=code).first()
            if unit is not None and unit not in units:
                units.append(unit)
    return units


def _council(unit: AdminUnit) -> Council:
    level = "استان" if unit.kind == Kind.PROVINCE else "شهرستان"
    name = f"شورای تأمین {level} {unit.name}"
    found = Council.objects.filter(unit=unit, kind=CouncilKind.SECURITY_COUNCIL).first()
    return found or services.council_create(unit=unit, kind=CouncilKind.SECURITY_COUNCIL,
                                            name=name, actor=None)


def _meeting(council: Council, index: int, result: DemoCouncils) -> None:
    day = timezone.localdate() - datetime.timedelta(days=MEETING_DAYS_AGO[index])
    meeting = services.meeting_create(
        council=council, held_on=day, starts_at=datetime.time(10, 0),
        place=f"سالن جلسات {'استانداری' if council.unit.kind == Kind.PROVINCE else 'فرمانداری'}",
        attendees=ATTENDEES, actor=None,
    )
    result.meetings += 1
    result.agenda_cases += meeting.agenda.count()
    topic = services.agenda_item_add(meeting=meeting, title=TOPICS[index], actor=None)
    first_case = meeting.agenda.filter(case__isnull=False).order_by("order").first()
    decision = services.decision_add(
        meeting=meeting, agenda_item=first_case or topic, actor=None,
        text=("پیگیری فوری پرونده و گزارش نتیجه در جلسه بعد" if first_case
              else "تصویب برنامه اقدام دستگاه‌ها و گزارش پیشرفت در جلسه بعد"),
    )
    for code, text, days in ACTIONS:
        item = services.action_item_add(decision=decision, text=text,
                                        owner=Agency.objects.get(code=code),
                                        due_on=day + datetime.timedelta(days=days), actor=None)
        if index == 0:  # the first meeting's actions were carried out
            services.action_item_set_status(item=item, status=ActionStatus.DONE, actor=None,
                                            note="انجام و گزارش شد")
    services.meeting_update(meeting=meeting, actor=None, changes={
        "status": "held",
        "minutes": f"جلسه با حضور اعضا برگزار شد؛ پرونده‌های مهم حوزه و «{TOPICS[index]}» "
                   "بررسی و مصوبات به دستگاه‌های مسئول ابلاغ شد.",
    })


def seed_demo_councils(election: Election | None = None) -> DemoCouncils:
    """Councils and past meetings for Gharchak and Kerman (``election`` is accepted for
    the load-demo signature; meetings are not tied to an election)."""
    result = DemoCouncils()
    with transaction.atomic():
        for unit in _units():
            council = _council(unit)
            result.councils += 1
            if council.meetings.exists():
                continue
            for index in range(len(MEETING_DAYS_AGO)):
                _meeting(council, index, result)
            _next_meeting(council, result)
    return result


def _next_meeting(council: Council, result: DemoCouncils) -> None:
    """The coming meeting: planned, its agenda carrying the serious open cases."""
    meeting = services.meeting_create(
        council=council, held_on=timezone.localdate() + datetime.timedelta(days=NEXT_MEETING_IN),
        starts_at=datetime.time(10, 0), attendees=ATTENDEES, actor=None,
        place=f"سالن جلسات {'استانداری' if council.unit.kind == Kind.PROVINCE else 'فرمانداری'}",
    )
    result.meetings += 1
    result.agenda_cases += meeting.agenda.count()
    services.agenda_item_add(meeting=meeting, title=NEXT_TOPIC, actor=None)
