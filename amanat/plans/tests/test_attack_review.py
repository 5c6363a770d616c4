"""Attack review 2026-12 of the plans and the finished atlas
(docs/reviews/2026-12-attack-plans.md): each test fails without its fix."""

from __future__ import annotations

import datetime
import hashlib
import io
import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Membership, Role
from amanat.audit.models import Event
from amanat.councils.tests.test_pdf import pdftotext
from amanat.lib.jalali import format_jalali
from amanat.plans import playbooks, services
from amanat.plans.models import (
    Alert,
    IndicatorKind,
    MeasureSource,
    PlaybookRun,
    Scenario,
    SecurityPlan,
    Threat,
)
from amanat.plans.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def _text(pdf: bytes) -> str:
    return " ".join(pdftotext(pdf).replace("\u200c", "").split())


def test_the_approved_plan_prints_what_the_governor_approved(world: World) -> None:
    """The plan PDF was drawn from the county's data of the moment: after the governor's
    approval the committee changed the measures and the PDF still said "approved by the
    governor" over content the governor never saw, and sent it to the province."""
    geo = world.geo
    governor = client_for(world.personas.gharchak_governor)
    measure = {"title": "گشت شبانه در شعب", "phase": "before", "kind": "preventive",
               "owner": world.agency("police").pk,
               "due_on": format_jalali(TODAY + datetime.timedelta(days=3))}
    assert governor.post(reverse("plans:measure_new", args=[geo.gharchak.pk]),
                         measure).status_code == 302
    assert governor.post(reverse("plans:plan_edit", args=[geo.gharchak.pk]),
                         {"summary": "طرح شهرستان"}).status_code == 302
    plan = SecurityPlan.objects.get(unit=geo.gharchak)
    advance = reverse("plans:plan_advance", args=[plan.pk])
    for step in ("in_review", "approved"):
        assert governor.post(advance, {"to": step}).status_code == 302
    plan.refresh_from_db()
    assert plan.status == "approved" and plan.approved_content is not None
    # After the approval the county changes what the plan is made of.
    assert governor.post(reverse("plans:measure_new", args=[geo.gharchak.pk]),
                         {**measure, "title": "اقدام افزوده پس از تصویب"}).status_code == 302
    pdf_url = reverse("plans:plan_pdf", args=[plan.pk])
    text = _text(governor.post(pdf_url).content)
    assert "گشت شبانه در شعب" in text
    assert "اقدام افزوده پس از تصویب" not in text
    # Sent to the province: the same content, with the live status.
    assert governor.post(advance, {"to": "sent"}).status_code == 302
    text = _text(governor.post(pdf_url).content)
    assert "اقدام افزوده پس از تصویب" not in text and "ارسال" in text
    # The approval's audit entry carries the content's hash.
    event = Event.objects.get(action="plans.plan.approved")
    plan.refresh_from_db()
    digest = hashlib.sha256(json.dumps(plan.approved_content, sort_keys=True,
                                       ensure_ascii=False).encode()).hexdigest()
    assert event.extra == {"content_sha256": digest}


def test_alert_audit_entries_name_their_county(world: World) -> None:
    """The periodic evaluation recorded `plans.alert.fire` and `plans.alert.clear` without
    a unit: the audit log filtered by the county did not show its alerts."""
    services.scenario_create(
        code="late", threat=world.threat("power_network_outage"), title="اقدامات معوق",
        actor=world.personas.admin,
        playbook=playbooks.build("late", "x", [("election_hq", "پیگیری")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.OVERDUE_MEASURES,
                                            threshold=1)])
    late = services.measure_create(
        election=world.election, unit=world.geo.gharchak, title="گشت", phase="before",
        owner=world.agency("police"), due_on=TODAY - datetime.timedelta(days=1),
        actor=world.personas.admin)
    call_command("plans_evaluate", "--election", world.election.slug, stdout=io.StringIO())
    services.measure_report(measure=late, status="done", evidence="انجام شد", actor=None)
    call_command("plans_evaluate", "--election", world.election.slug, stdout=io.StringIO())
    for action in ("plans.alert.fire", "plans.alert.clear"):
        event = Event.objects.get(action=action)
        assert (event.unit_id, event.unit_path) == (world.geo.gharchak.pk,
                                                    world.geo.gharchak.path), action


def test_a_double_submit_is_a_refusal_not_a_500(world: World, monkeypatch) -> None:
    """The creates checked for an existing row and then inserted: a second request that
    passed the check before the first committed (a double click) hit the unique
    constraint and was a 500; starting a playbook twice made two live responses. The
    check is blinded here to play the second request of the race."""
    real = QuerySet.exists

    def blind(self: QuerySet) -> bool:
        return False if self.model in (Threat, Scenario, PlaybookRun) else real(self)

    monkeypatch.setattr(QuerySet, "exists", blind)
    geo = world.geo
    governor = client_for(world.personas.gharchak_governor)
    threat = {"code": "road-blocks", "name_fa": "بستن راه", "name_en": "", "description": "",
              "impact": "3"}
    url = reverse("plans:threat_new", args=[geo.gharchak.pk])
    assert governor.post(url, threat).status_code == 302
    again = governor.post(url, threat)
    assert again.status_code == 200 and again.context["form"].errors
    scenario = {"code": "market-unrest", "title": "ناآرامی بازار",
                "threat": world.threat("station_unrest").pk, "description": "",
                "alert_roles": ["governor"], "first_step_agency": world.agency("police").pk,
                "first_step": "استقرار گشت"}
    url = reverse("plans:county_scenario_new", args=[geo.gharchak.pk])
    assert governor.post(url, scenario).status_code == 302
    again = governor.post(url, scenario)
    assert again.status_code == 200 and again.context["form"].errors
    made = Scenario.objects.get(code="market-unrest")
    start = reverse("plans:run_start", args=[made.pk, geo.gharchak.pk])
    assert governor.post(start).status_code == 302
    assert governor.post(start)["Location"] == reverse("plans:county", args=[geo.gharchak.pk])
    assert PlaybookRun.objects.filter(scenario=made, status="running").count() == 1
    assert Threat.objects.filter(code="road-blocks").count() == 1


def _late_alert(world: World) -> Alert:
    """An overdue county measure fires an alert addressed to the governor only."""
    services.scenario_create(
        code="late", threat=world.threat("power_network_outage"), title="اقدامات معوق",
        actor=world.personas.admin, alert_roles=("governor",),
        playbook=playbooks.build("late", "x", [("election_hq", "پیگیری")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.OVERDUE_MEASURES,
                                            threshold=1)])
    services.measure_create(
        election=world.election, unit=world.geo.gharchak, title="گشت", phase="before",
        owner=world.agency("police"), due_on=TODAY - datetime.timedelta(days=1),
        actor=world.personas.admin)
    call_command("plans_evaluate", "--election", world.election.slug, stdout=io.StringIO())
    return Alert.objects.get()


def test_an_alert_is_handled_only_by_the_roles_it_names(world: World) -> None:
    """P5: a security committee member could acknowledge, by its id, an alert addressed
    to the governor only (which their own list did not show)."""
    alert = _late_alert(world)
    committee = User.objects.create_user("gharchak_committee", password="x" * 16)
    Membership.objects.create(user=committee, role=Role.SECURITY_COMMITTEE,
                              unit=world.geo.gharchak)
    ack = reverse("plans:alert_ack", args=[alert.pk])
    assert client_for(committee).post(ack).status_code == 404
    alert.refresh_from_db()
    assert alert.acknowledged_by is None
    assert Event.objects.filter(action="access.denied", object_id=str(alert.pk)).exists()
    assert client_for(world.personas.gharchak_governor).post(ack).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.personas.gharchak_governor


def test_a_county_cannot_waive_the_ministrys_measures(world: World) -> None:
    """P11: a county declared a directive's or the tier's required measure "not
    applicable" with any text, and it counted as complied and closed the tier gap."""
    required = services.measure_create(
        election=world.election, unit=world.geo.gharchak, title="دوربین ورودی‌ها",
        phase="before", owner=world.agency("police"), actor=world.personas.admin,
        due_on=TODAY + datetime.timedelta(days=3), source=MeasureSource.DIRECTIVE)
    report = reverse("plans:measure_report", args=[required.pk])
    waived = {"status": "not_applicable", "evidence": "لازم نیست"}
    page = client_for(world.personas.gharchak_governor).post(report, waived)
    assert page.status_code == 200 and "فقط استان یا وزارت" in page.content.decode()
    required.refresh_from_db()
    assert required.status != "not_applicable"
    # The province may waive it; the county may still waive its own measures.
    assert client_for(world.personas.tehran_officer).post(report, waived).status_code == 302
    required.refresh_from_db()
    assert required.status == "not_applicable"
    own = services.measure_create(
        election=world.election, unit=world.geo.gharchak, title="گشت محلی", phase="before",
        owner=world.agency("police"), actor=world.personas.admin,
        due_on=TODAY + datetime.timedelta(days=3))
    assert client_for(world.personas.gharchak_governor).post(
        reverse("plans:measure_report", args=[own.pk]), waived).status_code == 302
