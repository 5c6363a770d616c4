"""The law's values as data/law.json holds them (checked 2026-12-02, its ``_source``):
alternates by population band, schooling by the city's population, no upper age for
council candidates; and the migration that corrects a database seeded before."""

from __future__ import annotations

import datetime
import html
import re
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.candidates import services
from amanat.candidates.models import Candidacy, EligibilityRule, SeatBand
from amanat.candidates.tests.conftest import World, nid
from amanat.geo.models import Constituency

pytestmark = pytest.mark.django_db


def _register(world: World, n: int, constituency: Constituency, *, education: int,
              birth: datetime.date = datetime.date(1980, 1, 1)) -> Candidacy:
    return services.candidacy_register(
        actor=None, contest=world.city_council, constituency=constituency, channel="online",
        person=services.PersonData(
            national_id=nid(n), first_name=f"نام{n}", last_name="کریمی", father_name="علی",
            gender="male", birth_date=birth, education=education, residence_years=3,
            mobile="09121112233"))


def _verdicts(client: Client, candidacy: Candidacy) -> str:
    return in_language(client, "en").get(
        reverse("candidates:detail", args=[candidacy.pk])).content.decode()


def test_alternates_follow_the_population_bands(world: World) -> None:
    kerman = world.city(world.geo.kerman_city)  # 537,718 people
    assert (kerman.seats, kerman.reserve_seats) == (11, 7)
    tehran = Constituency.objects.get(kind="city", unit__name_key__contains="تهران")
    assert (tehran.seats, tehran.reserve_seats) == (21, 11)
    village = Constituency.objects.get(kind="village", unit=world.geo.villages[0])  # 2,100
    assert (village.seats, village.reserve_seats) == (5, 3)


def test_schooling_depends_on_the_citys_population(world: World, client: Client) -> None:
    # An associate degree (4): enough up to 20,000 people, not in a city of 537,718.
    small = world.city(world.geo.gharchak_city)
    small.population = 18_000
    small.save()
    big = world.city(world.geo.kerman_city)
    in_small = _register(world, 1, small, education=4)
    in_big = _register(world, 2, big, education=4)
    sign_in(client, world.personas.admin)
    small_html, big_html = _verdicts(client, in_small), _verdicts(client, in_big)
    assert "cities up to 20,000 people" in small_html
    assert "cities above 20,000 people" not in small_html
    assert "cities above 20,000 people" in big_html
    assert "cities up to 20,000 people" not in big_html
    not_met = re.findall(r'<tr data-verdict="not_met"><td>([^<]*)<', big_html)
    assert [html.unescape(name) for name in not_met] == [
        "At least a bachelor's degree (cities above 20,000 people)"]
    assert 'data-verdict="not_met"' not in small_html


def test_council_candidates_have_no_upper_age(world: World) -> None:
    candidacy = _register(world, 3, world.city(world.geo.kerman_city), education=6,
                          birth=datetime.date(1940, 1, 1))
    assert candidacy.pk
    assert not EligibilityRule.objects.filter(code="age_max", active=True,
                                              contest_kind="city_council").exists()


@pytest.mark.django_db(transaction=True)
def test_the_migration_corrects_a_first_seed_and_keeps_an_edited_row(small_geo: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("candidates", "0004_search_trigram")])
    old = executor.loader.project_state([("candidates", "0004_search_trigram")]).apps
    band_model = old.get_model("candidates", "SeatBand")
    rule_model = old.get_model("candidates", "EligibilityRule")
    band_model.objects.create(kind="city", min_population=50001, seats=7, reserve_seats=4,
                              legal_reference="قانون شوراها، ماده ۱")
    band_model.objects.create(kind="city", min_population=200001, seats=9, reserve_seats=9,
                              legal_reference="edited by hand")
    rule_model.objects.create(contest_kind="city_council", code="age_max", test="age_max",
                              number=75, name_fa="x", name_en="x", legal_reference="x")
    rule_model.objects.create(contest_kind="city_council", code="education",
                              test="education_min", number=5, name_fa="x", name_en="x",
                              legal_reference="x")
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    corrected = SeatBand.objects.get(kind="city", min_population=50001)
    assert (corrected.reserve_seats, corrected.legal_reference) == (5, "قانون شوراها، ماده ۶")
    assert SeatBand.objects.get(kind="city", min_population=200001).reserve_seats == 9
    assert not EligibilityRule.objects.get(code="age_max").active
    assert EligibilityRule.objects.get(code="education").min_population == 20001
