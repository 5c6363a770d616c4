"""The atlas over HTTP, read only: ``/api/v1/atlas/`` (scores, tiers and explanations of
counties and provinces, and the factor catalogue in force).

For field devices and other systems that act on the tiers. Reads are scoped like the
pages (``selectors.unit_scores``: the caller's units only; another unit is 404); a token
bound to stations (a field device) reaches only the counties of its stations and their
provinces. Factor names travel in Persian and English beside their codes; the
explanation's contributions add up to the score (docs/atlas-method.md).
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.db.models import Q
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from amanat.accounts import policy
from amanat.accounts.access import can
from amanat.atlas import catalogue, selectors
from amanat.atlas import factors as fx
from amanat.atlas.models import NationalTier, UnitLevel, UnitScore
from amanat.core.api_errors import ErrorOut
from amanat.core.api_types import Text
from amanat.elections.models import Election
from amanat.elections.selectors import election_for
from amanat.geo.models import AdminUnit
from amanat.lib.limits import parse_id
from amanat.stations.selectors import token_unit_ids

router = Router(tags=["atlas"])


class FactorOut(Schema):
    code: Text
    name_fa: Text
    name_en: Text
    value: float = Field(description="the factor's value, 0–1")
    contribution: float = Field(description="score points; the contributions add up to the score")


class UnitRef(Schema):
    id: int
    code: Text
    name: Text
    kind: Text
    parent_code: Text | None


class UnitScoreOut(Schema):
    unit: UnitRef
    level: Literal["county", "province"]
    election: Text
    score: float = Field(description="0–100, higher is riskier")
    tier: int = Field(description="1 (highest risk) to 4, after the national floor")
    computed_tier: int = Field(description="the tier the data give, before the floor")
    floor_applied: bool = Field(description="true when the national tier, not the data, "
                                            "set the tier")
    national_tier: int | None = Field(description="the National Security Council's tier, a "
                                                  "floor; null when none is set")
    voters: int
    members: int = Field(description="stations of a county, counties of a province")
    computed_at: datetime.datetime
    factors: list[FactorOut] = Field(description="largest contribution first; factors "
                                                 "contributing nothing are left out")


class UnitScorePage(Schema):
    election: Text
    count: int
    results: list[UnitScoreOut]


# Query text: no NUL (a 422, not a database error), bounded like the columns it matches.
Slug = Annotated[Text, StringConstraints(max_length=100)]
Code = Annotated[Text, StringConstraints(max_length=20)]


class UnitFilters(Schema):
    election: Slug | None = Field(None, description="election slug (default: the current one)")
    level: Literal["county", "province"] = "county"
    province: Code | None = Field(None, description="official code of a province: its "
                                                    "counties (or itself) only; an unknown "
                                                    "code: 404")
    tier: int | None = Field(None, ge=1, le=4, description="only units at this tier")


class CatalogueFactorOut(Schema):
    code: Text
    name_fa: Text
    name_en: Text
    kind: Text
    level: Text
    weight: float


class CatalogueOut(Schema):
    version: int = Field(description="the catalogue version the scores use (0: the defaults "
                                     "in code)")
    station_mean_weight: float
    county_mean_weight: float
    incident_scale: float
    over_capacity_span: float
    factors: list[CatalogueFactorOut]


def _election(slug: str | None) -> Election:
    election = election_for(slug)
    if election is None:
        raise Http404("no such election")
    return election


def _bound_units(request: HttpRequest, election: Election) -> Q | None:
    """For a token bound to stations: its stations' counties and their provinces."""
    ids = token_unit_ids(request, election)
    return None if ids is None else Q(unit_id__in=ids)


def _score_out(row: UnitScore, election: Election, tiers: dict[int, int]) -> UnitScoreOut:
    unit = row.unit
    factors = []
    for item in row.explanation.get("factors", []):
        factor = fx.CATALOGUE.get(item["code"])
        factors.append(FactorOut(
            code=item["code"], name_fa=factor.name_fa if factor else item["code"],
            name_en=factor.name_en if factor else item["code"], value=item["value"],
            contribution=item["contribution"]))
    return UnitScoreOut(
        unit=UnitRef(id=unit.pk, code=unit.code, name=unit.name, kind=unit.kind,
                     parent_code=unit.parent.code if unit.parent else None),
        level="province" if row.level == UnitLevel.PROVINCE else "county",
        election=election.slug, score=row.value, tier=row.tier,
        computed_tier=row.computed_tier, floor_applied=row.floor_applied,
        national_tier=tiers.get(unit.pk), voters=row.voters, members=row.members,
        computed_at=row.computed_at, factors=factors)


def _tiers(election: Election, unit_ids: list[int]) -> dict[int, int]:
    return dict(NationalTier.objects.filter(election=election, county_id__in=unit_ids)
                .values_list("county_id", "tier"))


def _require_view(request: HttpRequest) -> None:
    if not can(request.user, policy.VIEW, selectors.SCORE_LABEL, None):
        raise Http404("not found")


@router.get("/units/", response={200: UnitScorePage, 401: ErrorOut, 404: ErrorOut,
                                 422: ErrorOut},
            url_name="atlas_units", summary="Scores and tiers of counties or provinces "
                                            "(scoped)")
def atlas_units(request: HttpRequest, filters: Query[UnitFilters]) -> UnitScorePage:
    _require_view(request)
    election = _election(filters.election)
    within = None
    if filters.province:
        within = AdminUnit.objects.filter(kind="province", code=filters.province).first()
        if within is None:
            raise Http404("no such province")
    level = UnitLevel.PROVINCE if filters.level == "province" else UnitLevel.COUNTY
    qs = selectors.unit_scores(request.user, election, level, within)
    bound = _bound_units(request, election)
    if bound is not None:
        qs = qs.filter(bound)
    if filters.tier is not None:
        qs = qs.filter(tier=filters.tier)
    rows = list(qs)
    tiers = _tiers(election, [r.unit_id for r in rows])
    return UnitScorePage(election=election.slug, count=len(rows),
                         results=[_score_out(r, election, tiers) for r in rows])


@router.get("/units/{unit_id}", response={200: UnitScoreOut, 401: ErrorOut, 404: ErrorOut},
            url_name="atlas_unit", summary="One county's or province's score, tier and "
                                           "explanation (404 outside your scope)")
def atlas_unit(request: HttpRequest, unit_id: int, election: Slug | None = None
               ) -> UnitScoreOut:
    _require_view(request)
    if parse_id(unit_id) is None:  # out of the id range: no such unit
        raise Http404("not found")
    chosen = _election(election)
    qs = selectors.unit_scores_in_scope(request.user, chosen).filter(unit_id=unit_id)
    bound = _bound_units(request, chosen)
    if bound is not None:
        qs = qs.filter(bound)
    row = qs.first()
    if row is None:
        raise Http404("not found")
    return _score_out(row, chosen, _tiers(chosen, [row.unit_id]))


@router.get("/factors/", response={200: CatalogueOut, 401: ErrorOut, 404: ErrorOut},
            url_name="atlas_factors", summary="The factor catalogue in force: weights and "
                                              "parameters")
def atlas_factors(request: HttpRequest) -> CatalogueOut:
    _require_view(request)
    current = catalogue.current()
    factors = [CatalogueFactorOut(code=f.code, name_fa=f.name_fa, name_en=f.name_en,
                                  kind=f.kind, level=f.level, weight=current.weight(f.code))
               for f in fx.CATALOGUE.values()]
    return CatalogueOut(version=current.version, station_mean_weight=current.station_mean,
                        county_mean_weight=current.county_mean,
                        incident_scale=current.incident_scale,
                        over_capacity_span=current.over_capacity_span, factors=factors)
