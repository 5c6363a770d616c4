"""The plans over HTTP, read only: ``/api/v1/plans/`` (compliance with the current
directive per county, and a county's measures by phase).

Scoped like the pages: the compliance rows are the counties the caller may see
(``selectors.compliance``); a county's measures need the right to see its measures, and
another county is 404. A token bound to stations (a field device) reaches only its
stations' counties. Enumerations travel as their English codes with a label in the
reader's language beside them.
"""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from pydantic import StringConstraints

from amanat.accounts import access, policy
from amanat.core.api_errors import ErrorOut
from amanat.core.api_types import Text
from amanat.elections.models import Election
from amanat.elections.selectors import election_for
from amanat.geo.models import AdminUnit, Kind
from amanat.plans import selectors as S
from amanat.plans.models import CLOSED_MEASURE_STATUSES, Measure
from amanat.stations.selectors import token_unit_ids

router = Router(tags=["plans"])


class DirectiveOut(Schema):
    code: Text
    version: int
    title: Text
    localise_by: datetime.date


class CountyRef(Schema):
    id: int
    code: Text
    name: Text
    province_code: Text | None


class ComplianceRowOut(Schema):
    county: CountyRef
    localised: bool
    localisation_status: Text | None = Field(description="draft or approved; null when not "
                                                         "localised")
    total: int = Field(description="the directive's measures the county carries")
    done: int = Field(description="done or not applicable, with evidence")
    overdue: int = Field(description="open past their due date (all of them when not "
                                     "localised past the deadline)")
    percent: int


class ComplianceOut(Schema):
    election: Text
    directive: DirectiveOut | None
    count: int
    results: list[ComplianceRowOut] = Field(description="worst first: not localised, then "
                                                        "the lowest compliance, then the "
                                                        "most overdue")


# Query text: no NUL (a 422, not a database error), bounded like the columns it matches.
Slug = Annotated[Text, StringConstraints(max_length=100)]
Code = Annotated[Text, StringConstraints(max_length=20)]


class ComplianceFilters(Schema):
    election: Slug | None = Field(None, description="election slug (default: the current one)")
    province: Code | None = Field(None, description="official code of a province; "
                                  "an unknown code: 404")


class MeasureOut(Schema):
    id: int
    title: Text
    phase: Text
    phase_label: Text
    kind: Text
    owner: Text = Field(description="the owner agency's code")
    due_on: datetime.date
    status: Text
    status_label: Text
    overdue: bool
    source: Text = Field(description="local, directive or tier")
    directive: Text | None = Field(description="the directive's code, for its measures")
    required_measure: int | None = Field(description="the atlas tier requirement it carries "
                                                     "out, for tier measures")
    reported_at: datetime.datetime | None


class MeasuresOut(Schema):
    election: Text
    county: CountyRef
    count: int
    results: list[MeasureOut] = Field(description="by phase (before, during, after), then "
                                                  "by due date")


def _election(slug: str | None) -> Election:
    election = election_for(slug)
    if election is None:
        raise Http404("no such election")
    return election


ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


@router.get("/compliance/", response={200: ComplianceOut, **ERRORS},
            url_name="plans_compliance",
            summary="Compliance with the current directive per county (scoped)")
def plans_compliance(request: HttpRequest, filters: Query[ComplianceFilters]) -> ComplianceOut:
    if not access.can(request.user, policy.VIEW, S.LOCALISATION, None):
        raise Http404("not found")
    election = _election(filters.election)
    directive = S.current_directive(election)
    rows = S.compliance(request.user, directive)[0] if directive else []
    bound = token_unit_ids(request, election)
    if bound is not None:  # a field device: its stations' counties only
        rows = [r for r in rows if r.unit.pk in bound]
    if filters.province:
        # An unknown code is not an empty answer (user review 2026-12: «99» gave 200 and
        # no rows, as if no county had localised); as the atlas API's filter.
        if not AdminUnit.objects.filter(kind=Kind.PROVINCE, code=filters.province).exists():
            raise Http404("no such province")
        rows = [r for r in rows if r.unit.parent is not None
                and r.unit.parent.code == filters.province]
    results = [ComplianceRowOut(
        county=CountyRef(id=r.unit.pk, code=r.unit.code, name=r.unit.name,
                         province_code=r.unit.parent.code if r.unit.parent else None),
        localised=r.localisation is not None,
        localisation_status=r.localisation.status if r.localisation else None,
        total=r.total, done=r.done, overdue=r.overdue, percent=r.percent) for r in rows]
    return ComplianceOut(
        election=election.slug, count=len(results), results=results,
        directive=DirectiveOut(code=directive.code, version=directive.version,
                               title=directive.title, localise_by=directive.localise_by)
        if directive else None)


@router.get("/counties/{unit_id}/measures/", response={200: MeasuresOut, **ERRORS},
            url_name="plans_county_measures",
            summary="A county's measures by phase (404 outside your scope)")
def plans_county_measures(request: HttpRequest, unit_id: int,
                          election: Slug | None = None) -> MeasuresOut:
    unit = S.get_unit_for_user(request.user, unit_id, S.MEASURE)
    chosen = _election(election)
    bound = token_unit_ids(request, chosen)
    if bound is not None and unit.pk not in bound:  # a field device: its counties only
        raise Http404("not found")
    day = S.today()
    measures: list[Measure] = [m for phase in S.county_measures(chosen, unit).values()
                               for m in phase]
    directive_codes = dict(Measure.objects.filter(pk__in=[m.pk for m in measures],
                                                  directive_measure__isnull=False)
                           .values_list("pk", "directive_measure__directive__code"))
    results = [MeasureOut(
        id=m.pk, title=m.title, phase=m.phase, phase_label=m.get_phase_display(), kind=m.kind,
        owner=m.owner.code, due_on=m.due_on, status=m.status,
        status_label=m.get_status_display(),
        overdue=m.status not in CLOSED_MEASURE_STATUSES and m.due_on < day, source=m.source,
        directive=directive_codes.get(m.pk), required_measure=m.required_measure_id,
        reported_at=m.reported_at) for m in measures]
    parent = unit.parent
    return MeasuresOut(election=chosen.slug,
                       county=CountyRef(id=unit.pk, code=unit.code, name=unit.name,
                                        province_code=parent.code if parent else None),
                       count=len(results), results=results)

