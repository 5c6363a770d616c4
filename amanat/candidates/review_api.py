"""Inquiry answers over HTTP: ``POST /api/v1/candidate-review/inquiry-answers`` applies a
batch of answers (the same all-or-nothing service as the spreadsheet import: one bulk
update, one audit entry). For the boards (``candidates.inquiry`` CHANGE); an inquiry
outside the caller's scope is "not found", like one that does not exist."""

from __future__ import annotations

from typing import Literal

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from amanat.accounts import policy
from amanat.accounts.access import can
from amanat.candidates import review_selectors as rs
from amanat.candidates import review_services as services
from amanat.core.api_errors import ErrorOut, error_body
from amanat.core.api_types import Text
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
             summary="Record a batch of inquiry answers (all or nothing)")
def inquiry_answers(request: HttpRequest, body: AnswersIn) -> tuple[int, object]:
    if not can(request.user, policy.CHANGE, rs.INQUIRY, None):
        raise Http404("not found")
    election = election_for(body.election)
    if election is None:
        raise Http404("no such election")
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
