"""Demo atlas data: clearly synthetic assessments, national tiers and a county history.

``seed_demo_atlas(election)`` (after the demo stations) adds: default tier thresholds and
required measures; assessments from four agencies for about 60 counties; national tiers
for a dozen counties; Gharchak's previous election annulled; then recomputes every score
and takes today's snapshot. Deterministic for a seed; running it again adds nothing
(inputs are only added when the election has none) but recomputes.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.atlas import recompute, services
from amanat.atlas.models import (
    Assessment,
    CheckCode,
    CountyHistory,
    MeasureScope,
    NationalTier,
    RequiredMeasure,
    Snapshot,
    TierThreshold,
)
from amanat.audit.services import audit_record
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.persian import search_key

AGENCIES = ("police", "intelligence", "fata", "election_hq")
ASSESSED_COUNTIES = 60
TIERED_COUNTIES = 12
JUSTIFICATIONS = (
    "برآورد بر پایه گزارش‌های میدانی و سوابق دوره‌های پیشین (ساختگی).",
    "تراکم شعب و دسترسی دشوار به برخی روستاها (ساختگی).",
    "نبود پوشش کامل دوربین در شعب مرکز شهرستان (ساختگی).",
    "وضعیت عادی؛ نکته خاصی گزارش نشده است (ساختگی).",
    "شکایات متعدد در دوره گذشته و نیاز به نظارت بیشتر (ساختگی).",
)

# (tier, scope, Persian, English, check code)
DEFAULT_MEASURES: tuple[tuple[int, str, str, str, str], ...] = (
    (1, MeasureScope.COUNTY, "جلسه هفتگی شورای تأمین شهرستان در دوره تبلیغات",
     "Weekly county security council meeting during the campaign", ""),
    (1, MeasureScope.COUNTY, "دوربین مدار بسته در همه شعب", "CCTV at every station",
     CheckCode.CCTV_AT_ALL),
    (2, MeasureScope.SENSITIVE_STATION, "دوربین زنده و دو مأمور در هر شعبه حساس",
     "Live CCTV and two officers at each sensitive station", CheckCode.CCTV_LIVE_AT_SENSITIVE),
    (2, MeasureScope.COUNTY, "برق اضطراری در همه شعب", "Power backup at every station",
     CheckCode.POWER_BACKUP_ALL),
    (3, MeasureScope.COUNTY, "فیبر نوری در همه شعب تمام‌الکترونیک",
     "Fibre at every e-voting station", CheckCode.FIBRE_FOR_EVOTING),
    (3, MeasureScope.COUNTY, "هیچ شعبه‌ای بیش از ظرفیت نباشد",
     "No station above its capacity", CheckCode.WITHIN_CAPACITY),
    (4, MeasureScope.COUNTY, "طرح امنیتی شهرستان پیش از روز رأی‌گیری تصویب شود",
     "County security plan approved before election day", ""),
)


@dataclass
class DemoAtlasResult:
    assessments: int
    national_tiers: int
    annulled: int
    stations_scored: int
    counties_scored: int

    def __str__(self) -> str:
        return (f"{self.assessments} assessments, {self.national_tiers} national tiers, "
                f"{self.annulled} annulled, {self.stations_scored} stations and "
                f"{self.counties_scored} counties scored")


def seed_required_measures() -> int:
    """The default road map, when the table is empty."""
    if RequiredMeasure.objects.exists():
        return 0
    RequiredMeasure.objects.bulk_create([
        RequiredMeasure(tier=t, scope=s, description_fa=fa, description_en=en, check_code=c)
        for t, s, fa, en, c in DEFAULT_MEASURES
    ])
    return len(DEFAULT_MEASURES)


def _gharchak() -> AdminUnit | None:
    return AdminUnit.objects.filter(kind=Kind.COUNTY, name_key=search_key("قرچک")).first()


def _seed_inputs(election: Election, seed: int) -> tuple[int, int, int]:
    rng = random.Random(seed)
    counties = list(AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("code"))
    agencies = list(Agency.objects.filter(code__in=AGENCIES).order_by("code"))
    gharchak = _gharchak()
    chosen = rng.sample(counties, min(ASSESSED_COUNTIES, len(counties)))
    if gharchak is not None and gharchak not in chosen:
        chosen[0] = gharchak
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for county in chosen:
        for agency in rng.sample(agencies, rng.randint(2, len(agencies))):
            for _ in range(rng.randint(1, 2)):  # a second, later one supersedes the first
                rows.append(Assessment(
                    election=election, agency=agency, county=county,
                    score=rng.choices((1, 2, 3, 4, 5), weights=(2, 4, 4, 2, 1))[0],
                    justification=rng.choice(JUSTIFICATIONS),
                    assessed_on=today - datetime.timedelta(days=rng.randint(1, 90)),
                    created_at=now))
    Assessment.objects.bulk_create(rows)
    tiered = rng.sample(chosen, min(TIERED_COUNTIES, len(chosen)))
    if gharchak is not None and gharchak not in tiered:
        tiered[0] = gharchak
    NationalTier.objects.bulk_create([
        NationalTier(election=election, county=c, tier=2 if c == gharchak else rng.randint(1, 3),
                     note="سطح‌بندی نمونه (ساختگی)") for c in tiered])
    annulled = 0
    if gharchak is not None:
        CountyHistory.objects.create(
            election=election, county=gharchak, annulled=True,
            note="انتخابات دوره گذشته در این شهرستان ابطال شد (نمونه ساختگی).")
        annulled = 1
    return len(rows), len(tiered), annulled


def seed_demo_atlas(election: Election, *, seed: int = 1405) -> DemoAtlasResult:
    """Seed the demo atlas for ``election`` and compute its scores (see module doc)."""
    added = (0, 0, 0)
    with transaction.atomic():
        TierThreshold.objects.get_or_create(election=election)
        measures = seed_required_measures()
        if not Assessment.objects.filter(election=election).exists():
            added = _seed_inputs(election, seed)
        audit_record(action="atlas.demo_seed", actor_name="system:demo",
                     object_type="elections.election", object_id=election.pk,
                     extra={"assessments": added[0], "national_tiers": added[1],
                            "annulled": added[2], "measures": measures, "seed": seed})
    result = recompute.atlas_recompute(election=election, actor_name="system:demo")
    today = services.snapshot_take(election=election, actor_name="system:demo")
    _seed_history(election, today, seed)
    return DemoAtlasResult(added[0], added[1], added[2], result.stations, result.counties)


# Days before the load day of the synthetic earlier snapshots (the comparison page and the
# trend lines have a history to show).
HISTORY_DAYS_AGO = (90, 60, 30)


def _seed_history(election: Election, latest: Snapshot, seed: int) -> int:
    """Earlier snapshots made from the load day's scores with a deterministic drift
    (synthetic: scores rose towards election day); none when the election has some."""
    if Snapshot.objects.filter(election=election).exclude(pk=latest.pk).exists():
        return 0
    rng = random.Random(seed)
    rows = []
    for days in HISTORY_DAYS_AGO:
        factor = 1 - days / 400  # further back, somewhat lower
        scores = {unit: [round(max(0.0, value * factor * rng.uniform(0.9, 1.05)), 4), tier]
                  for unit, (value, tier) in latest.scores.items()}
        rows.append(Snapshot(election=election, scores=scores,
                             taken_on=latest.taken_on - datetime.timedelta(days=days)))
    with transaction.atomic():
        Snapshot.objects.bulk_create(rows)
        audit_record(action="atlas.demo_seed", actor_name="system:demo",
                     object_type="elections.election", object_id=election.pk,
                     extra={"history_snapshots": [r.taken_on for r in rows], "seed": seed})
    return len(rows)
