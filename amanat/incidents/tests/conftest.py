"""Fixtures of the incidents tests: the small geography, personas, one current election
with a station in Gharchak and one in Kerman, the seeded categories and helpers."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from amanat.accounts.testing import Personas, sign_in
from amanat.elections.models import Election
from amanat.incidents.categories import CATEGORIES
from amanat.incidents.models import Category
from amanat.stations.models import Station

SMS_SECRET = "test-sms-secret"


def seed_categories() -> None:
    """The migration's categories again: a transactional test elsewhere may have flushed
    them."""
    from amanat.accounts.models import Agency

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
    election: Election
    gharchak_station: Station
    kerman_station: Station

    def category(self, code: str) -> Category:
        return Category.objects.select_related("agency").get(code=code)


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AMANAT_SMS_SECRET = SMS_SECRET
    settings.AMANAT_PUBLIC_FORM_MIN_SECONDS = 0
    seed_categories()
    election = Election.objects.create(
        name="انتخابات آزمایشی", slug="test-1405",
        election_day=timezone.localdate() + datetime.timedelta(days=30),
    )
    gharchak = Station.objects.create(
        election=election, county=small_geo.gharchak, unit=small_geo.gharchak_city,
        unit_path=small_geo.gharchak_city.path, code="0042", name="دبستان فردوسی",
    )
    kerman = Station.objects.create(
        election=election, county=small_geo.kerman_county, unit=small_geo.villages[0],
        unit_path=small_geo.villages[0].path, code="0007", name="مسجد جامع",
    )
    return World(small_geo, personas, election, gharchak, kerman)


def client_for(user: Any, language: str | None = None) -> Client:
    client = sign_in(Client(), user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.get("/")  # settle the session so it stays out of query counts
    return client


def sms_post(client: Client, body: dict[str, Any], *, secret: str = SMS_SECRET,
             signature: str | None = None) -> Any:
    raw = json.dumps(body, ensure_ascii=False).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/v1/incidents/sms", data=raw, content_type="application/json",
                       headers={"X-Amanat-Signature": signature})


def public_form(world: World, **values: Any) -> dict[str, Any]:
    from amanat.incidents.spam import form_token

    data = {
        "category": world.category("vote_buying").pk,
        "station_code": "2310-0042",
        "county": "",
        "text": "کسی جلوی شعبه پول می‌داد تا به نامزد خاصی رأی بدهیم",
        "contact": "",
        "website": "",
        "token": form_token(),
    }
    data.update(values)
    return data


__all__ = ["World", "client_for", "public_form", "sms_post"]
