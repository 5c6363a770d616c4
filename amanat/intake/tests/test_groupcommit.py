"""Group commit (amanat/intake/groupcommit.py): one transaction for many requests' writes,
each acknowledged only after that transaction committed."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection

from amanat.core.models import IdempotencyRecord
from amanat.intake import groupcommit
from amanat.intake.groupcommit import GroupCommitter, _Job


def _record(user: Any, key: str) -> IdempotencyRecord:
    return IdempotencyRecord.objects.create(
        user=user, route="POST /test", key=key, request_hash="x", status_code=201,
        response_body={},
    )


def _keys() -> set[str]:
    return set(IdempotencyRecord.objects.values_list("key", flat=True))


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="writer", password=None)


@pytest.mark.django_db
def test_off_or_inside_a_transaction_the_work_runs_inline(user: Any, settings: Any) -> None:
    settings.AMANAT_GROUP_COMMIT = True  # but the test already runs inside a transaction
    committer = GroupCommitter()
    record = committer.run(lambda: _record(user, "inline"))
    assert record.pk and _keys() == {"inline"}
    assert committer.batches == 0
    settings.AMANAT_GROUP_COMMIT = False
    assert not groupcommit.enabled()


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_rolled_back_alone(user: Any) -> None:
    def boom() -> None:
        _record(user, "bad")
        raise ValueError("refused")

    jobs = [_Job(lambda: _record(user, "a")), _Job(boom), _Job(lambda: _record(user, "b"))]
    GroupCommitter().commit_batch(jobs)
    assert all(job.done.is_set() for job in jobs)
    assert isinstance(jobs[1].error, ValueError)
    assert jobs[0].error is None and jobs[2].error is None
    assert _keys() == {"a", "b"}


@pytest.mark.django_db(transaction=True)
def test_when_the_commit_fails_no_job_is_acknowledged(user: Any) -> None:
    jobs = [_Job(lambda: _record(user, "a")), _Job(lambda: _record(user, "b"))]
    with mock.patch.object(connection, "commit", side_effect=DatabaseError("disk full")):
        GroupCommitter().commit_batch(jobs)
    assert all(isinstance(job.error, DatabaseError) for job in jobs)
    assert all(job.done.is_set() for job in jobs)
    assert _keys() == set()


@pytest.fixture
def writer(settings: Any) -> Iterator[GroupCommitter]:
    settings.AMANAT_GROUP_COMMIT = True
    committer = GroupCommitter()
    yield committer
    committer.stop()


@pytest.mark.django_db(transaction=True)
def test_concurrent_callers_share_commits_and_get_their_own_answers(
    user: Any, writer: GroupCommitter
) -> None:
    answers: dict[int, Any] = {}
    gate = threading.Barrier(12)

    def call(n: int) -> None:
        gate.wait()
        try:
            answers[n] = writer.run(lambda: _record(user, f"k{n}").key)
        except Exception as exc:
            answers[n] = exc

    threads = [threading.Thread(target=call, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert answers == {n: f"k{n}" for n in range(12)}
    assert _keys() == {f"k{n}" for n in range(12)}  # committed when run() returned
    assert writer.jobs == 12 and 1 <= writer.batches <= 12


@pytest.mark.django_db(transaction=True)
def test_an_error_reaches_its_caller_only(user: Any, writer: GroupCommitter) -> None:
    with pytest.raises(ValueError, match="refused"):
        writer.run(lambda: (_record(user, "x"), (_ for _ in ()).throw(ValueError("refused"))))
    assert writer.run(lambda: _record(user, "y").key) == "y"
    assert _keys() == {"y"}


def _write_many(calls: list[list[str]]) -> Any:
    def write_many(keys: list[str]) -> list[str]:
        calls.append(keys)
        IdempotencyRecord.objects.bulk_create([
            IdempotencyRecord(user_id=IdempotencyRecord.objects.values_list(
                "user_id", flat=True).first(), route="POST /test", key=key, request_hash="x",
                status_code=201, response_body={}) for key in keys])
        if "clash" in keys:
            raise ValueError("one of these cannot go together")
        return [f"together {key}" for key in keys]
    return write_many


@pytest.mark.django_db(transaction=True)
def test_jobs_together_are_written_in_one_call_and_get_their_own_results(user: Any) -> None:
    _record(user, "seed")
    calls: list[list[str]] = []
    write_many = _write_many(calls)
    jobs = [_Job(lambda n=n: f"alone k{n}", groupcommit.Together(write_many, f"k{n}"))
            for n in range(3)]
    jobs.append(_Job(lambda: _record(user, "single").key))
    committer = GroupCommitter()
    committer.commit_batch(jobs)
    assert calls == [["k0", "k1", "k2"]]
    assert [job.result for job in jobs] == ["together k0", "together k1", "together k2",
                                            "single"]
    assert _keys() == {"seed", "single", "k0", "k1", "k2"}
    assert (committer.together, committer.apart) == (3, 0)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("with_a_single_job", [False, True])
def test_when_together_fails_its_writes_are_undone_and_each_job_runs_alone(
    user: Any, with_a_single_job: bool
) -> None:
    """Whether the group is the whole batch (no savepoint: the batch is redone) or
    shares it with another job (a savepoint), the outcome is the same."""
    _record(user, "seed")
    calls: list[list[str]] = []
    write_many = _write_many(calls)
    jobs = [_Job(lambda key=key: _record(user, f"alone-{key}").key,
                 groupcommit.Together(write_many, key)) for key in ("a", "clash", "b")]
    if with_a_single_job:
        jobs.insert(1, _Job(lambda: _record(user, "single").key))
    committer = GroupCommitter()
    committer.commit_batch(jobs)
    assert calls == [["a", "clash", "b"]]
    assert [job.result for job in jobs if job.together] == ["alone-a", "alone-clash",
                                                             "alone-b"]
    assert all(job.error is None for job in jobs)
    # Nothing of the failed attempt is left: only what each job wrote on its own.
    single = {"single"} if with_a_single_job else set()
    assert _keys() == {"seed", "alone-a", "alone-clash", "alone-b", *single}
    assert (committer.together, committer.apart) == (0, 3)


@pytest.mark.django_db(transaction=True)
def test_the_writer_logs_how_busy_it_is(
    user: Any, writer: GroupCommitter, caplog: pytest.LogCaptureFixture
) -> None:
    writer.load.every = 0.0  # a line after every batch instead of once a minute
    with caplog.at_level(logging.INFO, logger="amanat.intake.groupcommit"):
        assert writer.run(lambda: _record(user, "k1").key) == "k1"
        deadline = time.monotonic() + 5  # the writer logs after waking its caller
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)
    [line] = [r.getMessage() for r in caplog.records]
    assert "1 reports in 1 batches" in line and "held the turn" in line
    assert "ms on a CPU and" in line and "ms waiting for one" in line  # what a turn took
    assert (writer.load.batches, writer.load.jobs) == (0, 0)  # a new window began


def test_the_minute_line_says_how_saturated_the_connection_pool_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Pool:
        def pop_stats(self) -> dict[str, int]:
            return {"pool_size": 8, "pool_max": 14, "pool_available": 3, "requests_num": 900,
                    "requests_queued": 12, "requests_wait_ms": 340, "requests_errors": 1}

    class Connection:
        pool = Pool()

    monkeypatch.setattr(groupcommit, "connections", {"default": Connection()})
    note = groupcommit.pool_saturation()
    assert "8 of 14 open, 3 free, 900 lent, 12 waited (340 ms in all), 1 timed out" in note


def test_without_a_pool_the_minute_line_says_nothing_of_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Connection:  # SQLite's, or PostgreSQL's without AMANAT_DB_POOL
        pool = None

    monkeypatch.setattr(groupcommit, "connections", {"default": Connection()})
    assert groupcommit.pool_saturation() == ""
