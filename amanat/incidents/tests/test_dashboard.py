"""The incidents dashboard, the case map and its data, and more evidence on a case page.

A small fixture of eight cases (five in Gharchak, three in Kerman) in every state gives
exact figures; each persona's figures are checked against what it may see.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation

from amanat.accounts.models import Agency
from amanat.atlas.factors import incident_load
from amanat.audit.models import Event
from amanat.core.templatetags.persian import jdate
from amanat.incidents import dashboard, services
from amanat.incidents.forms import ReferForm
from amanat.incidents.models import Case, CaseStep, Evidence, Report
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
URL = "/incidents/dashboard/"
MAP_DATA = "/incidents/map/data/"


@dataclass
class Fixture:
    world: World
    g_new: Case  # vote buying at the Gharchak station, new
    g_overdue: Case  # intimidation, assigned to the police, opened 10 days ago
    g_referred: Case  # vote buying, assigned to the police, referred
    g_resolved: Case  # equipment failure, assigned to election HQ, resolved
    g_county: Case  # "other" reported for Gharchak county itself (no station), new
    k_new: Case  # intimidation at the Kerman station, new
    k_dismissed: Case  # "other" at the Kerman station, dismissed
    k_unplaced: Case  # "other" at a Kerman village without coordinates, new


def _open(world: World, category: str, *, station: Any = None, unit: Any = None,
          now: datetime.datetime | None = None) -> Case:
    admin = world.personas.admin
    report = services.report_receive(channel="web", category=world.category(category),
                                     text="گزارش آزمایشی", station=station, unit=unit,
                                     election=world.election, actor=admin).report
    return services.case_open_from_report(report=report, actor=admin, now=now)


def _assign(world: World, case: Case) -> Case:
    admin = world.personas.admin
    services.case_triage(case=case, actor=admin)
    return services.case_assign(case=case, actor=admin)


@pytest.fixture
def cases(world: World) -> Fixture:
    admin = world.personas.admin
    gs, ks = world.gharchak_station, world.kerman_station
    g_new = _open(world, "vote_buying", station=gs)
    g_overdue = _assign(world, _open(world, "intimidation", station=gs,
                                     now=timezone.now() - datetime.timedelta(days=10)))
    g_referred = _assign(world, _open(world, "vote_buying", station=gs))
    g_referred = services.case_refer(case=g_referred, actor=admin, office="دادستانی",
                                     referred_on=timezone.localdate())
    g_resolved = _assign(world, _open(world, "equipment_failure", station=gs))
    g_resolved = services.case_resolve(case=g_resolved, actor=admin, outcome="رفع شد")
    g_county = _open(world, "other", unit=world.geo.gharchak)
    k_new = _open(world, "intimidation", station=ks)
    k_dismissed = services.case_dismiss(case=_open(world, "other", station=ks), actor=admin,
                                        outcome="بی‌اساس")
    k_unplaced = _open(world, "other", unit=world.geo.villages[2])
    return Fixture(world, g_new, g_overdue, g_referred, g_resolved, g_county, k_new,
                   k_dismissed, k_unplaced)


def _get(user: Any, url: str = URL, **params: Any) -> Any:
    return client_for(user).get(url, params)


def _totals(response: Any) -> dict[str, int]:
    t = response.context["totals"]
    return {"total": t.total, "open": t.open, "overdue": t.overdue, "referred": t.referred,
            "resolved": t.resolved, "dismissed": t.dismissed}


def _by_category(response: Any) -> dict[str, int]:
    return {r.label: r.n for r in response.context["categories"]}


def _by_unit(response: Any) -> dict[str, int]:
    return {u["row"].key: u["row"].n for u in response.context["units"]}


# --- figures --------------------------------------------------------------------------------


def test_national_figures_are_exact(cases: Fixture) -> None:
    world = cases.world
    response = _get(world.personas.admin)
    assert response.status_code == 200
    assert _totals(response) == {"total": 8, "open": 6, "overdue": 1, "referred": 1,
                                 "resolved": 1, "dismissed": 1}
    assert _by_category(response) == {
        world.category("vote_buying").name_fa: 2, world.category("intimidation").name_fa: 2,
        world.category("other").name_fa: 3, world.category("equipment_failure").name_fa: 1,
    }
    # National users see provinces; the largest row gets the full bar.
    assert _by_unit(response) == {world.geo.tehran.path: 5, world.geo.kerman_province.path: 3}
    bars = {u["row"].key: u["row"].pct for u in response.context["units"]}
    assert bars == {world.geo.tehran.path: 100, world.geo.kerman_province.path: 60}
    days = {r["row"].key: r["row"].n for r in response.context["days"]}
    assert len(days) == dashboard.DAYS and sum(days.values()) == 8
    assert days[timezone.localdate(cases.g_overdue.opened_at)] == 1


def test_days_show_jalali_dates_with_persian_digits(cases: Fixture) -> None:
    content = _get(cases.world.personas.admin).content.decode()
    with translation.override("fa"):
        today = jdate(timezone.localdate())
    assert today[0] == "۱" and today in content  # e.g. ۱۴۰۴/۱۰/۲۱


def test_a_province_officer_sees_counties_and_a_governor_the_units_below(
    cases: Fixture,
) -> None:
    world = cases.world
    tehran = _get(world.personas.tehran_officer)
    assert tehran.context["focus"] == world.geo.tehran
    assert _by_unit(tehran) == {world.geo.gharchak.path: 5}
    county_row = tehran.context["units"][0]
    assert county_row["atlas_url"] == reverse("atlas:county", args=[world.geo.gharchak.pk])
    assert county_row["atlas_url"] in tehran.content.decode()

    governor = _get(world.personas.gharchak_governor)
    assert governor.context["focus"] == world.geo.gharchak
    assert _totals(governor) == {"total": 5, "open": 4, "overdue": 1, "referred": 1,
                                 "resolved": 1, "dismissed": 0}
    # Four cases at the station below the central district, one at the county itself.
    assert _by_unit(governor) == {world.geo.gharchak_central.path: 4, world.geo.gharchak.path: 1}
    assert [u["row"].direct for u in governor.context["units"]] == [False, True]


def test_kerman_governor_sees_no_gharchak_cases(cases: Fixture) -> None:
    world = cases.world
    response = _get(world.personas.kerman_governor)
    assert _totals(response) == {"total": 3, "open": 2, "overdue": 0, "referred": 0,
                                 "resolved": 0, "dismissed": 1}
    assert _by_category(response) == {world.category("intimidation").name_fa: 1,
                                      world.category("other").name_fa: 2}
    assert all(not key.startswith(world.geo.tehran.path) for key in _by_unit(response))
    assert sum(r["row"].n for r in response.context["days"]) == 3
    # Drilling up or sideways is out of scope: 404.
    for unit in (world.geo.tehran, world.geo.kerman_province, world.geo.gharchak):
        assert _get(world.personas.kerman_governor, unit=unit.pk).status_code == 404


def test_police_officer_sees_only_cases_routed_to_the_police(cases: Fixture) -> None:
    world = cases.world
    response = _get(world.personas.police)
    assert _totals(response) == {"total": 2, "open": 2, "overdue": 1, "referred": 1,
                                 "resolved": 0, "dismissed": 0}
    assert _by_category(response) == {world.category("vote_buying").name_fa: 1,
                                      world.category("intimidation").name_fa: 1}


def test_drill_down_and_links_to_the_filtered_case_list(cases: Fixture) -> None:
    world = cases.world
    admin = client_for(world.personas.admin)
    response = admin.get(URL, {"unit": world.geo.kerman_province.pk})
    assert _by_unit(response) == {world.geo.kerman_county.path: 3}
    assert _totals(response)["total"] == 3
    assert [u.pk for u in response.context["breadcrumbs"]] == [world.geo.iran.pk]
    link = f'{reverse("incidents:cases")}?unit={world.geo.kerman_county.pk}'
    assert link in response.content.decode()
    listed = admin.get(reverse("incidents:cases"), {"unit": world.geo.kerman_county.pk})
    assert {c.pk for c in listed.context["page"]} == {
        cases.k_new.pk, cases.k_dismissed.pk, cases.k_unplaced.pk}
    open_only = admin.get(reverse("incidents:cases"),
                          {"unit": world.geo.kerman_county.pk, "status": "open"})
    assert {c.pk for c in open_only.context["page"]} == {cases.k_new.pk, cases.k_unplaced.pk}
    assert admin.get(reverse("incidents:cases"), {"unit": "999999"}).status_code == 404
    assert admin.get(URL, {"unit": "x"}).status_code == 404


def test_who_may_open_the_dashboard(cases: Fixture) -> None:
    personas = cases.world.personas
    for user in (personas.outsider, personas.inspector):
        assert _get(user).status_code == 404
        assert _get(user, "/incidents/map/").status_code == 404
        assert _get(user, MAP_DATA).status_code == 404
    assert _get(personas.auditor).status_code == 200


def test_dashboard_queries_do_not_grow(cases: Fixture, count_queries: Any) -> None:
    world = cases.world
    admin = client_for(world.personas.admin)
    few = count_queries(lambda: admin.get(URL))
    drilled = count_queries(lambda: admin.get(URL, {"unit": world.geo.tehran.pk}))
    for category in ("ballot_tampering", "obstruction", "system_attack"):
        _open(world, category, unit=world.geo.rafsanjan)
        _assign(world, _open(world, category, unit=world.geo.kerman_city))
    assert count_queries(lambda: admin.get(URL)) == few
    assert count_queries(lambda: admin.get(URL, {"unit": world.geo.tehran.pk})) == drilled
    assert count_queries(lambda: admin.get(MAP_DATA, {"zoom": 5})) == count_queries(
        lambda: admin.get(MAP_DATA, {"zoom": 12}))


# --- map ------------------------------------------------------------------------------------


def test_map_cells_add_up_and_are_scoped(cases: Fixture) -> None:
    world = cases.world
    data = _get(world.personas.admin, MAP_DATA, zoom=5).json()
    assert data["mode"] == "cells"
    assert sum(c[3] for c in data["cells"]) == data["total"] == 7
    assert data["unplaced"] == 1  # the village without coordinates
    gharchak = next(c for c in data["cells"] if abs(c[1] - 35.4) < 1.5)
    # [cell, lat, lon, cases, open, overdue, worst open severity]
    assert gharchak[3:] == [5, 4, 1, 3]

    kerman = _get(world.personas.kerman_governor, MAP_DATA, zoom=5).json()
    assert kerman["total"] + kerman["unplaced"] == 3
    assert all(c[1] < 33 for c in kerman["cells"])  # nothing near Gharchak (35.4° N)
    police = _get(world.personas.police, MAP_DATA, zoom=5).json()
    assert police["total"] == 2 and police["unplaced"] == 0


def test_map_box_places_and_filters(cases: Fixture) -> None:
    world = cases.world
    admin = world.personas.admin
    boxed = _get(admin, MAP_DATA, zoom=6, bbox="55,29,58,31").json()
    assert boxed["total"] == 2
    places = _get(admin, MAP_DATA, zoom=12, bbox="51,35,52,36").json()
    assert places["mode"] == "places" and places["total"] == 5
    [[_lat, _lon, items]] = places["places"]  # station and county share one point
    assert {item[0] for item in items} == {cases.g_new.pk, cases.g_overdue.pk,
                                           cases.g_referred.pk, cases.g_resolved.pk,
                                           cases.g_county.pk}
    overdue = {item[0]: item[4] for item in items}
    assert overdue[cases.g_overdue.pk] == 1 and overdue[cases.g_new.pk] == 0
    only_open = _get(admin, MAP_DATA, zoom=5, open="1").json()
    assert only_open["total"] + only_open["unplaced"] == 6
    vote_buying = _get(admin, MAP_DATA, zoom=5, category=world.category("vote_buying").pk)
    assert vote_buying.json()["total"] == 2


def test_map_rejects_bad_parameters_in_both_languages(cases: Fixture) -> None:
    admin = cases.world.personas.admin
    for params in ({"zoom": "99"}, {"bbox": "1,2,3"}, {"category": "abc"}):
        response = _get(admin, MAP_DATA, **params)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] and "(" in body["error"]  # Persian by default: «دسته (category)…»
        english = client_for(admin, "en").get(MAP_DATA, params).json()
        assert english["code"] == body["code"] and english["error"] != body["error"]


def test_map_page_has_no_inline_script(cases: Fixture) -> None:
    response = _get(cases.world.personas.gharchak_governor, "/incidents/map/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="case-map-config"' in content and "case-map.js" in content
    assert "<script>" not in content.replace('<script id="case-map-config" type="application'
                                             '/json">', "")


def test_atlas_incident_factor_reads_real_cases(cases: Fixture) -> None:
    load = incident_load(cases.world.election)
    assert load[cases.world.gharchak_station.pk] > 0
    assert load[cases.world.kerman_station.pk] > 0


# --- evidence on the case page -------------------------------------------------------------


def _counts() -> tuple[int, int, int, int]:
    """Rows that an attach would add (sign-ins and denials are audited too: not counted)."""
    return (Report.objects.count(), Evidence.objects.count(), CaseStep.objects.count(),
            Event.objects.filter(action__startswith="incidents.").count())


def _upload(data: bytes, name: str = "photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def test_governor_attaches_evidence_audited(cases: Fixture) -> None:
    world = cases.world
    case = cases.g_new
    governor = client_for(world.personas.gharchak_governor)
    page = governor.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert 'data-testid="evidence-form"' in page
    url = reverse("incidents:case_evidence", args=[case.pk])
    response = governor.post(url, {"evidence": _upload(PNG), "note": "عکس دوم از صحنه"})
    assert response.status_code == 302
    report = Report.objects.get(case_link__case=case, payload__form="case_evidence")
    evidence = report.evidence.get()
    assert evidence.content_type == "image/png" and evidence.original_name == "photo.png"
    assert report.text == "عکس دوم از صحنه" and report.unit == case.unit
    step = CaseStep.objects.filter(case=case).latest("pk")
    assert step.action == "evidence" and step.actor == world.personas.gharchak_governor
    event = Event.objects.get(action="incidents.case.evidence")
    assert event.extra["evidence"] == [evidence.sha256]
    assert Event.objects.filter(action="incidents.report.receive", object_id=str(report.pk)
                                ).exists()
    page = governor.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert reverse("incidents:evidence", args=[evidence.pk]) in page


def test_evidence_note_and_referral_are_stored_as_typed(cases: Fixture) -> None:
    """Letters stay as typed (docs/incidents.md): «مأمور» is not stored as «مامور», a
    note keeps its line break, a reference its digits; only the search copy is
    normalised."""
    world = cases.world
    case = cases.g_new
    governor = client_for(world.personas.gharchak_governor)
    url = reverse("incidents:case_evidence", args=[case.pk])
    note = "گزارش مأمور\nسطر دوم"
    assert governor.post(url, {"evidence": _upload(PNG), "note": note}).status_code == 302
    report = Report.objects.get(case_link__case=case, payload__form="case_evidence")
    assert report.text == note
    assert report.text_normalized == "گزارش مامور سطر دوم"  # the search copy
    assert CaseStep.objects.filter(case=case).latest("pk").note == note


def test_evidence_attach_denied_outside_change_rights(cases: Fixture) -> None:
    world = cases.world
    url = reverse("incidents:case_evidence", args=[cases.g_overdue.pk])
    before = _counts()
    for user in (world.personas.police, world.personas.kerman_governor,
                 world.personas.inspector):
        assert client_for(user).post(url, {"evidence": _upload(PNG)}).status_code == 404
    assert client_for(world.personas.gharchak_governor).get(url).status_code == 405
    assert _counts() == before
    # A police officer may read the case but gets no form.
    page = client_for(world.personas.police).get(
        reverse("incidents:case", args=[cases.g_overdue.pk])).content.decode()
    assert 'data-testid="evidence-form"' not in page


def test_bad_evidence_is_rejected_and_nothing_changes(cases: Fixture) -> None:
    world = cases.world
    governor = client_for(world.personas.gharchak_governor)
    before = _counts()
    url = reverse("incidents:case_evidence", args=[cases.g_new.pk])
    response = governor.post(url, {"evidence": _upload(b"MZ\x90\x00\x03", "x.png")},
                             follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any("PDF" in m for m in messages)
    empty = governor.post(url, {"note": "بدون پرونده"}, follow=True)
    assert [str(m) for m in empty.context["messages"]]
    closed = reverse("incidents:case_evidence", args=[cases.g_resolved.pk])
    response = governor.post(closed, {"evidence": _upload(PNG)}, follow=True)
    assert any("بسته" in str(m) or "closed" in str(m) for m in response.context["messages"])
    assert _counts() == before
    assert Agency.objects.exists()  # the seeded agencies are untouched


@pytest.mark.parametrize("language", ["en", "fa"])
def test_texts_the_system_writes_are_in_the_users_language(cases: Fixture,
                                                          language: str) -> None:
    """Evidence without a note gets a line saying what it is, and a referral's office a
    suggestion: in the page's language, not always in Persian."""
    case = cases.g_new
    governor = client_for(cases.world.personas.gharchak_governor, language)
    url = reverse("incidents:case_evidence", args=[case.pk])
    assert governor.post(url, {"evidence": _upload(PNG)}).status_code == 302
    text = Report.objects.get(case_link__case=case, payload__form="case_evidence").text
    assert case.number in text
    assert any("\u0600" <= c <= "\u06ff" for c in text) == (language == "fa")
    with translation.override(language):
        office = str(ReferForm().fields["office"].initial)
    assert any("\u0600" <= c <= "\u06ff" for c in office) == (language == "fa")
