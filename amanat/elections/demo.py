"""The example election from the issue, for demos and tests (synthetic where noted).

"The 7th City and Village Councils elections together with a mid-term Assembly of Experts
by-election in Tehran province", all on one election day.

Choices, documented here because they are not official:

* **Election day 1405/02/25 (a Friday) is synthetic.**  Councils elections are usually held
  on the same day as a national election; we picked a plausible Friday in Ordibehesht 1405.
  The other dates follow the source documents: candidate registration opens on 21 Dey 1404
  and each county reports its fibre status by the end of Bahman 1404 (1404/11/30).  The
  remaining milestones (registration closes, final station list, complaints close) are
  synthetic, placed where such deadlines usually fall.
* **Council constituencies: one per county.**  In law each city and each village elects
  its own council, which would mean ~100,000 constituencies, most of one village.  The
  platform plans, staffs and secures elections per county headquarters, so a council
  constituency here is the county (code ``CC-<county code>``); both council contests
  (city and village) share these constituencies.  A finer split can be added later
  without changing the contest model.
* **Assembly of Experts by-election: one constituency, Tehran province**, holding every
  county of the province (code ``AE-<province code>``).
"""

from __future__ import annotations

import datetime

from django.db import transaction

from amanat.elections import services
from amanat.elections.models import (
    Contest,
    ContestKind,
    Election,
    MilestoneCode,
    PhaseKind,
)
from amanat.geo.models import AdminUnit, Constituency, Kind
from amanat.lib.jalali import from_jalali
from amanat.lib.persian import search_key

SLUG = "councils-7-1405"
ELECTION_DAY = (1405, 2, 25)  # synthetic, see the module docstring


class SeedError(RuntimeError):
    """The seed cannot run, e.g. because geography has not been imported yet."""


def _d(y: int, m: int, d: int) -> datetime.date:
    return from_jalali(y, m, d)


MILESTONES: list[tuple[str, str, datetime.date, str]] = [
    (MilestoneCode.REGISTRATION_OPENS, "آغاز ثبت‌نام داوطلبان", _d(1404, 10, 21), PhaseKind.BEFORE),
    (MilestoneCode.REGISTRATION_CLOSES, "پایان ثبت‌نام داوطلبان", _d(1404, 10, 27),
     PhaseKind.BEFORE),
    (MilestoneCode.FIBRE_STATUS_DUE, "اعلام وضعیت فیبر نوری شعب", _d(1404, 11, 30),
     PhaseKind.BEFORE),
    (MilestoneCode.STATIONS_FINAL, "قطعی شدن فهرست شعب اخذ رأی", _d(1405, 2, 10), PhaseKind.BEFORE),
    (MilestoneCode.ELECTION_DAY, "روز رأی‌گیری", _d(*ELECTION_DAY), PhaseKind.DURING),
    (MilestoneCode.COMPLAINTS_CLOSE, "پایان مهلت رسیدگی به شکایات", _d(1405, 3, 10),
     PhaseKind.AFTER),
]


@transaction.atomic
def seed_example_election() -> Election:
    """Create (or complete) the example election; running it again changes nothing."""
    provinces = list(AdminUnit.objects.of_kind(Kind.PROVINCE))
    counties = list(AdminUnit.objects.of_kind(Kind.COUNTY))
    tehran = next((p for p in provinces if p.name_key == search_key("تهران")), None)
    if tehran is None or not counties:
        raise SeedError("Geography is missing: run `amanat import-geo` first.")
    election = Election.objects.filter(slug=SLUG).first() or services.election_create(
        name="هفتمین دوره انتخابات شوراهای اسلامی شهر و روستا و میان‌دوره‌ای مجلس خبرگان "
             "رهبری در استان تهران",
        slug=SLUG,
        election_day=_d(*ELECTION_DAY),
        description="نمونه آزمایشی (ساختگی): تاریخ روز رأی‌گیری فرضی است.",
    )
    county_seats = _county_constituencies(provinces, counties)
    tehran_counties = [c for c in counties if c.path.startswith(tehran.path)]
    experts = _province_constituency(tehran, tehran_counties)
    _contest(election, ContestKind.CITY_COUNCIL, "هفتمین دوره شوراهای اسلامی شهر", False,
             county_seats)
    _contest(election, ContestKind.VILLAGE_COUNCIL, "هفتمین دوره شوراهای اسلامی روستا", False,
             county_seats)
    _contest(election, ContestKind.ASSEMBLY_OF_EXPERTS,
             "میان‌دوره‌ای مجلس خبرگان رهبری، استان تهران", True, [experts])
    _calendar(election)
    return election


def _county_constituencies(
    provinces: list[AdminUnit], counties: list[AdminUnit]
) -> list[Constituency]:
    """One council constituency per county, created in bulk (448 nationally)."""
    existing = {c.code: c for c in Constituency.objects.filter(code__startswith="CC-")}
    by_county: dict[str, AdminUnit] = {f"CC-{c.code}": c for c in counties}
    missing = [code for code in by_county if code not in existing]
    Constituency.objects.bulk_create([
        Constituency(code=code, name=f"حوزه {by_county[code].name}",
                     province=_province_of(by_county[code], provinces))
        for code in missing
    ])
    created = {c.code: c for c in Constituency.objects.filter(code__in=missing)}
    links = [
        Constituency.counties.through(constituency_id=created[code].pk,
                                      adminunit_id=by_county[code].pk)
        for code in missing
    ]
    Constituency.counties.through.objects.bulk_create(links)
    return [existing.get(code) or created[code] for code in sorted(by_county)]


def _province_of(county: AdminUnit, provinces: list[AdminUnit]) -> AdminUnit:
    # The materialised path decides, so this holds however deep counties sit in the tree.
    for province in provinces:
        if county.path.startswith(province.path):
            return province
    raise SeedError(f"County {county.code} lies under no province.")


def _province_constituency(province: AdminUnit, counties: list[AdminUnit]) -> Constituency:
    constituency, _created = Constituency.objects.get_or_create(
        code=f"AE-{province.code}",
        defaults={"name": f"حوزه انتخابیه استان {province.name}", "province": province},
    )
    constituency.counties.add(*counties)
    return constituency


def _contest(
    election: Election, kind: str, name: str, by_election: bool, seats: list[Constituency]
) -> None:
    contest = Contest.objects.filter(election=election, kind=kind).first()
    if contest is None:
        services.contest_create(election=election, kind=kind, name=name,
                                is_by_election=by_election, constituencies=seats)
    else:
        contest.constituencies.add(*seats)


def _calendar(election: Election) -> None:
    day = election.election_day
    phases = {
        PhaseKind.BEFORE: (MILESTONES[0][2], day - datetime.timedelta(days=1)),
        PhaseKind.DURING: (day, day),
        PhaseKind.AFTER: (day + datetime.timedelta(days=1), MILESTONES[-1][2]),
    }
    existing_phases = set(election.phases.values_list("kind", flat=True))
    for kind, (start, end) in phases.items():
        if kind not in existing_phases:
            services.phase_set(election=election, kind=kind, start=start, end=end)
    existing = set(election.milestones.values_list("code", flat=True))
    for code, name, due, phase in MILESTONES:
        if code not in existing:
            services.milestone_create(election=election, code=code, name=name, due=due,
                                      phase=phase)
