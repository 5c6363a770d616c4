"""Fixtures of the site tests: an office's worth of work on the small geography (the
home page and the persona crawl read it), and an empty cache for every test (the home
page keeps readiness gaps there)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.accounts.testing import Personas
from amanat.councils import services as councils
from amanat.councils.models import CouncilKind
from amanat.councils.tests.conftest import seed_categories
from amanat.elections.models import Election, Milestone
from amanat.incidents import services as incidents
from amanat.incidents.models import Case, Category, Channel, Report
from amanat.stations.models import Cctv, Fibre
from amanat.stations.tests.conftest import make_station


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@dataclass
class Office:
    geo: Any
    personas: Personas
    election: Election
    gharchak_report: Report
    kerman_report: Report
    late_case: Case
    kerman_case: Case
    meeting: Any


def _report(unit: Any, text: str, category: str = "vote_buying") -> Report:
    return incidents.report_receive(channel=Channel.WEB, text=text, unit=unit,
                                    category=Category.objects.get(code=category)).report


def _case(unit: Any, text: str, category: str, opened: datetime.datetime) -> Case:
    report = _report(unit, text, category)
    return incidents.case_open_from_report(report=report, actor=None, now=opened)


@pytest.fixture
def office(small_geo: Any, personas: Personas) -> Office:
    seed_categories()
    today = timezone.localdate()
    now = timezone.now()
    election = Election.objects.create(name="انتخابات آزمایشی", slug="test-election",
                                       election_day=today + datetime.timedelta(days=40))
    Milestone.objects.create(election=election, code="fibre_status_due", phase="before",
                             name="اعلام وضعیت فیبر", due=today + datetime.timedelta(days=3))
    Milestone.objects.create(election=election, code="stations_final", phase="before",
                             name="قطعی شدن شعب", due=today + datetime.timedelta(days=20))
    make_station(election, small_geo.gharchak, "2310-0001", cctv=Cctv.NONE,
                 evoting_planned=True, fibre=Fibre.NONE)
    make_station(election, small_geo.gharchak, "2310-0002", cctv=Cctv.LIVE)
    make_station(election, small_geo.kerman_county, "0815-0001", cctv=Cctv.NONE)
    gharchak_report = _report(small_geo.gharchak, "گزارش قرچک منتظر بررسی")
    kerman_report = _report(small_geo.kerman_county, "گزارش کرمان منتظر بررسی")
    # Vote buying is police work: a case assigned later reaches the police officer.
    late_case = _case(small_geo.gharchak, "پرونده دیرکرد قرچک", "vote_buying",
                      now - datetime.timedelta(days=10))
    kerman_case = _case(small_geo.kerman_county, "پرونده تازه کرمان", "vote_buying", now)
    council = councils.council_create(unit=small_geo.gharchak,
                                      kind=CouncilKind.SECURITY_COUNCIL,
                                      name="شورای تأمین شهرستان قرچک", actor=None)
    meeting = councils.meeting_create(council=council, actor=None,
                                      held_on=today + datetime.timedelta(days=2))
    councils.agenda_item_add(meeting=meeting, title="آمادگی شعب حساس", actor=None)
    decision = councils.decision_add(meeting=meeting, text="گشت بیشتر", actor=None)
    councils.action_item_add(decision=decision, text="گشت در محدوده شعب",
                             owner=Agency.objects.get(code="police"),
                             due_on=today + datetime.timedelta(days=4), actor=None)
    return Office(small_geo, personas, election, gharchak_report, kerman_report, late_case,
                  kerman_case, meeting)
