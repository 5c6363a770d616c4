"""The Idempotency-Key helper: replay, conflicts, failures, scope, expiry, concurrency."""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory
from django.utils import timezone, translation

from amanat.core import idempotency
from amanat.core.idempotency import (
    REPLAYED_HEADER,
    Outcome,
    idempotency_cleanup,
    idempotent,
    request_digest,
)
from amanat.core.models import IdempotencyRecord


def make_request(user: User, path: str = "/api/v1/things/") -> HttpRequest:
    request = RequestFactory().post(path)
    request.user = user
    return request


class Work:
    """A stand-in for an endpoint's work: counts its runs, answers what it is told."""

    def __init__(self, status: int = 201) -> None:
        self.runs = 0
        self.status = status

    def __call__(self) -> Outcome:
        self.runs += 1
        return self.status, {"id": self.runs, "when": datetime.date(2026, 2, 19)}


def call(
    user: User, key: str | None, payload: Any, work: Callable[[], Outcome], **kw: Any
) -> Any:
    path = kw.pop("path", "/api/v1/things/")
    return idempotent(make_request(user, path), key=key, payload=payload, run=work, **kw)


def body(response: HttpResponse) -> Any:
    assert isinstance(response, JsonResponse)
    return json.loads(response.content)


@pytest.fixture
def user(django_user_model: Any) -> User:
    return django_user_model.objects.create_user(username="device")


@pytest.fixture
def other(django_user_model: Any) -> User:
    return django_user_model.objects.create_user(username="other")


pytestmark = pytest.mark.django_db


def test_digest_ignores_key_order_and_spacing() -> None:
    assert request_digest({"a": 1, "b": [1, 2]}) == request_digest({"b": [1, 2], "a": 1})
    assert request_digest({"a": 1}) != request_digest({"a": 2})


def test_without_a_key_the_work_runs_every_time(user: User) -> None:
    work = Work()
    assert call(user, None, {"x": 1}, work).status_code == 201
    assert call(user, None, {"x": 1}, work).status_code == 201
    assert work.runs == 2
    assert not IdempotencyRecord.objects.exists()


def test_a_required_key_that_is_missing_is_422_in_both_languages(user: User) -> None:
    work = Work()
    response = call(user, None, {"x": 1}, work, required=True)
    assert response.status_code == 422
    error = body(response)["errors"][0]
    assert (error["field"], error["code"]) == ("Idempotency-Key", "key_missing")
    assert "سرآیند" in error["message"]  # the default language is Persian
    with translation.override("en"):
        english = body(call(user, None, {"x": 1}, work, required=True))["errors"][0]
    assert "Idempotency-Key header" in english["message"]
    assert work.runs == 0


@pytest.mark.parametrize("key", ["with space", "کلید", "x" * 256, "tab\there"])
def test_malformed_keys_are_refused(user: User, key: str) -> None:
    work = Work()
    response = call(user, key, {}, work)
    assert response.status_code == 422
    error = body(response)["errors"][0]
    assert error["code"] == "key_malformed" and "Idempotency-Key" in error["message"]
    assert work.runs == 0


def test_same_key_and_body_replays_the_first_answer(user: User) -> None:
    work = Work()
    first = call(user, "k1", {"x": 1}, work)
    second = call(user, "k1", {"x": 1}, work)
    assert work.runs == 1
    assert (second.status_code, body(second)) == (201, {"id": 1, "when": "2026-02-19"})
    assert body(first) == body(second)
    assert second[REPLAYED_HEADER] == "true" and not first.has_header(REPLAYED_HEADER)
    record = IdempotencyRecord.objects.get()
    assert (record.user, record.route, record.key) == (user, "POST /api/v1/things/", "k1")
    assert record.status_code == 201 and record.request_hash == request_digest({"x": 1})


def test_same_key_with_another_body_is_422_and_does_not_run(user: User) -> None:
    work = Work()
    call(user, "k1", {"x": 1}, work)
    response = call(user, "k1", {"x": 2}, work)
    assert response.status_code == 422
    error = body(response)["errors"][0]
    assert error["code"] == "key_reused" and "کلید" in error["message"]
    with translation.override("en"):
        english = body(call(user, "k1", {"x": 2}, work))["errors"][0]
    assert "different request body" in english["message"]
    assert work.runs == 1


def test_failures_are_not_stored(user: User) -> None:
    work = Work(status=422)
    assert call(user, "k1", {"x": 1}, work).status_code == 422
    assert not IdempotencyRecord.objects.exists()
    work.status = 201
    assert call(user, "k1", {"x": 1}, work).status_code == 201
    assert work.runs == 2


def test_an_exception_in_the_work_leaves_no_record(user: User) -> None:
    def boom() -> Outcome:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        call(user, "k1", {}, boom)
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_scoped_per_user_and_route(user: User, other: User) -> None:
    work = Work()
    call(user, "k1", {}, work)
    call(other, "k1", {}, work)
    call(user, "k1", {}, work, path="/api/v1/others/")
    assert work.runs == 3
    assert IdempotencyRecord.objects.count() == 3


def test_records_expire_after_24_hours(user: User) -> None:
    work = Work()
    call(user, "k1", {"x": 1}, work)
    old = timezone.now() - datetime.timedelta(hours=25)
    IdempotencyRecord.objects.update(created_at=old)
    # An expired key is free again, even with another body.
    assert call(user, "k1", {"x": 2}, work).status_code == 201
    assert work.runs == 2
    assert IdempotencyRecord.objects.get().request_hash == request_digest({"x": 2})


def test_cleanup_deletes_only_old_records(user: User) -> None:
    work = Work()
    call(user, "old", {}, work)
    call(user, "new", {}, work)
    IdempotencyRecord.objects.filter(key="old").update(
        created_at=timezone.now() - datetime.timedelta(hours=24, seconds=1)
    )
    assert idempotency_cleanup() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]


def test_a_duplicate_that_commits_first_is_replayed(
    user: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: our lookup finds nothing, then another request commits the key before
    our insert; the unique constraint turns our insert into a replay."""
    work = Work()
    call(user, "k1", {"x": 1}, work)
    monkeypatch.setattr(idempotency, "_find", lambda *lookup: None)
    response = call(user, "k1", {"x": 1}, work)
    assert response.status_code == 201 and response[REPLAYED_HEADER] == "true"
    assert work.runs == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_once(django_user_model: Any) -> None:
    if connection.vendor == "sqlite":
        pytest.skip("needs a server database: SQLite test databases live in one process")
    user = django_user_model.objects.create_user(username="racer")
    runs: list[int] = []
    start = threading.Barrier(2)
    answers: list[tuple[int, Any]] = []

    def slow_work() -> Outcome:
        runs.append(1)
        threading.Event().wait(0.3)  # hold the reservation while the other one arrives
        return 201, {"done": True}

    def request_once() -> None:
        try:
            start.wait()
            response = call(user, "same", {"x": 1}, slow_work)
            answers.append((response.status_code, body(response)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=request_once) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(runs) == 1
    assert answers == [(201, {"done": True})] * 2
    assert IdempotencyRecord.objects.count() == 1


@pytest.mark.django_db
def test_prune_command_removes_expired_records_only() -> None:
    from io import StringIO

    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    user = get_user_model().objects.create_user(username="device-owner")
    now = timezone.now()
    old = IdempotencyRecord.objects.create(
        user=user, route="POST /api/v1/x", key="old", request_hash="0" * 64,
        status_code=201, response_body={},
    )
    day_old = now - datetime.timedelta(hours=25)
    IdempotencyRecord.objects.filter(pk=old.pk).update(created_at=day_old)
    IdempotencyRecord.objects.create(
        user=user, route="POST /api/v1/x", key="new", request_hash="0" * 64,
        status_code=201, response_body={},
    )
    out = StringIO()
    call_command("prune", stdout=out)
    assert "idempotency records removed: 1" in out.getvalue()
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
