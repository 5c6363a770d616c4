"""The report API's Idempotency-Key under group commit (amanat.intake.idempotency): a
request whose answer is known beforehand goes in with its batch; a key taken meanwhile
falls back to core's one-request path, which replays."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import RequestFactory

from amanat.core.idempotency import REPLAYED_HEADER, Outcome
from amanat.core.models import IdempotencyRecord
from amanat.intake import groupcommit, idempotency

pytestmark = pytest.mark.django_db(transaction=True)


class Work:
    """The request's own work, counted: it must not run when the batch stores it."""

    def __init__(self) -> None:
        self.runs = 0

    def __call__(self) -> Outcome:
        self.runs += 1
        return 201, {"id": 100 + self.runs}


@pytest.fixture(autouse=True)
def _group_commit(settings: Any) -> Iterator[None]:
    settings.AMANAT_GROUP_COMMIT = True
    yield
    groupcommit.committer.stop()


def _call(user: User, key: str, planned: idempotency.Planned, work: Work) -> HttpResponse:
    request = RequestFactory().post("/api/v1/things/")
    request.user = user
    return idempotency.idempotent(request, key=key, payload={"x": 1}, run=work,
                                  planned=planned)


def test_a_planned_request_is_stored_by_the_writer_and_a_taken_key_replayed(
    django_user_model: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = django_user_model.objects.create_user(username="planner")
    stored: list[Any] = []
    work = Work()
    together_before = groupcommit.committer.together
    first = _call(user, "k1", idempotency.Planned(stored.extend, "item-1", (201, {"id": 7})),
                  work)
    assert (first.status_code, json.loads(first.content)) == (201, {"id": 7})
    assert REPLAYED_HEADER not in first
    assert stored == ["item-1"] and work.runs == 0
    assert groupcommit.committer.together == together_before + 1  # by the writer
    record = IdempotencyRecord.objects.get()
    assert (record.status_code, record.response_body) == (201, {"id": 7})
    # The race: the look-up misses the key, which is then taken when the writer runs.
    monkeypatch.setattr(idempotency, "_find", lambda *lookup: None)
    again = _call(user, "k1", idempotency.Planned(stored.extend, "item-2", (201, {"id": 8})),
                  work)
    assert (again.status_code, json.loads(again.content)) == (201, {"id": 7})
    assert again[REPLAYED_HEADER] == "true"
    assert stored == ["item-1"] and work.runs == 0
    assert IdempotencyRecord.objects.count() == 1
