"""What the user review of the plans (2026-12, docs/reviews/2026-12-user-plans.md) found,
through the pages as the users who met it."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from amanat.plans import playbooks, services
from amanat.plans.models import IndicatorKind, Measure, MeasureStatus
from amanat.plans.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _measure(world: World, owner: str, days: int, title: str) -> Measure:
    return services.measure_create(
        election=world.election, unit=world.geo.gharchak, title=title, phase="before",
        owner=world.agency(owner), due_on=TODAY + datetime.timedelta(days=days),
        actor=world.personas.admin)


def test_the_agency_officer_reports_from_the_work_list_and_comes_back_to_it(
        world: World) -> None:
    """The work list had no report link at all: a police officer saw the overdue measures
    of their agency and could not act on them; a report always went back to the county
    page. The link is on the rows the officer's agency owns, and the report returns to
    the list it came from."""
    own = _measure(world, "police", -2, "گشت شعب حساس")
    other = _measure(world, "telecom", 4, "فیبر نوری")
    police = client_for(world.personas.police)
    work = reverse("plans:work") + "?overdue=1"
    page = police.get(work).content.decode()
    link = reverse("plans:measure_report", args=[own.pk])
    assert f'href="{link}?next=/plans/work/%3Foverdue%3D1"' in page
    assert reverse("plans:measure_report", args=[other.pk]) not in police.get(
        reverse("plans:work")).content.decode()
    response = police.post(f"{link}?next=/plans/work/%3Foverdue%3D1",
                           {"status": "done", "evidence": "نامه 123 — 12 گشت"})
    assert response.status_code == 302 and response["Location"] == work
    own.refresh_from_db()
    assert own.status == MeasureStatus.DONE
    # Back on the work list: the message, once; the evidence in Persian digits.
    assert police.get(work).content.decode().count("گزارش اقدام ثبت شد") == 1
    listing = police.get(reverse("plans:county", args=[world.geo.gharchak.pk]))
    body = listing.content.decode()
    assert "گزارش اقدام ثبت شد" not in body
    assert "۱۲۳" in body and "123" not in re.sub(r'href="[^"]*"', "", body)
    # A return address elsewhere is not followed.
    for away in ("https://example.org/", "//example.org/plans/", "/accounts/logout/"):
        response = police.post(f"{link}?next={away}", {"status": "in_progress",
                                                       "evidence": "ادامه دارد " + away})
        assert response["Location"] == reverse("plans:county", args=[world.geo.gharchak.pk])


def test_messages_appear_once_on_every_plans_page_with_the_crumbs(world: World) -> None:
    """The crumbs partial and the localisation, county, plan and scenario pages each
    printed the messages: «Localisation approved.» appeared twice."""
    governor = client_for(world.personas.gharchak_governor)
    county = reverse("plans:county", args=[world.geo.gharchak.pk])
    response = governor.post(reverse("plans:tier_measures", args=[world.geo.gharchak.pk]),
                             follow=True)
    body = response.content.decode()
    assert response.request["PATH_INFO"] == county
    assert body.count('class="alert alert-') == 1, body.count('class="alert alert-')


def test_counts_and_windows_in_persian_digits(world: World) -> None:
    """«3 گام باز» on the county page, «در 60 دقیقه» on the scenario."""
    threat = world.threat("power_network_outage")
    scenario = services.scenario_create(
        code="wave", threat=threat, title="موج گزارش", actor=world.personas.admin,
        playbook=playbooks.build("wave", "x", [("police", "گشت"), ("election_hq", "اطلاع"),
                                               ("judiciary", "پیگیری")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.REPORTS_PER_HOUR,
                                            threshold=5, window_minutes=90)])
    services.playbook_start(scenario=scenario, unit=world.geo.gharchak, actor=None)
    governor = client_for(world.personas.gharchak_governor)
    county = governor.get(reverse("plans:county", args=[world.geo.gharchak.pk])).content
    assert "۳ گام باز" in county.decode()
    detail = governor.get(reverse("plans:scenario", args=[scenario.pk])).content.decode()
    assert "۹۰ دقیقه" in detail and "90 دقیقه" not in detail


def test_the_plan_button_says_what_it_does(world: World) -> None:
    """The button read the next state's name («مصوب فرماندار», «ارسال‌شده به استان»),
    not the action."""
    plan = services.plan_draft(election=world.election, unit=world.geo.gharchak,
                               summary="طرح", actor=None)
    governor = client_for(world.personas.gharchak_governor)
    url = reverse("plans:plan", args=[world.geo.gharchak.pk])
    for to, label in (("in_review", "ارسال برای نظر دستگاه‌های عضو"), ("approved", "تصویب"),
                      ("sent", "ارسال به استان")):
        page = governor.get(url).content.decode()
        button = re.search(r'data-testid="plan-advance">([^<]*)<', page)
        assert button is not None and button.group(1) == label, to
        assert governor.post(reverse("plans:plan_advance", args=[plan.pk]),
                             {"to": to}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "sent"
    assert 'data-testid="plan-advance"' not in governor.get(url).content.decode()


def test_the_rating_form_starts_from_the_level_the_county_page_shows(world: World) -> None:
    """The form started at 1 × 1 whatever the page showed: a governor who only added a
    note lowered the threat."""
    from amanat.plans import selectors

    gharchak = world.geo.gharchak
    rated = world.threat("vote_buying")
    services.threat_rate(election=world.election, threat=rated, unit=gharchak, likelihood=3,
                         impact=4, note="گزارش‌های مردمی", actor=None)
    governor = client_for(world.personas.gharchak_governor)
    for row in selectors.threat_levels(world.election, gharchak):
        url = reverse("plans:threat_rate", args=[gharchak.pk, row.threat.pk])
        form = governor.get(url).context["form"]
        assert (form["likelihood"].value(), form["impact"].value()) == (
            row.likelihood, row.impact), row.threat.code
    page = governor.get(reverse("plans:threat_rate", args=[gharchak.pk, rated.pk]))
    body = page.content.decode()
    assert re.search(r'<option value="3" selected>', body) and "گزارش‌های مردمی" in body
