"""Persian alphabetical order where people pick or read names (user review 2026-12): the
county lists of registration and the published final list's ballot order followed code
points, which put پ چ ژ گ after ی."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Role
from amanat.accounts.testing import sign_in
from amanat.candidates.models import FinalList, State
from amanat.candidates.tests import review_factories as f
from amanat.elections.models import Election
from conftest import make_unit

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S)
    assert select is not None
    return [t.strip() for t in re.findall(r'<option value="\d+"[^>]*>([^<]*)<', select.group(0))]


def test_the_registration_counties_are_in_persian_order(small_geo: Any) -> None:
    make_unit("county", "2320", "پاکدشت", small_geo.tehran)
    make_unit("county", "2330", "ورامین", small_geo.tehran)
    make_unit("county", "2340", "گرمسار", small_geo.tehran)
    Election.objects.create(name="round", slug="round", election_day=TODAY + 60 * DAY)
    page = Client().get(reverse("candidates:register"))
    counties = _options(page.content.decode(), "county")
    assert counties.index("پاکدشت") < counties.index("قرچک") < counties.index("گرمسار") \
        < counties.index("ورامین")


def test_the_final_list_is_in_persian_alphabetical_order(small_geo: Any, personas: Any) -> None:
    election = Election.objects.create(name="round", slug="round",
                                       election_day=TODAY + 60 * DAY)
    f.calendar(election, closes=TODAY - 10 * DAY, complaints_close=TODAY - DAY)
    race = f.contest(election)
    seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    names = ["یزدانی", "وحیدی", "گلستانی", "کریمی", "حسینی", "چراغی", "پاکزاد", "باقری",
             "احمدی"]
    for name in names:
        f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak,
                    last_name=name, state=State.QUALIFIED)
    board = Client()
    sign_in(board, f.member("exec_gharchak", Role.EXECUTIVE_BOARD, small_geo.gharchak))
    assert board.post(reverse("candidates_review:publish", args=[race.pk, seat.pk])
                      ).status_code == 302
    final = FinalList.objects.get(published_at__isnull=False)
    body = json.loads(Client().get(reverse("public_final_list_json", args=[final.pk])).content)
    ballot = [row["name"].split()[-1] for row in body["candidates"]]
    assert ballot == ["احمدی", "باقری", "پاکزاد", "چراغی", "حسینی", "کریمی", "گلستانی",
                      "وحیدی", "یزدانی"]
