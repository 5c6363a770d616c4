"""Atlas pages: scoping, explanations, forms (with audited writes) and query counts."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import Agency
from amanat.accounts.testing import sign_in
from amanat.atlas import recompute, services
from amanat.atlas.demo import seed_required_measures
from amanat.atlas.models import Assessment, NationalTier, TierThreshold
from amanat.atlas.tests.conftest import AtlasWorld, make_station
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(atlas_world: AtlasWorld) -> AtlasWorld:
    services.county_history_set(election=atlas_world.election, county=atlas_world.geo.gharchak,
                                annulled=True, note="", actor=None)
    services.national_tier_set(election=atlas_world.election,
                               county=atlas_world.geo.kerman_county, tier=1, actor=None)
    seed_required_measures()
    recompute.atlas_recompute(election=atlas_world.election)
    return atlas_world


def _client(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")
    return client


def test_national_page_ranks_counties_with_explanations(scored: AtlasWorld, personas: Any
                                                        ) -> None:
    response = _client(personas.admin).get(reverse("atlas:national"))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("قرچک") < body.index("رفسنجان")  # ranked by score
    points = response.context["map_config"]["points"]
    assert {p["name"] for p in points} >= {"قرچک", "رفسنجان"}
    kerman = next(p for p in points if p["id"] == scored.geo.kerman_county.pk)
    assert kerman["tier"] == 1 and kerman["floor"] is True
    assert 'id="atlas-points"' in body and "<script>" not in body.replace(
        '<script id="atlas-points" type="application/json">', "")


def test_a_county_governor_sees_only_his_county(scored: AtlasWorld, personas: Any) -> None:
    client = _client(personas.gharchak_governor)
    rows = client.get(reverse("atlas:national")).context["counties"]
    assert [r["row"].unit_id for r in rows] == [scored.geo.gharchak.pk]
    assert client.get(reverse("atlas:county", args=[scored.geo.gharchak.pk])).status_code == 200
    denied = client.get(reverse("atlas:county", args=[scored.geo.kerman_county.pk]))
    assert denied.status_code == 404
    assert Event.objects.filter(action="access.denied", object_type="geo.adminunit",
                                object_id=str(scored.geo.kerman_county.pk)).exists()


@pytest.mark.parametrize("persona", ["gharchak_governor", "admin"])
def test_every_atlas_link_on_the_county_page_opens(scored: AtlasWorld, personas: Any,
                                                   persona: str) -> None:
    """The breadcrumb names the province; it links there only for who may open it."""
    client = _client(getattr(personas, persona))
    html = client.get(reverse("atlas:county", args=[scored.geo.gharchak.pk])).content.decode()
    assert scored.geo.tehran.name in html
    links = set(re.findall(r'href="(/atlas/[^"]+)"', html.replace("&amp;", "&")))
    province = reverse("atlas:province", args=[scored.geo.tehran.pk])
    assert any(link.startswith(province) for link in links) == (persona == "admin")
    for link in links:
        if not link.endswith(".pdf"):
            assert client.get(link).status_code == 200, link

def test_county_page_shows_tier_explanation_gaps_and_assessments(
    scored: AtlasWorld, personas: Any
) -> None:
    services.assessment_create(
        election=scored.election, agency=Agency.objects.get(code="police"),
        county=scored.geo.gharchak, score=4, justification="تجمع‌های پیش‌بینی‌شده",
        assessed_on=datetime.date(2026, 1, 3), author=personas.police, stations=[scored.s1])
    response = _client(personas.gharchak_governor).get(
        reverse("atlas:county", args=[scored.geo.gharchak.pk]))
    body = response.content.decode()
    assert response.context["score"].tier == 2
    assert "تجمع‌های پیش‌بینی‌شده" in body and "۱۴۰۴/۱۰/۱۳" in body  # Jalali, Persian digits
    assert 'data-testid="annulled"' in body
    codes = [f["code"] for f in response.context["factors"]]
    assert "annulled_history" in codes
    gaps = {g.measure.check_code: g for g in response.context["gaps"]}
    # Tier 2 needs live CCTV at sensitive stations: station 101 has none.
    assert gaps["cctv_live_at_sensitive"].status == "gap"
    assert gaps["cctv_live_at_sensitive"].missing == 1
    assert response.context["can_export"] and not response.context["can_tier"]


def test_floor_is_explained_on_the_county_page(scored: AtlasWorld, personas: Any) -> None:
    response = _client(personas.kerman_governor).get(
        reverse("atlas:county", args=[scored.geo.kerman_county.pk]))
    assert 'data-testid="floor-note"' in response.content.decode()


def test_national_page_query_count_does_not_grow(
    scored: AtlasWorld, personas: Any, django_assert_max_num_queries: Any, count_queries: Any
) -> None:
    client = _client(personas.admin)
    url = reverse("atlas:national")
    before = count_queries(lambda: client.get(url))
    for i in range(5):
        make_station(scored.election, scored.geo.rafsanjan, scored.geo.rafsanjan, f"9{i}",
                     sensitive=True)
    recompute.atlas_recompute(election=scored.election)
    assert count_queries(lambda: client.get(url)) == before


def test_county_page_query_count_does_not_grow(
    scored: AtlasWorld, personas: Any, count_queries: Any
) -> None:
    def assess(code: str) -> None:
        services.assessment_create(
            election=scored.election, agency=Agency.objects.get(code=code),
            county=scored.geo.gharchak, score=2, justification="x",
            assessed_on=datetime.date(2026, 1, 3), author=None, stations=[scored.s1])

    assess("police")
    client = _client(personas.admin)
    url = reverse("atlas:county", args=[scored.geo.gharchak.pk])
    before = count_queries(lambda: client.get(url))
    for i in range(5):
        make_station(scored.election, scored.geo.gharchak, scored.geo.gharchak_city, f"8{i}")
    assess("fata")
    assess("intelligence")
    recompute.atlas_recompute(election=scored.election)
    assert count_queries(lambda: client.get(url)) == before


def test_agency_officer_assesses_for_own_agency(scored: AtlasWorld, personas: Any) -> None:
    client = _client(personas.police)
    url = reverse("atlas:assessment_new", args=[scored.geo.gharchak.pk])
    page = client.get(url)
    form = page.context["form"]
    assert list(form.fields["agency"].queryset.values_list("code", flat=True)) == ["police"]
    # The stations to flag show their codes in Persian digits (user review 2026-12).
    assert f'value="{scored.s1.pk}">۱۰۱ · ' in page.content.decode()
    police = Agency.objects.get(code="police")
    response = client.post(url, {"agency": police.pk, "score": "4",
                                 "justification": "گزارش میدانی", "assessed_on": "۱۴۰۴/۱۰/۱۲",
                                 "stations": [scored.s1.pk]})
    assert response.status_code == 302
    assessment = Assessment.objects.get()
    assert (assessment.agency, assessment.score, assessment.author) == (police, 4, personas.police)
    assert assessment.assessed_on == datetime.date(2026, 1, 2)
    assert list(assessment.stations.all()) == [scored.s1]
    assert Event.objects.filter(action="atlas.assessment.create").count() == 1


def test_assessment_form_refuses_bad_input(scored: AtlasWorld, personas: Any) -> None:
    client = _client(personas.police)
    url = reverse("atlas:assessment_new", args=[scored.geo.gharchak.pk])
    police = Agency.objects.get(code="police")
    other = Agency.objects.get(code="intelligence")
    response = client.post(url, {"agency": other.pk, "score": "9", "justification": "",
                                 "assessed_on": "1404/13/40", "stations": [scored.s3.pk]})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"agency", "score", "justification", "assessed_on", "stations"}
    assert not Assessment.objects.exists()
    assert police  # the officer's own agency is the only choice


def test_governor_cannot_assess_or_set_tiers(scored: AtlasWorld, personas: Any) -> None:
    client = _client(personas.gharchak_governor)
    unit = scored.geo.gharchak.pk
    assert client.get(reverse("atlas:assessment_new", args=[unit])).status_code == 404
    assert client.post(reverse("atlas:tier_edit", args=[unit]), {"tier": "1"}).status_code == 404
    assert not NationalTier.objects.filter(county=scored.geo.gharchak).exists()


def test_national_admin_sets_tier_and_thresholds(
    scored: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(personas.admin)
    gharchak = scored.geo.gharchak
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("atlas:tier_edit", args=[gharchak.pk]),
                               {"tier": "1", "note": "مصوبه شورا"})
    assert response.status_code == 302
    county = client.get(reverse("atlas:county", args=[gharchak.pk])).context["score"]
    assert county.tier == 1 and county.floor_applied
    with django_capture_on_commit_callbacks(execute=True):
        bad = client.post(reverse("atlas:thresholds"),
                          {"tier1_min": "30", "tier2_min": "40", "tier3_min": "10"})
        assert bad.status_code == 200 and bad.context["form"].errors
        ok = client.post(reverse("atlas:thresholds"),
                         {"tier1_min": "70", "tier2_min": "50", "tier3_min": "10"})
    assert ok.status_code == 302
    assert TierThreshold.objects.get(election=scored.election).as_tuple() == (70, 50, 10)
    assert Event.objects.filter(action="atlas.thresholds.set").count() == 1


def test_thresholds_page_is_national_admin_only(scored: AtlasWorld, personas: Any) -> None:
    assert _client(personas.tehran_officer).get(reverse("atlas:thresholds")).status_code == 404


def test_map_data_is_json_island(scored: AtlasWorld, personas: Any) -> None:
    response = _client(personas.admin).get(
        reverse("atlas:province", args=[scored.geo.kerman_province.pk]))
    body = response.content.decode()
    start = body.index('<script id="atlas-points" type="application/json">')
    data = json.loads(body[start:].split(">", 1)[1].split("</script>", 1)[0])
    assert {p["name"] for p in data["points"]} == {"كرمان", "رفسنجان"} or len(data["points"]) == 2


def test_compare_two_dates_shows_what_rose(scored: AtlasWorld, personas: Any) -> None:
    from amanat.atlas.models import Snapshot

    geo = scored.geo
    day = datetime.date(2026, 5, 1)
    Snapshot.objects.create(election=scored.election, taken_on=day, scores={
        str(geo.gharchak.pk): [40.0, 3], str(geo.kerman_county.pk): [70.0, 1]})
    Snapshot.objects.create(election=scored.election, taken_on=day + datetime.timedelta(7),
                            scores={str(geo.gharchak.pk): [55.5, 2],
                                    str(geo.kerman_county.pk): [60.0, 1]})
    response = _client(personas.admin).get(
        reverse("atlas:compare"), {"from": "2026-05-08", "to": "2026-05-01"})  # either order
    rows = response.context["rows"]
    assert [(r.unit.pk, r.delta) for r in rows[:2]] == [
        (geo.gharchak.pk, 15.5), (geo.kerman_county.pk, -10.0)]
    assert response.context["earlier"].taken_on == day

    governor = _client(personas.gharchak_governor).get(reverse("atlas:compare"))
    assert [r.unit.pk for r in governor.context["rows"]] == [geo.gharchak.pk]
    assert _client(personas.outsider).get(reverse("atlas:compare")).status_code == 404
