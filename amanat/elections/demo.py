"""The example election from the issue, for demos and tests (synthetic where noted).

"The 7th City and Village Councils elections together with a mid-term Assembly of Experts
by-election in Tehran province", all on one election day.

Choices, documented here because they are not official:

* **The dates are computed from the day the demo is loaded** (issue 18): a real upcoming
  election, whatever day it is shown. On load day candidate registration is on its last
  day (it opened six days before and closes at the end of the day), the boards' review
  is under way, and election day is the first Friday seven weeks or more ahead. Every
  deadline falls on load day or later, so nothing is overdue when the demo starts; only
  the opening of registration lies in the past. The offsets are in ``SCHEDULE``.
* **One constituency per county** (``CC-<county code>``, a group of counties) stays for
  the station registry, which files each station under one; no contest uses them.
* **Council constituencies are the law's** (a city, a village, or a rural district, with
  seats by population): the ``candidates`` app loads them from the geography
  (``amanat load-constituencies``, and the demo) and attaches them to the two council
  contests; this seed creates the contests only.
* **Assembly of Experts by-election: one constituency, Tehran province**, holding every
  county of the province (code ``AE-<province code>``, kind ``province``).
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from amanat.elections import services
from amanat.elections.models import (
    Contest,
    ContestKind,
    Election,
    MilestoneCode,
    PhaseKind,
)
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind, Kind
from amanat.lib.persian import search_key

SLUG = "councils-7-1405"
# Election day: the first Friday at least this many days after load day.
WEEKS_AHEAD = 7
FRIDAY = 4


class SeedError(RuntimeError):
    """The seed cannot run, e.g. because geography has not been imported yet."""


# (code, name, days from load day — or, with "E", from election day —, phase)
SCHEDULE: list[tuple[str, str, str, int, str]] = [
    (MilestoneCode.REGISTRATION_OPENS, "آغاز ثبت‌نام داوطلبان", "L", -6, PhaseKind.BEFORE),
    (MilestoneCode.REGISTRATION_CLOSES, "پایان ثبت‌نام داوطلبان", "L", 0, PhaseKind.BEFORE),
    (MilestoneCode.REVIEW_ENDS, "پایان رسیدگی هیئت‌های اجرایی به صلاحیت داوطلبان", "L", 7,
     PhaseKind.BEFORE),
    (MilestoneCode.FIBRE_STATUS_DUE, "اعلام وضعیت فیبر نوری شعب", "L", 10, PhaseKind.BEFORE),
    (MilestoneCode.SUPERVISION_ENDS, "پایان رسیدگی هیئت‌های نظارت", "L", 14, PhaseKind.BEFORE),
    (MilestoneCode.CANDIDATE_COMPLAINTS_CLOSE, "پایان رسیدگی به شکایات داوطلبان", "L", 21,
     PhaseKind.BEFORE),
    (MilestoneCode.FINAL_LIST, "اعلام فهرست نهایی نامزدها", "L", 28, PhaseKind.BEFORE),
    (MilestoneCode.STATIONS_FINAL, "قطعی شدن فهرست شعب اخذ رأی", "E", -15, PhaseKind.BEFORE),
    (MilestoneCode.ELECTION_DAY, "روز رأی‌گیری", "E", 0, PhaseKind.DURING),
    (MilestoneCode.COMPLAINTS_CLOSE, "پایان مهلت رسیدگی به شکایات", "E", 16, PhaseKind.AFTER),
]


def election_day_for(load_day: datetime.date) -> datetime.date:
    earliest = load_day + datetime.timedelta(weeks=WEEKS_AHEAD)
    return earliest + datetime.timedelta(days=(FRIDAY - earliest.weekday()) % 7)


def milestones_for(load_day: datetime.date, election_day: datetime.date | None = None
                   ) -> list[tuple[str, str, datetime.date, str]]:
    """The calendar of an election loaded on ``load_day``: (code, name, due, phase)."""
    day = election_day or election_day_for(load_day)
    return [(code, name, (load_day if base == "L" else day) + datetime.timedelta(days=offset),
             phase) for code, name, base, offset, phase in SCHEDULE]


@transaction.atomic
def seed_example_election(*, load_day: datetime.date | None = None) -> Election:
    """Create (or complete) the example election, its dates counted from ``load_day``
    (default: today); running it again changes nothing, dates included."""
    load_day = load_day or timezone.localdate()
    provinces = list(AdminUnit.objects.of_kind(Kind.PROVINCE))
    counties = list(AdminUnit.objects.of_kind(Kind.COUNTY))
    tehran = next((p for p in provinces if p.name_key == search_key("تهران")), None)
    if tehran is None or not counties:
        raise SeedError("Geography is missing: run `amanat import-geo` first.")
    election = Election.objects.filter(slug=SLUG).first() or services.election_create(
        name="هفتمین دوره انتخابات شوراهای اسلامی شهر و روستا و میان‌دوره‌ای مجلس خبرگان "
             "رهبری در استان تهران",
        slug=SLUG,
        election_day=election_day_for(load_day),
        description="نمونه آزمایشی (ساختگی): تاریخ‌ها از روز بارگذاری نمونه حساب شده‌اند.",
    )
    _county_constituencies(provinces, counties)
    tehran_counties = [c for c in counties if c.path.startswith(tehran.path)]
    experts = _province_constituency(tehran, tehran_counties)
    # Council constituencies come from the candidates app's loader (see the docstring).
    _contest(election, ContestKind.CITY_COUNCIL, "هفتمین دوره شوراهای اسلامی شهر", False, [])
    _contest(election, ContestKind.VILLAGE_COUNCIL, "هفتمین دوره شوراهای اسلامی روستا", False,
             [])
    _contest(election, ContestKind.ASSEMBLY_OF_EXPERTS,
             "میان‌دوره‌ای مجلس خبرگان رهبری، استان تهران", True, [experts])
    _calendar(election, load_day_of(election, load_day))
    return election


def _county_constituencies(
    provinces: list[AdminUnit], counties: list[AdminUnit]
) -> list[Constituency]:
    """One constituency per county (``CC-<code>``, a group of counties), created in bulk
    (448 nationally): the station registry files each station under one."""
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
        defaults={"name": f"حوزه انتخابیه استان {province.name}", "province": province,
                  "kind": ConstituencyKind.PROVINCE, "unit": province,
                  "unit_path": province.path, "seats": 1},
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


def load_day_of(election: Election, load_day: datetime.date) -> datetime.date:
    """The load day the election's dates were counted from (an election loaded earlier
    keeps its calendar: a second run adds only what is missing)."""
    opens = election.milestones.filter(code=MilestoneCode.REGISTRATION_OPENS).first()
    if opens is None:
        return load_day
    return opens.due - datetime.timedelta(days=SCHEDULE[0][3])


def _calendar(election: Election, load_day: datetime.date) -> None:
    day = election.election_day
    milestones = milestones_for(load_day, day)
    phases = {
        PhaseKind.BEFORE: (milestones[0][2], day - datetime.timedelta(days=1)),
        PhaseKind.DURING: (day, day),
        PhaseKind.AFTER: (day + datetime.timedelta(days=1), milestones[-1][2]),
    }
    existing_phases = set(election.phases.values_list("kind", flat=True))
    for kind, (start, end) in phases.items():
        if kind not in existing_phases:
            services.phase_set(election=election, kind=kind, start=start, end=end)
    existing = set(election.milestones.values_list("code", flat=True))
    for code, name, due, phase in milestones:
        if code not in existing:
            services.milestone_create(election=election, code=code, name=name, due=due,
                                      phase=phase)
