"""The group-commit writer's connection dies in the middle of a batch: every request of
the batch is answered 503 with ``Retry-After`` and the API's error body, never a 500.

What the failover drill (``test_failover.py``) once saw under load: the primary killed
while a batch held a token's ``last_used_at`` mark and another device's report.  The
mark failed on the dead connection and its savepoint could not be rolled back, which
leaves Django's transaction marked for rollback; the writer went on with the report,
whose statements Django refused with ``TransactionManagementError`` ("An error occurred
in the current transaction…"), an error that says nothing of the lost connection: a 500
(with a chunked body, as the API's error middleware sits above Django's Content-Length).

Here the batch is made deterministically (the writer is held until both jobs are
queued) and the connection is broken at the mark, through the public endpoint.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import OperationalError, connections
from django.utils import timezone

from amanat.accounts.models import ApiToken
from amanat.accounts.services import api_token_issue
from amanat.audit.services import audit_chain_problem
from amanat.core.models import IdempotencyRecord
from amanat.incidents.models import Report
from amanat.intake import audit as intake_audit
from amanat.intake import auth, groupcommit
from amanat.intake.tests.conftest import Answer, World, post_report, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]

BODY = {"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"}


def _lose_the_connection() -> None:
    """What the writer meets when the database server dies under it: the statement fails
    with a connection error and the connection is unusable afterwards (so the job's
    savepoint cannot be rolled back)."""
    database = connections["default"]
    if database.vendor == "postgresql":
        # The backend ends itself: the client sees the server close the connection.
        with database.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        raise AssertionError("the backend survived its own termination")
    database.connection.close()  # every later statement on it fails
    lost = sqlite3.OperationalError("disk I/O error")
    lost.sqlite_errorcode = 10  # type: ignore[attr-defined]  # SQLITE_IOERR
    with database.wrap_database_errors:
        raise lost


@pytest.fixture
def one_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[int]]]:
    """Hold the writer's first batch until ``more[0]`` more jobs are queued; the event
    is set once the writer holds the first job."""
    holding = threading.Event()
    more = [1]
    original = groupcommit._writers_take_turns
    held = [False]

    @contextlib.contextmanager
    def hold_then_take(alias: str) -> Iterator[None]:
        if not held[0]:
            held[0] = True
            holding.set()
            for _ in range(3000):  # up to 30 s
                if groupcommit.committer._queue.qsize() >= more[0]:
                    break
                threading.Event().wait(0.01)
        with original(alias):
            yield

    monkeypatch.setattr(groupcommit, "_writers_take_turns", hold_then_take)
    yield holding, more


def _in_thread(call: Callable[[], Answer], answers: dict[str, Answer], name: str
               ) -> threading.Thread:
    def run() -> None:
        try:
            answers[name] = call()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _assert_unavailable(answer: Answer) -> None:
    assert answer.status == 503, answer.content
    assert answer.header("Retry-After") == "30"
    assert answer.header("Content-Type") == "application/json"
    assert answer.header("Content-Length") == str(len(answer.content))
    body = answer.json()
    assert body["errors"][0]["code"] in {"unreachable", "io_error"}, body


def test_a_connection_lost_mid_batch_is_503_for_every_request_of_the_batch(
    world: World, one_batch: tuple[threading.Event, list[int]],
    monkeypatch: pytest.MonkeyPatch
) -> None:
    inspector = world.personas.inspector
    stale = [token_for(inspector), token_for(inspector)]  # never used: their first call marks
    used, fresh = api_token_issue(user=inspector, name="used", ttl_days=1, actor=inspector)
    ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now())  # no mark due
    marks: list[int] = []
    mark_used = auth._mark_used

    def mark_and_lose(token_id: int, now: Any) -> None:
        marks.append(token_id)
        if len(marks) == 1:
            _lose_the_connection()
        mark_used(token_id, now)

    monkeypatch.setattr(auth, "_mark_used", mark_and_lose)
    holding, more = one_batch
    more[0] = 2
    calls = {"lost": (stale[0], BODY, "key-a"),
             "marked": (stale[1], {**BODY, "text": "گزارش دوم"}, "key-b"),
             "report": (fresh, {**BODY, "text": "گزارش سوم"}, "key-c")}
    answers: dict[str, Answer] = {}
    threads = [_in_thread(lambda: post_report(*calls["lost"]), answers, "lost")]
    assert holding.wait(30)  # the writer holds that mark: the others join its batch
    threads += [_in_thread(lambda name=name: post_report(*calls[name]), answers, name)
                for name in ("marked", "report")]
    for thread in threads:
        thread.join(60)

    _assert_unavailable(answers["lost"])
    # Both were 500s: the writer went on in the lost transaction (the mark's plain SQL
    # on PostgreSQL, the report on SQLite).
    _assert_unavailable(answers["marked"])
    _assert_unavailable(answers["report"])
    # One batch: the two marks (the lost one first, as queued) and the report (the
    # fresh token needed no mark); nothing ran after the loss.
    assert len(marks) == 1
    assert Report.objects.count() == 0 and IdempotencyRecord.objects.count() == 0
    assert ApiToken.objects.filter(last_used_at__isnull=False).count() == 1

    # Sent again with their keys once the database is back: each stored once.
    database = connections["default"]
    if database.vendor == "sqlite" and database.is_in_memory_db():  # type: ignore[attr-defined]
        # Django never closes an in-memory database's connection (it would lose the
        # database), so the writer would keep the closed one: a new writer, a new one.
        groupcommit.committer.stop()
    again = [post_report(*calls[name]) for name in ("lost", "marked", "report")]
    assert [answer.status for answer in again] == [201, 201, 201]
    assert Report.objects.count() == 3
    assert audit_chain_problem() is None


def test_reports_stored_one_by_one_after_their_batch_was_lost_take_keys_of_their_own(
    world: World, one_batch: tuple[threading.Event, list[int]],
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    """The failover drill's rare 500: a batch's reports were inserted together (each
    instance given the key the INSERT returned), then the connection died before the
    batch's audit events went in.  The writer rolled back and stored each report on its
    own, on a new connection (to the promoted standby), but the instances still carried
    the keys of the lost transaction: the promoted standby's sequence, which had not
    seen them, gave them to another server's reports meanwhile, and each retry's INSERT
    met its own stale key five times (``IntegrityError``: a 500)."""
    inspector = world.personas.inspector
    used, fresh = api_token_issue(user=inspector, name="used", ttl_days=1, actor=inspector)
    ApiToken.objects.filter(pk=used.pk).update(last_used_at=timezone.now())  # no mark due
    settings.AMANAT_GROUP_COMMIT = False  # stored inline: the writer's first batch is held
    first = post_report(fresh, BODY, "key-0")
    settings.AMANAT_GROUP_COMMIT = True
    assert first.status == 201, first.content
    existing = Report.objects.get()

    lost: list[int] = []  # the reports' keys in the lost transaction
    append_many = intake_audit.append_many

    def lose_after_the_reports(events: Any) -> None:
        if not lost:
            lost.extend(int(event.object_id) for event in events)
            raise OperationalError("server closed the connection unexpectedly")
        append_many(events)

    transaction_ = groupcommit.GroupCommitter._transaction

    def taken_meanwhile(self: groupcommit.GroupCommitter, jobs: Any, whole: Any,
                        alone: bool = False, collect: Any = None) -> None:
        if alone:  # another app server's reports got those keys from the new primary
            for pk in lost:
                other = Report.objects.get(pk=existing.pk)
                other.pk, other.reference, other.client_key = pk, f"R-X{pk}", f"x:{pk}"
                other.save(force_insert=True)
        transaction_(self, jobs, whole, alone=alone, collect=collect)

    monkeypatch.setattr(intake_audit, "append_many", lose_after_the_reports)
    monkeypatch.setattr(groupcommit.GroupCommitter, "_transaction", taken_meanwhile)
    holding, more = one_batch
    more[0] = 1
    calls = {"a": (fresh, {**BODY, "text": "گزارش دوم"}, "key-a"),
             "b": (fresh, {**BODY, "text": "گزارش سوم"}, "key-b")}
    answers: dict[str, Answer] = {}
    threads = [_in_thread(lambda: post_report(*calls["a"]), answers, "a")]
    assert holding.wait(30)  # the writer holds the first report: the second joins it
    threads.append(_in_thread(lambda: post_report(*calls["b"]), answers, "b"))
    for thread in threads:
        thread.join(60)

    assert len(lost) == 2  # one batch, both reports in it
    assert [answers[name].status for name in ("a", "b")] == [201, 201], answers
    for name in ("a", "b"):
        stored = Report.objects.get(reference=answers[name].json()["reference"])
        assert stored.pk not in lost
        assert stored.text == calls[name][1]["text"]
    assert Report.objects.count() == 5  # the first, the other server's two, these two
    assert audit_chain_problem() is None
