"""Categories and agencies are database rows named in both languages: each interface
shows its own (issue 12: the English interface showed Persian names)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from amanat.incidents import services
from amanat.incidents.models import Case
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db


def _assigned_case(world: World) -> Case:
    report = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="خرید رأی جلوی شعبه",
        station=world.gharchak_station, actor=world.personas.gharchak_governor,
    ).report
    case = services.case_open_from_report(report=report, actor=world.personas.admin)
    case = services.case_triage(case=case, actor=world.personas.admin)
    return services.case_assign(case=case, actor=world.personas.admin)


def test_the_english_interface_shows_english_category_and_agency_names(world: World) -> None:
    case = _assigned_case(world)
    category, agency = case.category, case.agency
    assert agency is not None and category.name_en != category.name_fa
    url = reverse("incidents:case", args=[case.pk])

    english = client_for(world.personas.admin, "en").get(url).content.decode()
    assert category.name_en in english and agency.name_en in english
    assert category.name_fa not in english and agency.name_fa not in english

    persian = client_for(world.personas.admin).get(url).content.decode()
    assert category.name_fa in persian and agency.name_fa in persian
    assert category.name_en not in persian


def test_the_case_list_names_follow_the_language_too(world: World) -> None:
    case = _assigned_case(world)
    english = client_for(world.personas.admin, "en").get(reverse("incidents:cases"))
    assert case.category.name_en in english.content.decode()
    assert case.category.name_fa not in english.content.decode()
