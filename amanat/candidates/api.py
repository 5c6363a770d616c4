"""Candidates over HTTP: ``/api/v1/candidates/`` (the scoped list) and
``/api/v1/candidates/{id}`` (one candidacy with its dossier's document statuses).

Scoped like the pages (``selectors``): outside the caller's scope is 404. National IDs are
masked (the last four digits) in the list and the detail alike: an answer read by GET
records nothing, so the full number is only on the dossier page through its audited
reveal (accounts.personaldata).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from amanat.accounts import policy
from amanat.accounts.access import can
from amanat.candidates import selectors
from amanat.candidates.models import Candidacy, State
from amanat.core.api_errors import ErrorOut
from amanat.core.identity import mask_national_id
from amanat.elections.selectors import election_for
from amanat.geo.models import AdminUnit, Kind
from amanat.stations.selectors import token_unit_ids

router = Router(tags=["candidates"])

MAX_PAGE_SIZE = 200


class ConstituencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    seats: int


class CandidateRow(Schema):
    id: int
    reference: str
    first_name: str
    last_name: str
    national_id: str
    state: str
    channel: str
    contest: int
    constituency: ConstituencyOut
    county: str
    registered_at: datetime.datetime


class CandidatePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[CandidateRow]


class DocumentOut(Schema):
    type: str
    status: str


class CandidateOut(CandidateRow):
    father_name: str
    birth_date: datetime.date
    education: int
    documents: list[DocumentOut]
    eligibility: dict[str, str]


class CandidateFilters(Schema):
    election: str | None = Field(None, max_length=100)
    county: str | None = Field(None, max_length=20)
    state: State | None = None
    q: str | None = Field(None, max_length=100)
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


def _row(c: Candidacy) -> dict[str, Any]:
    return {
        "id": c.pk, "reference": c.reference, "first_name": c.first_name,
        "last_name": c.last_name,
        "national_id": mask_national_id(c.national_id),
        "state": c.state, "channel": c.channel, "contest": c.contest_id,
        "constituency": ConstituencyOut(id=c.constituency.pk, code=c.constituency.code,
                                        name=c.constituency.name, kind=c.constituency.kind,
                                        seats=c.constituency.seats),
        "county": c.county.code, "registered_at": c.created_at,
    }


@router.get("/", response={200: CandidatePage, 401: ErrorOut, 404: ErrorOut},
            url_name="candidates", summary="List candidacies (filtered, paginated, scoped)")
def candidate_list(request: HttpRequest, filters: Query[CandidateFilters]) -> CandidatePage:
    if not can(request.user, policy.VIEW, selectors.CANDIDACY, None):
        raise Http404("not found")
    election = election_for(filters.election)
    if election is None:
        raise Http404("no such election")
    county = None
    if filters.county:
        county = selectors.scoped_counties(request.user).filter(
            code=filters.county.zfill(4)).first() or AdminUnit(kind=Kind.COUNTY, path="-/")
    count, qs = selectors.candidacy_rows(request.user, election=election, county=county,
                                         state=filters.state or "", text=filters.q or "",
                                         columns=None,
                                         # a field device: its stations' counties only
                                         counties=token_unit_ids(request, election))
    size = max(1, min(filters.page_size, MAX_PAGE_SIZE))
    page = max(1, filters.page)
    rows = list(qs[(page - 1) * size: page * size])
    return CandidatePage(count=count, page=page, page_size=size,
                         items=[CandidateRow(**_row(c)) for c in rows])


@router.get("/{candidacy_id}", response={200: CandidateOut, 401: ErrorOut, 404: ErrorOut},
            url_name="candidate", summary="One candidacy and its dossier (404 outside scope)")
def candidate_get(request: HttpRequest, candidacy_id: int) -> CandidateOut:
    candidacy = selectors.get_candidacy_for_user(request.user, candidacy_id)
    bound = token_unit_ids(request)
    if bound is not None and candidacy.county_id not in bound:  # a field device
        raise Http404("not found")
    dossier = selectors.dossier(candidacy)
    return CandidateOut(
        **_row(candidacy), father_name=candidacy.father_name,
        birth_date=candidacy.birth_date, education=candidacy.education,
        documents=[DocumentOut(type=line.document_type.code, status=line.status)
                   for line in dossier.documents],
        eligibility={r.rule.code: r.verdict for r in dossier.rules})
