"""Reads of the atlas for pages, the PDF and the API: scoped, in a fixed number of queries."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, get_object_for_user, scope_queryset
from amanat.atlas import factors as fx
from amanat.atlas.models import (
    Assessment,
    CheckCode,
    CountyHistory,
    NationalTier,
    RequiredMeasure,
    Snapshot,
    StationScore,
    UnitScore,
)
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.stations.models import Cctv, Fibre, Station, Status

SCORE_LABEL = "atlas.score"
RISKIEST_STATIONS = 20


def get_atlas_unit_for_user(user: AnyUser, pk: Any, kind: str, *, action: str = policy.VIEW,
                            label: str = SCORE_LABEL) -> AdminUnit:
    """A county or province the user may ``action`` atlas objects of ``label`` at; else 404."""
    return get_object_for_user(
        user, AdminUnit, pk, action=action, path_field="path", model_label=label,
        queryset=AdminUnit.objects.filter(kind=kind).select_related("parent"))


def unit_scores(user: AnyUser, election: Election, level: str,
                within: AdminUnit | None = None) -> QuerySet[UnitScore]:
    """Scores of counties or provinces in the user's scope, highest first."""
    qs = UnitScore.objects.filter(election=election, level=level)
    if within is not None:
        qs = qs.filter(unit__path__startswith=within.path)
    qs = scope_queryset(user, qs, action=policy.VIEW, path_field="unit__path",
                        model_label=SCORE_LABEL)
    return qs.select_related("unit", "unit__parent").order_by("-value", "unit__code")


def unit_scores_in_scope(user: AnyUser, election: Election) -> QuerySet[UnitScore]:
    """County and province scores in the user's scope (the API's one-unit read)."""
    qs = UnitScore.objects.filter(election=election)
    return scope_queryset(user, qs, action=policy.VIEW, path_field="unit__path",
                          model_label=SCORE_LABEL).select_related("unit", "unit__parent")


def unit_score(election: Election, unit: AdminUnit) -> UnitScore | None:
    return UnitScore.objects.filter(election=election, unit=unit).first()


def riskiest_stations(election: Election, county: AdminUnit, limit: int = RISKIEST_STATIONS
                      ) -> list[StationScore]:
    return list(StationScore.objects.filter(election=election, county=county)
                .select_related("station").order_by("-value", "station__code")[:limit])


def assessments(election: Election, county: AdminUnit) -> list[Assessment]:
    """Every assessment of the county, newest first; ``counts`` marks the one per agency
    that enters the score."""
    rows = list(Assessment.objects.filter(election=election, county=county)
                .select_related("agency", "author").prefetch_related("stations")
                .order_by("-assessed_on", "-created_at", "-pk"))
    seen: set[int] = set()
    for row in rows:
        row.counts = row.agency_id not in seen  # type: ignore[attr-defined]
        seen.add(row.agency_id)
    return rows


def national_tier(election: Election, county: AdminUnit) -> NationalTier | None:
    return NationalTier.objects.filter(election=election, county=county).select_related(
        "set_by").first()


def county_history(election: Election, county: AdminUnit) -> CountyHistory | None:
    return CountyHistory.objects.filter(election=election, county=county).first()


# --- required measures and gaps -------------------------------------------------------------


@dataclass
class MeasureStatus:
    measure: RequiredMeasure
    status: str  # "met", "gap" or "manual"
    missing: int = 0  # stations that fall short, for automatic checks


def _shortfall_counts() -> dict[str, Count]:
    """For each automatic check, the count of active stations that fall short of it."""
    active = Q(status=Status.ACTIVE)
    return {
        CheckCode.CCTV_LIVE_AT_SENSITIVE: Count("pk", filter=active & Q(sensitive=True)
                                                & ~Q(cctv=Cctv.LIVE)),
        CheckCode.CCTV_AT_ALL: Count("pk", filter=active & Q(cctv=Cctv.NONE)),
        CheckCode.POWER_BACKUP_ALL: Count("pk", filter=active & Q(power_backup=False)),
        CheckCode.FIBRE_FOR_EVOTING: Count("pk", filter=active & Q(evoting_planned=True)
                                           & ~Q(fibre=Fibre.CONNECTED)),
        CheckCode.WITHIN_CAPACITY: Count("pk", filter=active & Q(
            capacity__isnull=False, expected_voters__gt=F("capacity"))),
    }


def _station_counts(election: Election, county: AdminUnit) -> dict[str, int]:
    """One aggregate query: how many active stations of the county fall short of each check."""
    return Station.objects.filter(election=election, county=county).aggregate(
        **_shortfall_counts())


def station_shortfalls(election: Election, county_ids: list[int]) -> dict[int, dict[str, int]]:
    """One grouped query for many counties: {county id: {check code: stations short}}."""
    checks = _shortfall_counts()
    rows = (Station.objects.filter(election=election, county_id__in=county_ids)
            .values_list("county_id").annotate(**checks).order_by())
    return {row[0]: dict(zip(checks, row[1:], strict=True)) for row in rows}


def required_measures(tier: int | None) -> list[RequiredMeasure]:
    """Measures that apply at ``tier``: those of that tier and of every lower-risk tier."""
    if tier is None:
        return []
    return list(RequiredMeasure.objects.filter(active=True, tier__gte=tier))


def county_gaps(election: Election, county: AdminUnit, tier: int | None) -> list[MeasureStatus]:
    """Each required measure with its status; automatic checks read the registry."""
    measures = required_measures(tier)
    if not measures:
        return []
    counts = _station_counts(election, county) if any(m.check_code for m in measures) else {}
    result = []
    for measure in measures:
        if not measure.check_code:
            result.append(MeasureStatus(measure, "manual"))
            continue
        missing = int(counts.get(measure.check_code, 0) or 0)
        result.append(MeasureStatus(measure, "gap" if missing else "met", missing))
    return result


def snapshots(election: Election, limit: int = 30) -> list[Snapshot]:
    return list(Snapshot.objects.filter(election=election).order_by("-taken_on")[:limit])


def trend(election: Election, unit: AdminUnit, limit: int = 30
          ) -> list[tuple[datetime.date, float, int]]:
    """(date, score, tier) of ``unit`` in the latest snapshots, oldest first."""
    points = []
    for snap in snapshots(election, limit):
        entry = snap.scores.get(str(unit.pk))
        if entry:
            points.append((snap.taken_on, float(entry[0]), int(entry[1])))
    return list(reversed(points))


def factor_rows(explanation: dict[str, Any], lang: str) -> list[dict[str, Any]]:
    """The explanation's factors with their names in ``lang`` ("fa" or "en")."""
    rows = []
    for item in explanation.get("factors", []):
        factor = fx.CATALOGUE.get(item["code"])
        name = (factor.name_fa if lang == "fa" else factor.name_en) if factor else item["code"]
        rows.append({"code": item["code"], "name": name, "value": item["value"],
                     "contribution": item["contribution"]})
    return rows



@dataclass(frozen=True)
class Change:
    """One county between two snapshot dates (None where it had no score that day)."""

    unit: AdminUnit
    before: tuple[float, int] | None
    after: tuple[float, int] | None

    @property
    def delta(self) -> float:
        if self.before is None or self.after is None:
            return 0.0
        return self.after[0] - self.before[0]


def compare_snapshots(user: AnyUser, earlier: Snapshot, later: Snapshot) -> list[Change]:
    """Counties in the user's scope with their score and tier on both dates, the largest
    rise first: two snapshot rows and one query for the counties."""
    counties = scope_queryset(
        user, AdminUnit.objects.filter(kind="county").select_related("parent"),
        action=policy.VIEW, path_field="path", model_label=SCORE_LABEL,
    )

    def entry(snap: Snapshot, unit: AdminUnit) -> tuple[float, int] | None:
        found = snap.scores.get(str(unit.pk))
        return (float(found[0]), int(found[1])) if found else None

    rows = [Change(unit, entry(earlier, unit), entry(later, unit)) for unit in counties]
    rows = [r for r in rows if r.before is not None or r.after is not None]
    return sorted(rows, key=lambda r: (-r.delta, r.unit.code))


TIER_COLOURS = {1: "#b02a37", 2: "#c2410c", 3: "#f0ad00", 4: "#237032"}


def county_atlas(election: Election, unit: AdminUnit, lang: str) -> dict[str, Any]:
    """What the county page and the printed atlas show (factor names in ``lang``)."""
    score = unit_score(election, unit)
    tier = score.tier if score else None
    return {
        "election": election, "unit": unit, "score": score,
        "factors": factor_rows(score.explanation, lang) if score else [],
        "stations": [
            {"row": s, "factors": factor_rows(s.explanation, lang)[:3]}
            for s in riskiest_stations(election, unit)
        ],
        "assessments": assessments(election, unit),
        "national_tier": national_tier(election, unit),
        "history": county_history(election, unit),
        "gaps": county_gaps(election, unit, tier),
        "trend": trend(election, unit),
        "tier_colours": TIER_COLOURS,
    }
