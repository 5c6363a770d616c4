"""Fixtures of the plans tests: the small geography, personas, a current election with
a station in Gharchak and one in Kerman, the seeded categories and threat catalogue."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from amanat.accounts.models import Agency
from amanat.accounts.testing import Personas, sign_in
from amanat.elections.models import Election
from amanat.incidents.categories import CATEGORIES
from amanat.incidents.models import Category
from amanat.plans.catalogue import threat_catalogue_seed
from amanat.plans.models import Threat
from amanat.stations.models import Station


def seed_categories() -> None:
    if Category.objects.exists():
        return
    agencies = {a.code: a for a in Agency.objects.all()}
    for position, c in enumerate(CATEGORIES):
        Category.objects.create(
            code=c.code, sms_code=c.sms_code, name_fa=c.name_fa, name_en=c.name_en,
            agency=agencies[c.agency], severity=c.severity, response_hours=c.response_hours,
            position=position)


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Election
    gharchak_station: Station
    kerman_station: Station

    def agency(self, code: str) -> Agency:
        return Agency.objects.get(code=code)

    def threat(self, code: str) -> Threat:
        return Threat.objects.get(unit__isnull=True, code=code)


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any) -> World:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    seed_categories()
    threat_catalogue_seed()
    election = Election.objects.create(
        name="انتخابات آزمایشی", slug="test-1405",
        election_day=timezone.localdate() + datetime.timedelta(days=30))
    gharchak = Station.objects.create(
        election=election, county=small_geo.gharchak, unit=small_geo.gharchak_city,
        unit_path=small_geo.gharchak_city.path, code="0042", name="دبستان فردوسی")
    kerman = Station.objects.create(
        election=election, county=small_geo.kerman_county, unit=small_geo.villages[0],
        unit_path=small_geo.villages[0].path, code="0007", name="مسجد جامع")
    return World(small_geo, personas, election, gharchak, kerman)


def client_for(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")  # settle the session so it stays out of query counts
    return client
