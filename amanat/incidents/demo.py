"""Synthetic violation reports and cases for the demo: clearly fake, deterministic.

``seed_demo_incidents(election, seed=1405)`` spreads a few thousand reports over the
election's stations with Persian texts made from templates per category, opens cases for
most of them and moves the cases through every state.

Dates tell one story, counted back from the day the demo is loaded (never after it):
reports over the last ``HISTORY_DAYS``; a closed case may be any age, while most open
cases are still inside their response time and only about one in ``LATE_ONE_IN`` is late,
as in an office that keeps up with its work. Bulk inserts and one summary audit
event keep it fast; running it again for the same seed changes nothing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.audit.services import audit_record, cli_actor
from amanat.elections.models import Election
from amanat.incidents.models import (
    Case,
    CaseReport,
    CaseStep,
    Category,
    Channel,
    Referral,
    Report,
    Status,
)
from amanat.lib.persian import normalize
from amanat.stations.models import Station

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
TEMPLATES: dict[str, list[str]] = {
    "vote_buying": ["فردی جلوی {place} در ازای رأی پول نقد پیشنهاد می‌داد",
                    "توزیع بن خرید میان رأی‌دهندگان نزدیک {place}"],
    "identity_fraud": ["فردی با شناسنامه شخص دیگری در {place} رأی داد",
                       "استفاده از کارت ملی متوفی در {place} گزارش شد"],
    "ballot_tampering": ["صندوق {place} پیش از پایان رأی‌گیری جابه‌جا شد",
                         "پلمب صندوق در {place} دست‌خورده دیده شد"],
    "illegal_campaigning": ["پخش تراکت تبلیغاتی داخل {place} در روز رأی‌گیری",
                            "تبلیغ برای نامزد در صف {place}"],
    "material_destruction": ["پوسترهای نامزدها در خیابان نزدیک {place} پاره شد"],
    "intimidation": ["تهدید رأی‌دهندگان جلوی {place} از سوی چند نفر",
                     "ارعاب عوامل اجرایی {place}"],
    "obstruction": ["مانع ورود ناظران به {place} شدند", "صف رأی‌دهندگان در {place} بسته شد"],
    "public_resources": ["خودروی دولتی برای تبلیغ نامزد در {place} به کار رفت"],
    "online_disinformation": ["انتشار خبر جعلی درباره بسته شدن {place} در فضای مجازی",
                              "افترا به نامزد در کانال محلی درباره {place}"],
    "system_attack": ["تلاش برای نفوذ به سامانه احراز هویت {place}"],
    "station_disorder": ["درگیری لفظی و اخلال در نظم {place}"],
    "equipment_failure": ["دستگاه احراز هویت {place} از کار افتاد",
                          "قطع برق در {place} و نبود برق اضطراری"],
    "other": ["گزارش مردمی درباره {place}"],
}
HISTORY_DAYS = 120
LATE_ONE_IN = 6
# Share of cases left in each state (the rest of the reports stay untriaged).
STATE_WEIGHTS = [
    (Status.NEW, 20), (Status.TRIAGED, 10), (Status.ASSIGNED, 15), (Status.IN_PROGRESS, 15),
    (Status.REFERRED, 10), (Status.RESOLVED, 20), (Status.DISMISSED, 10),
]


@dataclass(frozen=True)
class DemoIncidents:
    reports: int
    cases: int


def _ref(rng: random.Random, prefix: str) -> str:
    return prefix + "".join(rng.choice(_B32) for _ in range(10))


def _report(rng: random.Random, election: Election, station: Station, category: Category,
            i: int, seed: int, received: datetime.datetime) -> Report:
    text = rng.choice(TEMPLATES.get(category.code, TEMPLATES["other"])).format(
        place=f"شعبه {station.code} ({station.name})")
    text = f"[نمونه آزمایشی] {text}"
    return Report(
        reference=_ref(rng, "R-"), channel=rng.choice(list(Channel.values)), election=election,
        station=station, unit_id=station.unit_id or station.county_id,
        unit_path=station.unit_path, category=category, text=text,
        text_normalized=normalize(text), received_at=received,
        payload={"demo": seed}, client_key=f"demo:{seed}:{i}",
    )


def seed_demo_incidents(election: Election, *, seed: int = 1405, count: int = 3000,
                        now: datetime.datetime | None = None) -> DemoIncidents:
    """Create ``count`` reports (about 80% in cases) for ``election``; idempotent per seed."""
    if Report.objects.filter(client_key=f"demo:{seed}:0").exists():
        return DemoIncidents(0, 0)
    stations = list(Station.objects.filter(election=election).order_by("pk").only(
        "pk", "code", "name", "unit_id", "county_id", "unit_path"))
    categories = list(Category.objects.filter(active=True).select_related("agency"))
    if not stations or not categories:
        return DemoIncidents(0, 0)
    rng = random.Random(seed)
    now = now or timezone.now()
    reports = []
    states = [s for s, w in STATE_WEIGHTS for _ in range(w)]
    plan: list[Status | None] = []
    for i in range(count):
        category = rng.choice(categories)
        # The state is drawn first: how old a report can be depends on it.
        status = rng.choice(states) if rng.random() < 0.8 else None
        received = now - _age(rng, status, category)
        plan.append(status)
        reports.append(_report(rng, election, rng.choice(stations), category, i, seed,
                               received))
    with transaction.atomic():
        Report.objects.bulk_create(reports, batch_size=500)
        stored = list(Report.objects.filter(payload__demo=seed).select_related("category")
                      .order_by("pk"))
        cases = _cases(rng, stored, plan, election, now)
        audit_record(action="incidents.demo_seed", actor_name=cli_actor(),
                     object_type="elections.election", object_id=election.pk,
                     extra={"seed": seed, "reports": len(stored), "cases": cases})
    return DemoIncidents(len(stored), cases)


def _age(rng: random.Random, status: Status | None, category: Category
         ) -> datetime.timedelta:
    """How long before the load day a report came in, so the dates tell one story."""
    limit = category.response_time or datetime.timedelta(hours=24)
    if status in (Status.RESOLVED, Status.DISMISSED):
        return datetime.timedelta(minutes=rng.randint(3 * 24 * 60, HISTORY_DAYS * 24 * 60))
    if status is None:  # waiting for triage: the last few days
        return datetime.timedelta(minutes=rng.randint(5, 4 * 24 * 60))
    if rng.randrange(LATE_ONE_IN) == 0:  # late: past its response time
        seconds = int(limit.total_seconds())
        return datetime.timedelta(seconds=rng.randint(seconds + 3600, seconds + 21 * 86400))
    return datetime.timedelta(seconds=rng.randint(300, int(limit.total_seconds() * 0.9)))


def _cases(rng: random.Random, reports: list[Report], plan: list[Status | None],
           election: Election, now: datetime.datetime) -> int:
    chosen = [(r, s) for r, s in zip(reports, plan, strict=True) if s is not None]
    cases: list[Case] = []
    for report, status in chosen:
        category = report.category
        closed = status in (Status.RESOLVED, Status.DISMISSED)
        cases.append(Case(
            number=_ref(rng, "C-"), election=election, unit_id=report.unit_id,
            unit_path=report.unit_path, station_id=report.station_id, category=category,
            severity=category.severity, status=status, summary=report.text_normalized,
            agency=category.agency if status not in (Status.NEW, Status.TRIAGED) else None,
            opened_at=report.received_at,
            due_at=report.received_at + category.response_time,
            closed_at=min(now, report.received_at + datetime.timedelta(hours=rng.randint(1, 72)))
            if closed else None,
            outcome="[نمونه] رسیدگی و مختومه شد" if closed else "",
        ))
    Case.objects.bulk_create(cases, batch_size=500)
    saved = list(Case.objects.filter(number__in=[c.number for c in cases]).order_by("pk"))
    by_number = {c.number: c for c in saved}
    links, steps, referrals = [], [], []
    for (report, _status), case in zip(chosen, cases, strict=True):
        stored = by_number[case.number]
        links.append(CaseReport(case=stored, report=report, attached_at=report.received_at))
        steps.append(CaseStep(case=stored, action="open", to_status=Status.NEW,
                              at=report.received_at))
        if case.status == Status.REFERRED or (case.status == Status.RESOLVED
                                              and rng.random() < 0.3):
            referrals.append(Referral(case=stored, office="دادستانی عمومی و انقلاب",
                                      referred_on=min(timezone.localdate(now), timezone.localdate(
                                          report.received_at + datetime.timedelta(days=1))),
                                      their_reference=f"{rng.randint(1000, 9999)}"))
    CaseReport.objects.bulk_create(links, batch_size=500)
    CaseStep.objects.bulk_create(steps, batch_size=500)
    Referral.objects.bulk_create(referrals, batch_size=500)
    return len(saved)
