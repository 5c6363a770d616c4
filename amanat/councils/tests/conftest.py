"""Fixtures of the councils tests: the small geography, personas, a council for
Gharchak, Kerman county and Kerman province, and a helper that opens real cases through
the incidents services."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from amanat.accounts.models import Agency
from amanat.accounts.testing import Personas, sign_in
from amanat.councils import services
from amanat.councils.models import Council, CouncilKind
from amanat.incidents import services as incidents
from amanat.incidents.categories import CATEGORIES
from amanat.incidents.models import Case, Category, Channel

DAY = datetime.date(2026, 2, 1)  # 1404/11/12


def seed_categories() -> None:
    """The migration's categories again: a transactional test may have flushed them."""
    if Category.objects.exists():
        return
    agencies = {a.code: a for a in Agency.objects.all()}
    for position, c in enumerate(CATEGORIES):
        Category.objects.create(
            code=c.code, sms_code=c.sms_code, name_fa=c.name_fa, name_en=c.name_en,
            agency=agencies[c.agency], severity=c.severity, response_hours=c.response_hours,
            position=position,
        )


@dataclass
class World:
    geo: Any
    personas: Personas
    gharchak: Council
    kerman: Council
    kerman_province: Council
    open_case: Callable[..., Case]


def open_case(unit: Any, category: str = "vote_buying", text: str = "خرید رأی در محله"
              ) -> Case:
    """A new case from a staff report at ``unit``, severity from the category."""
    received = incidents.report_receive(channel=Channel.WEB,
                                        category=Category.objects.get(code=category),
                                        text=text, unit=unit)
    # Opened a minute apart, well before the meetings of the tests (dated around DAY).
    opened = OPENED + datetime.timedelta(minutes=Case.objects.count())
    return incidents.case_open_from_report(report=received.report, actor=None, now=opened)


OPENED = datetime.datetime(2026, 1, 1, 8, 0, tzinfo=datetime.UTC)


def resolve(case: Case, actor: Any) -> Case:
    case = incidents.case_triage(case=case, actor=actor)
    case = incidents.case_assign(case=case, actor=actor)
    return incidents.case_resolve(case=case, actor=actor, outcome="رسیدگی و مختومه شد")


@pytest.fixture
def world(small_geo: Any, personas: Personas) -> World:
    seed_categories()
    admin = personas.admin
    return World(
        geo=small_geo, personas=personas,
        gharchak=services.council_create(unit=small_geo.gharchak,
                                         kind=CouncilKind.SECURITY_COUNCIL,
                                         name="شورای تأمین شهرستان قرچک", actor=admin),
        kerman=services.council_create(unit=small_geo.kerman_county,
                                       kind=CouncilKind.SECURITY_COUNCIL,
                                       name="شورای تأمین شهرستان کرمان", actor=admin),
        kerman_province=services.council_create(unit=small_geo.kerman_province,
                                                kind=CouncilKind.SECURITY_COUNCIL,
                                                name="شورای تأمین استان کرمان", actor=admin),
        open_case=open_case,
    )


def client_for(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")  # settle the session so it stays out of query counts
    return client
