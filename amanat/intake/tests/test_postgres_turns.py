"""PostgreSQL: how the group-commit writers of several processes and app hosts take
turns (amanat/intake/groupcommit.py, ``_take_the_turn``), and the token's last-used
mark that must never make a writer wait (amanat/intake/auth.py, ``_mark_used``).

Another "host" is another connection that holds a row lock in its own transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from amanat.accounts.models import ApiToken
from amanat.audit.models import ChainHead, Event
from amanat.audit.services import (
    audit_chain_problem,
    audit_event,
    audit_lock_head,
    audit_record,
)
from amanat.core.models import IdempotencyRecord
from amanat.intake import audit as intake_audit
from amanat.intake import auth, groupcommit
from amanat.intake.tests.conftest import token_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between hosts: PostgreSQL (scripts/with-postgres)")


def _until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition``, bounded (no timing is asserted)."""
    for _ in range(600):
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("the condition did not come true in 30 s")


class OtherHost:
    """A transaction on a connection of its own that holds a row lock until released."""

    def __init__(self, lock: Callable[[], Any]) -> None:
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(lock,))

    def _run(self, lock: Callable[[], Any]) -> None:
        try:
            with transaction.atomic():
                lock()
                self.held.set()
                self.release.wait(30)
        finally:
            connection.close()

    def __enter__(self) -> OtherHost:
        self.thread.start()
        assert self.held.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(30)


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="writer", password=None)


@pytest.fixture
def committer(settings: Any) -> Iterator[groupcommit.GroupCommitter]:
    settings.AMANAT_GROUP_COMMIT = True
    committer = groupcommit.GroupCommitter()
    yield committer
    committer.stop()


def _a_writer_waits_for_the_head() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                       " AND query LIKE '%%audit_chainhead%%'")
        return bool(cursor.fetchone()[0])


def test_jobs_queued_while_another_host_holds_the_turn_join_one_batch(
    user: Any, committer: groupcommit.GroupCommitter,
) -> None:
    with transaction.atomic():
        audit_lock_head()  # the head row exists (created with the first event)
    done: list[Any] = []

    def submit(key: str) -> threading.Thread:
        def work() -> IdempotencyRecord:
            return IdempotencyRecord.objects.create(
                user=user, route="POST /test", key=key, request_hash="x", status_code=201,
                response_body={})

        thread = threading.Thread(target=lambda: done.append(committer.run(work)))
        thread.start()
        return thread

    with OtherHost(lambda: ChainHead.objects.select_for_update().get(pk=1)):
        # The writer takes the first job and waits for the turn (the head's lock)...
        threads = [submit("first")]
        _until(_a_writer_waits_for_the_head)
        # ... and what is queued meanwhile waits to join its batch.
        threads += [submit(f"later-{n}") for n in range(4)]
        _until(lambda: committer._queue.qsize() == 4)
        assert done == []  # nothing acknowledged while the other host holds the turn
    for thread in threads:
        thread.join(30)
    assert len(done) == 5
    assert committer.batches == 1 and committer.jobs == 5  # one transaction, one commit
    assert set(IdempotencyRecord.objects.values_list("key", flat=True)) == {
        "first", *(f"later-{n}" for n in range(4))}


def test_marking_a_token_used_skips_a_row_another_transaction_holds(user: Any) -> None:
    plaintext = token_for(user)
    token = auth.token_authenticate(plaintext)  # marks it used (autocommit: inline)
    assert token is not None and token.last_used_at is not None
    first = token.last_used_at
    later = first + (auth.LAST_USED_EVERY * 2)
    marked = threading.Event()

    def mark() -> None:
        try:
            auth._mark_used(token.pk, later)
            marked.set()
        finally:
            connection.close()

    with OtherHost(lambda: ApiToken.objects.select_for_update().get(pk=token.pk)):
        thread = threading.Thread(target=mark)
        thread.start()
        thread.join(30)
        # Did not wait for the other transaction (two writers' batches marking two
        # tokens in opposite orders deadlocked: one batch failed with a 500 each).
        assert marked.is_set()
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first  # skipped
    auth._mark_used(token.pk, later)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == later
    assert timezone.is_aware(later)


def test_the_turns_head_serves_one_appender_and_the_chain_holds(
    user: Any, committer: groupcommit.GroupCommitter,
) -> None:
    """The turn reads the head it locks and hands it to the batch's first audit append
    (``audit.services.audit_head_held``); whoever comes after reads the row again.  A
    job whose append is rolled back with its savepoint, the ORM's appends and the
    intake's ``append_many`` in one batch: the chain verifies, and what was rolled back
    left no gap."""
    with transaction.atomic():
        audit_lock_head()
    before = Event.objects.count()
    done: list[Any] = []

    def orm_append(n: int, fail: bool) -> Any:
        audit_record(action="test.turn", actor=user, object_type="test", object_id=n)
        if fail:
            raise RuntimeError("rolled back after its append")
        return n

    def intake_append(n: int) -> Any:
        intake_audit.append_many([audit_event(action="test.turn", actor=user,
                                              object_type="test", object_id=n)])
        return n

    def submit(work: Callable[[], Any]) -> threading.Thread:
        def run() -> None:
            try:
                done.append(committer.run(work))
            except RuntimeError:
                done.append("failed")
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    with OtherHost(lambda: ChainHead.objects.select_for_update().get(pk=1)):
        threads = [submit(lambda: orm_append(0, True))]  # takes the turn's head, undone
        _until(_a_writer_waits_for_the_head)
        threads += [submit(lambda: intake_append(1)), submit(lambda: orm_append(2, False)),
                    submit(lambda: intake_append(3))]
        _until(lambda: committer._queue.qsize() == 3)
    for thread in threads:
        thread.join(30)
    assert sorted(map(str, done)) == ["1", "2", "3", "failed"]
    assert committer.batches == 1
    assert Event.objects.count() == before + 3
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert audit_chain_problem() is None
