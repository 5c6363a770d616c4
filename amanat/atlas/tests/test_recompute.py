"""The full recompute on a small fixture, with exact expected values, and incremental updates."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from amanat.accounts.models import Agency
from amanat.atlas import recompute, services
from amanat.atlas.models import Assessment, StationScore, UnitScore
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.audit.models import Event
from amanat.core.errors import RuleError

W_STATION = 3 + 2 + 1.5 + 1 + 1 + 3  # station weights
W_COUNTY = 5 + 1.5 + 1.5 + 2 + 1  # station mean + county factors
W_PROVINCE = 4 + 1

pytestmark = pytest.mark.django_db


def _inputs(world: AtlasWorld) -> None:
    """Gharchak: annulled, police 4 then 2 (2 counts), intelligence 5. Kerman: tier 1."""
    geo, election = world.geo, world.election
    police, intel = Agency.objects.get(code="police"), Agency.objects.get(code="intelligence")
    day = datetime.date(2026, 1, 10)
    for agency, score, offset in ((police, 4, 0), (police, 2, 5), (intel, 5, 1)):
        services.assessment_create(
            election=election, agency=agency, county=geo.gharchak, score=score,
            justification="آزمایشی", assessed_on=day + datetime.timedelta(days=offset),
            author=None)
    services.county_history_set(election=election, county=geo.gharchak, annulled=True,
                                note="ابطال", actor=None)
    services.national_tier_set(election=election, county=geo.kerman_county, tier=1, actor=None)


def _score(election: Any, unit: Any) -> UnitScore:
    return UnitScore.objects.get(election=election, unit=unit)


def test_full_recompute_gives_the_documented_values(atlas_world: AtlasWorld) -> None:
    world, geo = atlas_world, atlas_world.geo
    _inputs(world)
    result = recompute.atlas_recompute(election=world.election)
    assert (result.stations, result.counties, result.provinces) == (3, 3, 2)

    s1 = 100 * (3 + 2 + 1.5 + 1) / W_STATION
    s3 = 100 * (2 * 0.4 + 1 * 0.5) / W_STATION
    stations = {s.station_id: s for s in StationScore.objects.all()}
    assert stations[world.s1.pk].value == pytest.approx(s1)
    assert stations[world.s1.pk].tier == 1
    assert stations[world.s2.pk].value == 0 and stations[world.s2.pk].tier == 4
    assert stations[world.s3.pk].value == pytest.approx(s3)

    gharchak_mean = (1500 * s1 + 500 * 0) / 2000
    gharchak = (5 * gharchak_mean + 100 * (1.5 * 0.5 + 1.5 * 1 + 2 * (0.25 + 1.0) / 2)) / W_COUNTY
    row = _score(world.election, geo.gharchak)
    assert row.value == pytest.approx(gharchak)
    assert (row.tier, row.floor_applied, row.voters, row.members) == (2, False, 2000, 2)

    kerman = (5 * s3 + 100 * 1 * 1.0) / W_COUNTY
    row = _score(world.election, geo.kerman_county)
    assert row.value == pytest.approx(kerman)
    assert (row.computed_tier, row.tier, row.floor_applied) == (4, 1, True)
    assert row.explanation["floor"] == 1
    assert _score(world.election, geo.rafsanjan).value == 0

    tehran = (4 * gharchak + 100 * 1 * 1.0) / W_PROVINCE
    assert _score(world.election, geo.tehran).value == pytest.approx(tehran)
    kerman_p = (4 * (300 * kerman + 1 * 0) / 301 + 100 * 0.5) / W_PROVINCE
    assert _score(world.election, geo.kerman_province).value == pytest.approx(kerman_p)
    assert Event.objects.filter(action="atlas.recompute").count() == 1


def test_stored_explanations_add_up_and_name_the_factors(atlas_world: AtlasWorld) -> None:
    _inputs(atlas_world)
    recompute.atlas_recompute(election=atlas_world.election)
    rows = list(StationScore.objects.all()) + list(UnitScore.objects.all())
    for row in rows:
        total = sum(f["contribution"] for f in row.explanation["factors"])
        assert total == pytest.approx(row.value, abs=1e-9)
    gharchak = _score(atlas_world.election, atlas_world.geo.gharchak)
    codes = [f["code"] for f in gharchak.explanation["factors"]]
    assert {"annulled_history", "assessments", "sensitive", "high_risk_share"} <= set(codes)
    contributions = [f["contribution"] for f in gharchak.explanation["factors"]]
    assert contributions == sorted(contributions, reverse=True)


def _all_scores(election: Any) -> dict[tuple[str, int], float]:
    out = {("s", s.station_id): s.value for s in StationScore.objects.filter(election=election)}
    out |= {("u", u.unit_id): u.value for u in UnitScore.objects.filter(election=election)}
    return out


def test_a_station_change_updates_station_county_and_province(atlas_world: AtlasWorld) -> None:
    world = atlas_world
    _inputs(world)
    recompute.atlas_recompute(election=world.election)
    before = _score(world.election, world.geo.gharchak).value
    world.s2.cctv = "none"
    world.s2.save()
    assert recompute.atlas_station_changed(station_id=world.s2.pk)
    incremental = _all_scores(world.election)
    assert _score(world.election, world.geo.gharchak).value > before
    recompute.atlas_recompute(election=world.election)
    assert incremental == pytest.approx(_all_scores(world.election))


def test_closing_a_station_removes_its_score(atlas_world: AtlasWorld) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    atlas_world.s1.status = "closed"
    atlas_world.s1.save()
    recompute.atlas_station_changed(station_id=atlas_world.s1.pk)
    assert not StationScore.objects.filter(station=atlas_world.s1).exists()
    assert _score(atlas_world.election, atlas_world.geo.gharchak).members == 1


def test_the_enqueued_task_runs_on_commit(
    atlas_world: AtlasWorld, django_capture_on_commit_callbacks: Any
) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    world = atlas_world
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        world.s2.sensitive = True
        world.s2.save()
        services.atlas_enqueue_station_changed(world.s2.pk)
    assert len(callbacks) == 1
    assert StationScore.objects.get(station=world.s2).value == pytest.approx(
        100 * 3 / W_STATION)


def test_an_assessment_updates_its_county_on_commit(
    atlas_world: AtlasWorld, django_capture_on_commit_callbacks: Any
) -> None:
    world = atlas_world
    recompute.atlas_recompute(election=world.election)
    before = _score(world.election, world.geo.kerman_county).value
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_create(
            election=world.election, agency=Agency.objects.get(code="police"),
            county=world.geo.kerman_county, score=5, justification="خطر زیاد",
            assessed_on=datetime.date(2026, 1, 1), author=None, stations=[world.s3])
    assert _score(world.election, world.geo.kerman_county).value == pytest.approx(
        before + 100 * 2 * 1.0 / W_COUNTY)
    event = Event.objects.get(action="atlas.assessment.create")
    assert event.after["stations"] == [world.s3.pk]


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"score": 6}, "score"),
    ({"justification": "  "}, "justification"),
    ({"assessed_on": datetime.date(2999, 1, 1)}, "assessed_on"),
])
def test_a_bad_assessment_is_refused_and_changes_nothing(
    atlas_world: AtlasWorld, kwargs: dict[str, Any], field: str
) -> None:
    data: dict[str, Any] = {"score": 3, "justification": "x",
                            "assessed_on": datetime.date(2026, 1, 1)} | kwargs
    with pytest.raises(RuleError) as caught:
        services.assessment_create(election=atlas_world.election,
                                   agency=Agency.objects.get(code="police"),
                                   county=atlas_world.geo.gharchak, author=None, **data)
    assert caught.value.field == field and caught.value.render("fa")
    assert not Assessment.objects.exists()


def test_a_flagged_station_must_be_in_the_county(atlas_world: AtlasWorld) -> None:
    with pytest.raises(RuleError):
        services.assessment_create(
            election=atlas_world.election, agency=Agency.objects.get(code="police"),
            county=atlas_world.geo.gharchak, score=3, justification="x",
            assessed_on=datetime.date(2026, 1, 1), author=None, stations=[atlas_world.s3])


def test_thresholds_change_retiers_and_is_audited(
    atlas_world: AtlasWorld, django_capture_on_commit_callbacks: Any
) -> None:
    world = atlas_world
    recompute.atlas_recompute(election=world.election)
    assert StationScore.objects.get(station=world.s3).tier == 4
    with django_capture_on_commit_callbacks(execute=True):
        services.thresholds_set(election=world.election, tier1_min=50, tier2_min=30,
                                tier3_min=10, actor=None)
    assert StationScore.objects.get(station=world.s3).tier == 3
    assert Event.objects.filter(action="atlas.thresholds.set").count() == 1
    with pytest.raises(RuleError):
        services.thresholds_set(election=world.election, tier1_min=20, tier2_min=30,
                                tier3_min=10, actor=None)


def test_national_tier_can_be_cleared(atlas_world: AtlasWorld) -> None:
    world = atlas_world
    services.national_tier_set(election=world.election, county=world.geo.gharchak, tier=1,
                               actor=None)
    services.national_tier_set(election=world.election, county=world.geo.gharchak, tier=None,
                               actor=None)
    events = Event.objects.filter(action="atlas.national_tier.set").order_by("seq")
    assert [e.after["tier"] for e in events] == [1, None]
    # Counties and provinces have national tiers (test_province.py); a district has none.
    with pytest.raises(RuleError):
        services.national_tier_set(election=world.election, county=world.geo.gharchak_central,
                                   tier=1, actor=None)


def test_snapshot_copies_unit_scores(atlas_world: AtlasWorld) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    snap = services.snapshot_take(election=atlas_world.election, day=datetime.date(2026, 1, 5))
    assert set(snap.scores) == {str(u.unit_id) for u in UnitScore.objects.all()}
    again = services.snapshot_take(election=atlas_world.election, day=datetime.date(2026, 1, 5))
    assert again.pk == snap.pk


def test_demo_seed_marks_gharchak_annulled_and_scores_everything(
    atlas_world: AtlasWorld
) -> None:
    from amanat.atlas.demo import seed_demo_atlas
    from amanat.atlas.models import CountyHistory, NationalTier, RequiredMeasure, Snapshot

    result = seed_demo_atlas(atlas_world.election)
    assert CountyHistory.objects.get(county=atlas_world.geo.gharchak).annulled
    assert NationalTier.objects.filter(county=atlas_world.geo.gharchak, tier=2).exists()
    assert Assessment.objects.filter(county=atlas_world.geo.gharchak).values(
        "agency").distinct().count() >= 2
    # The load day's snapshot and three earlier ones (90, 60 and 30 days before it).
    assert RequiredMeasure.objects.exists() and Snapshot.objects.count() == 4
    days = sorted(Snapshot.objects.values_list("taken_on", flat=True))
    assert [(days[-1] - d).days for d in days] == [90, 60, 30, 0]
    assert result.counties_scored == 3
    again = seed_demo_atlas(atlas_world.election)
    assert again.assessments == 0
    assert Snapshot.objects.count() == 4
