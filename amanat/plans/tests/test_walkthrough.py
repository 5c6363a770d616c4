"""The issue's walk-through, through the pages, the API and the command: a directive
issued → localised by a county → measures reported with evidence → the national
dashboard shows the compliance; an indicator crosses its threshold on reports sent
through the API → alert → playbook started and completed, with the audit entries."""

from __future__ import annotations

import datetime
import io

from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.services import api_token_issue
from amanat.audit.models import Event
from amanat.incidents.models import Category
from amanat.lib.jalali import format_jalali
from amanat.plans import playbooks, services
from amanat.plans.models import (
    Alert,
    Directive,
    IndicatorKind,
    Localisation,
    Measure,
    PlaybookRun,
    RunStep,
)
from amanat.plans.tests.conftest import World, client_for


def _j(days: int) -> str:
    return format_jalali(timezone.localdate() + datetime.timedelta(days=days))


def actions() -> list[str]:
    return list(Event.objects.filter(action__startswith="plans.").order_by("pk")
                .values_list("action", flat=True))


def test_directive_to_dashboard(world: World) -> None:
    p, geo = world.personas, world.geo
    admin = client_for(p.admin)
    response = admin.post(reverse("plans:directive_new"), {
        "code": "security-1405", "title": "دستورالعمل امنیت انتخابات",
        "text": "متن دستورالعمل", "localise_by": _j(10)})
    directive = Directive.objects.get()
    assert response.status_code == 302 and directive.status == "draft"
    for title, owner, days in (("گشت انتظامی شعب حساس", "police", 5),
                               ("جلسه هفتگی شورای تأمین", "election_hq", 20)):
        response = admin.post(reverse("plans:directive_measure_add", args=[directive.pk]), {
            "title": title, "phase": "before", "kind": "preventive",
            "owner": world.agency(owner).pk, "due_on": _j(days)})
        assert response.status_code == 302, response.content
    admin.post(reverse("plans:directive_issue", args=[directive.pk]))
    directive.refresh_from_db()
    assert directive.status == "issued" and directive.measures.count() == 2

    # Kerman's governor may not localise for Gharchak; Gharchak's governor may.
    kerman = client_for(p.kerman_governor)
    url = reverse("plans:localise", args=[directive.pk, geo.gharchak.pk])
    assert kerman.post(url).status_code == 404
    governor = client_for(p.gharchak_governor)
    response = governor.post(url)
    loc = Localisation.objects.get(unit=geo.gharchak)
    assert response.status_code == 302 and loc.measures.count() == 2
    response = governor.post(reverse("plans:localisation_measure_add", args=[loc.pk]), {
        "title": "پوشش تصویری ورودی قلعه‌نو", "phase": "during", "kind": "preventive",
        "owner": world.agency("police").pk, "due_on": _j(25)})
    assert response.status_code == 302 and loc.measures.count() == 3
    assert kerman.get(reverse("plans:localisation", args=[loc.pk])).status_code == 404
    # Only the governor approves: the police officer of the county cannot.
    police = client_for(p.police)
    approve = reverse("plans:localisation_approve", args=[loc.pk])
    assert police.post(approve).status_code == 404
    governor.post(approve)
    loc.refresh_from_db()
    assert loc.status == "approved" and loc.approved_by == p.gharchak_governor

    # The police officer reports the police's measure with evidence, not the HQ's.
    patrol = loc.measures.get(title="گشت انتظامی شعب حساس")
    hq = loc.measures.get(owner__code="election_hq")
    report = reverse("plans:measure_report", args=[patrol.pk])
    refused = police.post(report, {"status": "done", "evidence": ""})
    assert refused.status_code == 200 and "evidence" in refused.context["form"].errors
    patrol.refresh_from_db()
    assert patrol.status == "planned"
    assert police.post(report, {"status": "done",
                                "evidence": "نامه ۱۲۳ فرماندهی انتظامی"}).status_code == 302
    assert police.post(reverse("plans:measure_report", args=[hq.pk]),
                       {"status": "done", "evidence": "x"}).status_code == 404
    patrol.refresh_from_db()
    assert patrol.status == "done" and patrol.reported_by == p.police

    # The national dashboard: Kerman (not localised) first, Gharchak at 1 of 3.
    page = admin.get(reverse("plans:dashboard"))
    rows = page.context["rows"]
    names = [r.unit.pk for r in rows]
    assert names.index(geo.kerman_county.pk) < names.index(geo.gharchak.pk)
    gharchak = next(r for r in rows if r.unit == geo.gharchak)
    assert (gharchak.done, gharchak.total, gharchak.state) == (1, 3, "approved")
    assert page.context["total"].localised == 1
    # The provincial view: Tehran's counties only, with Tehran's roll-up.
    tehran = admin.get(reverse("plans:dashboard"), {"province": geo.tehran.pk}).context
    assert [r.unit for r in tehran["rows"]] == [geo.gharchak]
    assert (tehran["total"].done, tehran["total"].total) == (1, 3)
    # Kerman's governor sees only Kerman.
    assert [r.unit for r in kerman.get(reverse("plans:dashboard")).context["rows"]] == [
        geo.kerman_county]
    assert actions()[:1] == ["plans.threat.create"]
    assert {"plans.directive.create", "plans.directive.measure_add", "plans.directive.issue",
            "plans.localisation.start", "plans.measure.create", "plans.localisation.approve",
            "plans.measure.report"} <= set(actions())


def test_indicator_fires_on_api_reports_and_playbook_runs(world: World) -> None:
    p, geo = world.personas, world.geo
    vote_buying = Category.objects.get(code="vote_buying")
    scenario = services.scenario_create(
        code="vote-buying-wave", threat=world.threat("vote_buying"),
        title="موج گزارش خرید رأی", actor=p.admin,
        playbook=playbooks.build("vote-buying-wave", "پاسخ به خرید رأی", [
            ("police", "اعزام گشت به محل"), ("judiciary", "اطلاع به دادستان"),
            ("election_hq", "اطلاع‌رسانی عمومی")]),
        indicators_=[services.IndicatorSpec(kind=IndicatorKind.REPORTS_PER_HOUR,
                                            threshold=2, window_minutes=60,
                                            category=vote_buying)])
    _, token = api_token_issue(user=p.inspector, name="device", ttl_days=1, actor=p.inspector)
    for key in ("r1", "r2"):
        response = Client().post(
            "/api/v1/incidents/reports", content_type="application/json",
            data={"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})
        assert response.status_code == 201, response.content
    out = io.StringIO()
    call_command("plans_evaluate", "--election", world.election.slug, stdout=out)
    assert "alerts fired: 1" in out.getvalue()
    alert = Alert.objects.get()
    assert (alert.unit, alert.value, alert.status) == (geo.gharchak, 2.0, "open")
    # Evaluating again fires nothing new.
    call_command("plans_evaluate", "--election", world.election.slug, stdout=io.StringIO())
    assert Alert.objects.count() == 1

    governor = client_for(p.gharchak_governor)
    page = governor.get(reverse("plans:county", args=[geo.gharchak.pk]))
    assert page.context["alerts"] == [alert]
    # Kerman's governor neither sees the alert nor starts the playbook in Gharchak.
    kerman = client_for(p.kerman_governor)
    assert alert not in kerman.get(reverse("plans:alerts")).context["alerts"]
    start = reverse("plans:run_start", args=[scenario.pk, geo.gharchak.pk])
    assert kerman.post(start, {"alert": alert.pk}).status_code == 404
    response = governor.post(start, {"alert": alert.pk})
    run = PlaybookRun.objects.get()
    assert response.status_code == 302 and run.alert == alert
    steps = list(run.steps.order_by("order"))
    assert [s.owner.code for s in steps if s.owner] == ["police", "judiciary", "election_hq"]
    close = [reverse("plans:step_close", args=[s.pk]) for s in steps]
    governor.post(close[0], {"status": "done", "note": "گشت اعزام شد"})
    governor.post(close[1], {"status": "skipped", "note": ""})  # a skip needs its reason
    assert RunStep.objects.get(pk=steps[1].pk).status == "pending"
    governor.post(close[1], {"status": "skipped", "note": "دادستان در جلسه حاضر بود"})
    governor.post(close[2], {"status": "done", "note": "اطلاعیه منتشر شد"})
    run.refresh_from_db()
    assert run.status == "completed" and run.completed_at is not None
    assert [a for a in actions() if a.startswith(("plans.alert", "plans.playbook"))] == [
        "plans.alert.fire", "plans.playbook.start", "plans.playbook.step_done",
        "plans.playbook.step_skipped", "plans.playbook.step_done", "plans.playbook.complete"]
    assert Measure.objects.count() == 0
