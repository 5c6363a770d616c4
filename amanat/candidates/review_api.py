"""Inquiry answers over HTTP: ``POST /api/v1/candidate-review/inquiry-answers`` applies a
batch of answers (the same all-or-nothing service as the spreadsheet import: one bulk
update, one audit entry). For the boards (``candidates.inquiry`` CHANGE); an inquiry
outside the caller's scope is "not found", like one that does not exist. An optional
``Idempotency-Key`` (core.idempotency): a retried batch gets the first answer again,
not "already answered" (user review 2, F17)."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from amanat.accounts import policy
from amanat.accounts.access import can
from amanat.candidates import review_selectors as rs
from amanat.candidates import review_services as services
from amanat.core.api_errors import ErrorOut, error_body
from amanat.core.api_types import Text
from amanat.core.idempotency import HEADER, Outcome, idempotent, key_parameter
from amanat.elections.models import Election
from amanat.elections.selectors import election_for

router = Router(tags=["candidates"])

MAX_ANSWERS = 20_000


class AnswerIn(Schema):
    reference: Text = Field(max_length=16, description="the candidate's tracking code")
    authority: Literal["intelligence", "police", "judiciary", "civil_registry"]
    answer: Literal["clear", "adverse", "no_answer"]
    adverse_reference: Text = Field("", max_length=200)
    note: Text = Field("", max_length=2000)


class AnswersIn(Schema):
    election: Text | None = Field(None, description="slug; default the current election")
    answers: list[AnswerIn] = Field(max_length=MAX_ANSWERS, min_length=1)


class AnswersOut(Schema):
    applied: int


@router.post("/inquiry-answers", response={200: AnswersOut, 401: ErrorOut, 404: ErrorOut,
                                           422: ErrorOut},
             url_name="candidates_inquiry_answers",
             summary="Record a batch of inquiry answers (all or nothing)",
             # Read by the view itself (core.idempotency), so declared here for clients.
             openapi_extra={"parameters": [key_parameter(required=False)]})
def inquiry_answers(request: HttpRequest, body: AnswersIn) -> HttpResponse:
    """Apply the batch. With an ``Idempotency-Key`` a retry with the same key and body
    gets the first answer again (nothing applied twice); the same key with another body
    gets 422."""
    if not can(request.user, policy.CHANGE, rs.INQUIRY, None):
        raise Http404("not found")
    election = election_for(body.election)
    if election is None:
        raise Http404("no such election")
    return idempotent(request, key=request.headers.get(HEADER),
                      payload=body.model_dump(mode="json"),
                      run=lambda: _apply(request, election, body))


def _apply(request: HttpRequest, election: Election, body: AnswersIn) -> Outcome:
    rows = [services.AnswerRow(line=i, reference=a.reference.strip().upper(),
                               kind=a.authority, answer=a.answer,
                               adverse_reference=a.adverse_reference, note=a.note)
            for i, a in enumerate(body.answers)]
    result = services.inquiry_answers_apply(actor=request.user, election=election,
                                            paths=rs.inquiry_paths(request.user), rows=rows)
    if result.errors:
        return 422, error_body([e.with_field(f"answers.{line}.{e.field}")
                                for line, e in result.errors])
    return 200, AnswersOut(applied=result.applied)
