"""Rules of the plans app through its pages, commands and services: overdue measures on
every new council meeting's agenda, threat levels explained, indicators that read no
personal data, scope and roles, constant query counts on the list pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Membership, Role
from amanat.audit.models import Event
from amanat.councils import services as councils
from amanat.councils.models import AgendaItem, Council
from amanat.incidents.models import Category
from amanat.lib.jalali import format_jalali
from amanat.plans import evaluate, indicators, playbooks, services
from amanat.plans.models import (
    Directive,
    DirectiveStatus,
    IndicatorKind,
    Localisation,
    Measure,
    MeasureAgendaItem,
    ThreatRating,
)
from amanat.plans.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _measure(world: World, unit, days: int, owner: str = "police", title: str = "گشت") -> Measure:
    return services.measure_create(
        election=world.election, unit=unit, title=title, phase="before",
        owner=world.agency(owner), due_on=TODAY + datetime.timedelta(days=days),
        actor=world.personas.admin)


def test_overdue_measures_go_on_every_new_meeting_of_the_area(
        world: World, django_capture_on_commit_callbacks) -> None:
    geo, p = world.geo, world.personas
    late = _measure(world, geo.gharchak, -3, title="گشت شعب حساس")
    _measure(world, geo.gharchak, 5, title="در موعد")
    _measure(world, geo.kerman_county, -3, title="کرمان")
    council = councils.council_create(unit=geo.gharchak, kind="security_council",
                                      name="شورای تأمین قرچک", actor=p.admin)
    governor = client_for(p.gharchak_governor)
    for n in (1, 2):
        with django_capture_on_commit_callbacks(execute=True):
            response = governor.post(reverse("councils:meeting_new", args=[council.pk]),
                                     {"held_on": format_jalali(TODAY)})
        assert response.status_code == 302, response.content
        items = AgendaItem.objects.filter(meeting__council=council, meeting__number=n)
        assert [i.title for i in items] == [f"گشت شعب حساس · {geo.gharchak.name}"]
    assert MeasureAgendaItem.objects.filter(measure=late).count() == 2
    # Done: off the next agenda.
    services.measure_report(measure=late, status="done", evidence="انجام شد", actor=p.admin)
    with django_capture_on_commit_callbacks(execute=True):
        meeting = councils.meeting_create(council=council, held_on=TODAY, actor=p.admin)
    assert not meeting.agenda.exists()
    assert Event.objects.filter(action="councils.agenda.add").count() == 2


def test_threat_level_is_explained_and_a_county_rating_replaces_it(world: World) -> None:
    geo, p = world.geo, world.personas
    governor = client_for(p.gharchak_governor)
    page = governor.get(reverse("plans:county", args=[geo.gharchak.pk]))
    rows = {r.threat.code: r for r in page.context["levels"]}
    vote = rows["vote_buying"]
    assert not vote.rated and [f["code"] for f in vote.factors] == [
        "annulled_history", "assessments", "incidents"]
    url = reverse("plans:threat_rate", args=[geo.gharchak.pk, vote.threat.pk])
    refused = governor.post(url, {"likelihood": "7", "impact": "4", "note": "x"})
    assert refused.status_code == 200 and not ThreatRating.objects.exists()
    assert client_for(p.kerman_governor).post(
        url, {"likelihood": "4", "impact": "4", "note": "x"}).status_code == 404
    governor.post(url, {"likelihood": "4", "impact": "5", "note": "ابطال دوره قبل"})
    page = governor.get(reverse("plans:county", args=[geo.gharchak.pk]))
    top = page.context["levels"][0]
    assert (top.threat.code, top.level, top.rated) == ("vote_buying", 20, True)
    assert "ابطال دوره قبل" in page.content.decode()


# Columns that hold what people wrote or who they are: no indicator may read them.
PERSONAL = ("text", "text_normalized", "contact", "payload", "submitted_by_id", "summary",
            "outcome", "client_key", "locked_by_id", "name", "address", "evidence",
            "national_id", "phone", "username")


def test_no_indicator_reads_personal_data(world: World) -> None:
    values = indicators.IndicatorValues(election=world.election, now=timezone.now())
    for kind in IndicatorKind.values:
        with CaptureQueriesContext(connection) as captured:
            values.compute(kind, None, 60)
        sql = " ".join(q["sql"] for q in captured.captured_queries)
        read = set(re.findall(r'"(\w+)"\."(\w+)"', sql))
        leaked = {f"{t}.{c}" for t, c in read if c in PERSONAL and t != "geo_adminunit"}
        assert not leaked, (kind, leaked)
        assert {f"{t}.{c}" for t, c in read if t != "geo_adminunit"} <= set(
            indicators.COLUMNS_READ[kind]) | {f"{t}.id" for t, _c in read}, kind


def test_readiness_and_overdue_indicators(world: World) -> None:
    """Stations not ready count per county; overdue measures too."""
    _measure(world, world.geo.kerman_county, -1)
    values = indicators.IndicatorValues(election=world.election, now=timezone.now())
    assert values.compute(IndicatorKind.READINESS_GAPS, None, 60) == {
        world.geo.gharchak.pk: 1.0, world.geo.kerman_county.pk: 1.0}
    assert values.compute(IndicatorKind.OVERDUE_MEASURES, None, 60) == {
        world.geo.kerman_county.pk: 1.0}


def test_alert_clears_when_the_value_falls_back(world: World) -> None:
    threat = world.threat("power_network_outage")
    services.scenario_create(
        code="late", threat=threat, title="اقدامات معوق", actor=world.personas.admin,
        playbook=playbooks.build("late", "x", [("election_hq", "پیگیری")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.OVERDUE_MEASURES, threshold=1)])
    late = _measure(world, world.geo.gharchak, -1)
    assert [a.unit for a in evaluate.indicators_evaluate(election=world.election).fired] == [
        world.geo.gharchak]
    services.measure_report(measure=late, status="done", evidence="x", actor=None)
    result = evaluate.indicators_evaluate(election=world.election)
    assert len(result.cleared) == 1 and result.cleared[0].status == "cleared"


def test_roles_without_the_right_are_refused(world: World) -> None:
    geo, p = world.geo, world.personas
    measure = _measure(world, geo.gharchak, 3)
    inspector, police = client_for(p.inspector), client_for(p.police)
    # A field inspector sees the threat catalogue, not the county's measures.
    assert inspector.get(reverse("plans:threats")).status_code == 200
    assert inspector.get(reverse("plans:county", args=[geo.gharchak.pk])).status_code == 404
    assert inspector.get(reverse("plans:work")).status_code == 404
    # The police officer reports the police's measures but creates none.
    data = {"title": "x", "phase": "before", "kind": "preventive",
            "owner": world.agency("police").pk, "due_on": format_jalali(TODAY)}
    assert police.post(reverse("plans:measure_new", args=[geo.gharchak.pk]),
                       data).status_code == 404
    assert Measure.objects.count() == 1
    # Only the ministry drafts directives.
    governor = client_for(p.gharchak_governor)
    assert governor.get(reverse("plans:directive_new")).status_code == 404
    # Bad input: a clear error, nothing stored.
    bad = governor.post(reverse("plans:measure_new", args=[geo.gharchak.pk]),
                        {**data, "due_on": "1404/13/40"})
    assert bad.status_code == 200 and "due_on" in bad.context["form"].errors
    assert Measure.objects.count() == 1
    assert governor.get(reverse("plans:measure_report", args=[measure.pk])).status_code == 200


def test_list_pages_make_a_constant_number_of_queries(
        world: World, django_assert_max_num_queries) -> None:
    directive = Directive.objects.create(election=world.election, code="d", title="d", text="d",
                                         status=DirectiveStatus.ISSUED, localise_by=TODAY)
    for unit in (world.geo.gharchak, world.geo.kerman_county, world.geo.rafsanjan):
        for n in range(3):
            _measure(world, unit, n - 1)
    services.localisation_start(directive=directive, unit=world.geo.gharchak, actor=None)
    admin = client_for(world.personas.admin)
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("plans:dashboard")).status_code == 200
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("plans:work")).status_code == 200
    with django_assert_max_num_queries(10):
        assert admin.get(reverse("plans:alerts")).status_code == 200
    assert Category.objects.exists() and Membership.objects.filter(role=Role.GOVERNOR).exists()
    assert Council.objects.count() == 0


def test_every_link_on_the_county_page_opens_for_the_roles_that_read_it(world: World) -> None:
    """User review 2026-12: the police officer's county page linked the directives'
    localisations, which the role cannot open (404)."""
    geo, p = world.geo, world.personas
    directive = services.directive_create(
        election=world.election, code="d-1", title="دستورالعمل", text="متن",
        localise_by=TODAY + datetime.timedelta(days=5), actor=None,
        measures=[services.MeasureSpec(title="گشت", phase="before", owner=world.agency("police"),
                                       due_on=TODAY + datetime.timedelta(days=9))])
    services.directive_issue(directive=directive, actor=None)
    services.localisation_start(directive=directive, unit=geo.gharchak, actor=None)
    _measure(world, geo.gharchak, 3)
    county = reverse("plans:county", args=[geo.gharchak.pk])
    for user in (p.police, p.gharchak_governor):
        client = client_for(user)
        page = client.get(county)
        assert page.status_code == 200
        links = set(re.findall(r'href="(/[^"#?]*)', page.content.decode()))
        assert links
        broken = [link for link in sorted(links) if client.get(link).status_code == 404]
        assert broken == [], (user.username, broken)
    assert reverse("plans:localisation", args=[Localisation.objects.get().pk]) in \
        client_for(p.gharchak_governor).get(county).content.decode()
