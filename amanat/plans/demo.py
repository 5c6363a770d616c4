"""Demo security plans for the demo's story (Gharchak 2321 and Kerman 0808 counties).

``seed_demo_plans(election)`` (run last: it reads the atlas, the incidents and the
councils' areas) adds, through the real services: the national threat catalogue; the
ministry's directive for the election, issued, with measures in all three phases;
Gharchak's localisation (a local measure added, approved by the governor, partly
complied with evidence, one item overdue) and Kerman's (a draft, overdue); Gharchak's
local threat and its own rating of vote buying (its previous election was annulled);
the measures its atlas tier requires; two national scenarios with CACAO-shaped
playbooks, one of which fires in Gharchak on a wave of vote-buying reports (three
reports received in the last hour, with their cases) and has its playbook in progress;
and Gharchak's security plan with the agencies' comments.

Dates follow the election: deadlines are computed from the load day and the election's
``election_day``, never fixed.  Idempotent: nothing is added once the directive exists.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone

from amanat.accounts.models import Agency, Role
from amanat.atlas.selectors import unit_score
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents import services as incidents
from amanat.incidents.models import Category, Channel
from amanat.plans import evaluate, playbooks, services
from amanat.plans.catalogue import threat_catalogue_seed
from amanat.plans.models import Directive, IndicatorKind, MeasureKind, Phase, Threat
from amanat.stations.models import Station

CODE = "election-security"
GHARCHAK, KERMAN = "2321", "0808"
DIRECTIVE_TEXT = (
    "به استناد قانون انتخابات و مصوبات شورای امنیت کشور، فرمانداران موظف‌اند این "
    "دستورالعمل را متناسب با نیازهای شهرستان بومی‌سازی کرده، در دستور کار شورای تأمین "
    "قرار دهند و گزارش اجرای هر بند را با مستندات در سامانه ثبت کنند. تمهیدات امنیتی "
    "برای سه مقطع پیش از انتخابات، روز رأی‌گیری و پس از آن طراحی می‌شود و همکاری همه "
    "دستگاه‌های اجرایی، امنیتی، انتظامی و قضایی را می‌طلبد. (نمونه آزمایشی)"
)


@dataclass(frozen=True)
class DemoMeasure:
    title: str
    phase: str
    owner: str
    threat: str
    due: str  # "past:N" (N days ago), "soon:N" (in N days), "day:N" (election day + N)
    kind: str = MeasureKind.PREVENTIVE


MEASURES = (
    DemoMeasure("تشکیل جلسه شورای تأمین شهرستان و تصویب نقشه راه امنیتی", Phase.BEFORE,
                "election_hq", "station_unrest", "past:6"),
    DemoMeasure("شناسایی شعب حساس و تعیین طرح حفاظت هر شعبه", Phase.BEFORE, "police",
                "station_unrest", "past:2"),
    DemoMeasure("اعلام وضعیت فیبر نوری شعب تمام‌الکترونیک", Phase.BEFORE, "telecom",
                "cyber_attack", "soon:7"),
    DemoMeasure("آزمون نفوذ و سخت‌سازی سامانه‌های احراز هویت", Phase.BEFORE, "fata",
                "cyber_attack", "soon:14"),
    DemoMeasure("استقرار مأموران انتظامی در شعب حساس", Phase.DURING, "police",
                "station_unrest", "day:0"),
    DemoMeasure("پایش لحظه‌ای گزارش‌های تخلف و ارجاع فوری به دستگاه مسئول", Phase.DURING,
                "election_hq", "vote_buying", "day:0", MeasureKind.RESPONSE),
    DemoMeasure("حفاظت از صندوق‌ها تا تحویل به هیئت اجرایی", Phase.AFTER, "police",
                "ballot_tampering", "day:1"),
    DemoMeasure("رسیدگی به شکایات و گزارش نتیجه به شورای تأمین", Phase.AFTER, "judiciary",
                "vote_buying", "day:15", MeasureKind.RESPONSE),
)


@dataclass
class DemoPlans:
    threats: int = 0
    measures: int = 0
    localisations: int = 0
    scenarios: int = 0
    alerts: int = 0

    def __str__(self) -> str:
        return (f"{self.threats} threats, {self.localisations} localisations, "
                f"{self.measures} measures, {self.scenarios} scenarios, {self.alerts} alerts")


def _due(spec: str, election: Election, today: datetime.date) -> datetime.date:
    kind, days = spec.split(":")
    n = int(days)
    last_before = election.election_day - datetime.timedelta(days=1)
    if kind == "past":
        return min(today - datetime.timedelta(days=n), last_before)
    if kind == "soon":
        return min(today + datetime.timedelta(days=n), last_before)
    return election.election_day + datetime.timedelta(days=n)


def _user(username: str) -> User | None:
    return get_user_model().objects.filter(username=username).first()


def _county(code: str) -> AdminUnit | None:
    return AdminUnit.objects.filter(kind=Kind.COUNTY, code=code).first()


def seed_demo_plans(election: Election, *, now: datetime.datetime | None = None) -> DemoPlans:
    result = DemoPlans()
    now = now or timezone.now()
    today = timezone.localdate(now)
    gharchak, kerman = _county(GHARCHAK), _county(KERMAN)
    if gharchak is None or kerman is None:
        return result
    if Directive.objects.filter(election=election, code=CODE).exists():
        return result
    admin = _user("demo.admin")
    agencies = {a.code: a for a in Agency.objects.all()}
    with transaction.atomic():
        result.threats = threat_catalogue_seed(actor=admin)
        threats = {t.code: t for t in Threat.objects.filter(unit__isnull=True)}
        directive = services.directive_create(
            election=election, code=CODE, actor=admin,
            title="دستورالعمل تأمین امنیت انتخابات (نمونه آزمایشی)", text=DIRECTIVE_TEXT,
            localise_by=min(today + datetime.timedelta(days=5),
                            election.election_day - datetime.timedelta(days=1)),
            measures=[services.MeasureSpec(
                title=m.title, phase=m.phase, owner=agencies[m.owner], kind=m.kind,
                due_on=_due(m.due, election, today), threat=threats[m.threat])
                for m in MEASURES])
        directive = services.directive_issue(directive=directive, actor=admin)
        _gharchak(election, directive, gharchak, threats, agencies, today, result)
        _kerman(directive, kerman, result)
        _scenarios(election, gharchak, threats, now, result)
    return result


def _gharchak(election: Election, directive: Directive, unit: AdminUnit,
              threats: dict[str, Threat], agencies: dict[str, Agency], today: datetime.date,
              result: DemoPlans) -> None:
    governor, police = _user("demo.gharchak"), _user("demo.police")
    local = services.threat_create(
        unit=unit, code="results-gathering", actor=governor,
        name_fa="تجمع در محوطه فرمانداری هنگام اعلام نتایج",
        name_en="Gathering at the governorate when results are announced",
        factors=["annulled_history", "incidents"], impact=3,
        description="سابقه ابطال انتخابات دوره قبل در شهرستان (نمونه آزمایشی).")
    result.threats += 1
    services.threat_rate(election=election, threat=threats["vote_buying"], unit=unit,
                         likelihood=4, impact=4, actor=governor,
                         note="ابطال انتخابات دوره قبل و گزارش‌های مردمی (نمونه آزمایشی).")
    loc = services.localisation_start(directive=directive, unit=unit, actor=governor)
    services.localisation_update(localisation=loc, actor=governor, text=(
        DIRECTIVE_TEXT + "\n\nبومی‌سازی شهرستان قرچک: با توجه به ابطال انتخابات دوره قبل، "
        "نظارت بر شعب حساس حاشیه شهر و روستاهای بخش مرکزی تشدید می‌شود."))
    services.measure_create(
        election=election, unit=unit, localisation=loc, actor=governor,
        title="پوشش تصویری ورودی‌های دهستان قلعه‌نو", phase=Phase.BEFORE,
        owner=agencies["police"], threat=threats["station_unrest"],
        due_on=min(today + datetime.timedelta(days=3),
                   election.election_day - datetime.timedelta(days=1)))
    services.measure_create(
        election=election, unit=unit, actor=governor, threat=local,
        title="هماهنگی محل تجمع قانونی و گشت انتظامی هنگام اعلام نتایج", phase=Phase.AFTER,
        owner=agencies["police"], due_on=election.election_day + datetime.timedelta(days=1))
    services.localisation_approve(localisation=loc, actor=governor)
    result.localisations += 1
    measures = {m.title: m for m in loc.measures.all()}
    services.measure_report(measure=measures[MEASURES[0].title], status="done",
                            actor=governor, evidence="صورت‌جلسه شماره ۱۲ شورای تأمین شهرستان")
    services.measure_report(measure=measures["پوشش تصویری ورودی‌های دهستان قلعه‌نو"],
                            status="done", actor=police,
                            evidence="نصب ۴ دوربین؛ نامه ۳۴۵/ف فرماندهی انتظامی")
    services.measure_report(measure=measures[MEASURES[2].title], status="in_progress",
                            actor=governor, evidence="۶۰٪ شعب متصل؛ بقیه تا پایان هفته")
    result.measures += loc.measures.count() + 1
    if unit_score(election, unit) is not None:
        result.measures += len(services.measures_from_tier(election=election, county=unit,
                                                           actor=governor))
    plan = services.plan_draft(election=election, unit=unit, actor=governor, summary=(
        "طرح امنیتی شهرستان قرچک بر پایه اطلس امنیت انتخابات و سطح‌بندی شورای امنیت کشور، "
        "احصای تهدیدات و تمهیدات پیشگیرانه در سه مقطع پیش، حین و پس از انتخابات تهیه شده "
        "و پس از دریافت نظر دستگاه‌ها به استانداری تهران ارسال می‌شود. (نمونه آزمایشی)"))
    services.plan_advance(plan=plan, to="in_review", actor=governor)
    services.plan_comment(plan=plan, agency=agencies["police"], actor=police,
                          text="افزایش گشت در محدوده شعب حساس حاشیه شهر پیشنهاد می‌شود.")
    services.plan_comment(plan=plan, agency=agencies["fata"], actor=None,
                          text="آزمون نفوذ سامانه احراز هویت پیش از روز رأی‌گیری انجام شود.")


def _kerman(directive: Directive, unit: AdminUnit, result: DemoPlans) -> None:
    governor = _user("demo.kerman")
    loc = services.localisation_start(directive=directive, unit=unit, actor=governor)
    result.localisations += 1
    result.measures += loc.measures.count()


def _vote_buying_wave(election: Election, county: AdminUnit, now: datetime.datetime) -> None:
    """Three vote-buying reports at Gharchak stations in the last hour, each in a case."""
    category = Category.objects.get(code="vote_buying")
    stations = list(Station.objects.filter(election=election, county=county)
                    .order_by("code")[:3])
    for minutes, station in zip((50, 30, 10), stations, strict=False):
        received = incidents.report_receive(
            channel=Channel.WEB, category=category, station=station, election=election,
            text=f"[نمونه آزمایشی] توزیع پول میان رأی‌دهندگان نزدیک شعبه {station.code}",
            actor=None)
        incidents.case_open_from_report(report=received.report, actor=AnonymousUser(),
                                        now=now - datetime.timedelta(minutes=minutes))


def _scenarios(election: Election, gharchak: AdminUnit, threats: dict[str, Threat],
               now: datetime.datetime, result: DemoPlans) -> None:
    admin, governor = _user("demo.admin"), _user("demo.gharchak")
    vote_buying = services.scenario_create(
        code="vote-buying-wave", threat=threats["vote_buying"], actor=admin,
        title="موج خرید رأی در یک شهرستان",
        description="چند گزارش خرید رأی در یک شهرستان در فاصله کوتاه؛ نشانه سازمان‌یافته بودن.",
        alert_roles=[Role.GOVERNOR, Role.SECURITY_COMMITTEE],
        indicators_=[services.IndicatorSpec(
            kind=IndicatorKind.OPEN_SERIOUS_CASES, threshold=3,
            category=Category.objects.get(code="vote_buying"))],
        playbook=playbooks.build("vote-buying-wave", "پاسخ به موج خرید رأی", [
            ("police", "اعزام گشت به محل‌های گزارش‌شده و گزارش فوری"),
            ("judiciary", "اطلاع به دادستان و صدور دستور قضایی لازم"),
            ("intelligence", "بررسی سازمان‌یافته بودن موارد"),
            ("election_hq", "اطلاع‌رسانی عمومی درباره جرم بودن خرید و فروش رأی"),
        ]))
    services.scenario_create(
        code="station-disorder", threat=threats["station_unrest"], actor=admin,
        title="اخلال گسترده در نظم شعب در روز رأی‌گیری",
        alert_roles=[Role.GOVERNOR, Role.SECURITY_COMMITTEE],
        indicators_=[services.IndicatorSpec(
            kind=IndicatorKind.REPORTS_PER_HOUR, threshold=5, window_minutes=60,
            category=Category.objects.get(code="station_disorder"))],
        playbook=playbooks.build("station-disorder", "پاسخ به اخلال در نظم شعب", [
            ("police", "اعزام نیروی کمکی به شعب گزارش‌شده"),
            ("election_hq", "تصمیم درباره تمدید یا جابه‌جایی شعبه با هیئت اجرایی"),
            ("judiciary", "حضور نماینده دادستان در محل"),
        ]))
    result.scenarios = 2
    _vote_buying_wave(election, gharchak, now)
    fired = evaluate.indicators_evaluate(election=election, now=now).fired
    result.alerts = len(fired)
    alert = next((a for a in fired if a.unit_id == gharchak.pk), None)
    if alert is None:
        return
    run = services.playbook_start(scenario=vote_buying, unit=gharchak, alert=alert,
                                  actor=governor)
    first = run.steps.order_by("order").first()
    if first is not None:
        services.run_step_close(step=first, status="done", actor=governor,
                                note="دو گشت اعزام شد؛ یک نفر با مبلغ قابل توجه شناسایی شد.")
