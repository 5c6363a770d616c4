"""Attack review 2 of the national deployment (docs/reviews/2026-12-attack2-scale.md):
the chain head the writer's turn reads once per batch (``audit.services.audit_head_held``)
never outlives the transaction that locked it.  A batch rolled back whole (its commit
failed, or its one ``Together`` group failed after appending) or one whose jobs all
failed before appending must leave nothing that a later batch chains from, even when
another host appended meanwhile: the chain verifies with no gap and no repeated seq."""

from __future__ import annotations

import threading
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import translation

from amanat.audit.models import Event
from amanat.audit.services import (
    audit_chain_problem,
    audit_event,
    audit_held_head,
    audit_lock_head,
    audit_record,
)
from amanat.intake import audit as intake_audit
from amanat.intake import groupcommit
from amanat.intake.groupcommit import GroupCommitter, _Job

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the turn's held head: PostgreSQL (scripts/with-postgres)")


@pytest.fixture
def user(django_user_model: Any) -> Any:
    with transaction.atomic():
        audit_lock_head()  # the head row exists
    return django_user_model.objects.create_user(username="writer", password=None)


def _append(user: Any, n: int) -> int:
    audit_record(action="test.turn", actor=user, object_type="test", object_id=n)
    return n


def _another_host_appends(user: Any, n: int) -> None:
    """Another app host's writer: its own connection, its own transaction."""
    def run() -> None:
        try:
            with transaction.atomic():
                _append(user, n)
        finally:
            connection.close()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)


def _chain_whole(count: int) -> None:
    seqs = list(Event.objects.filter(action="test.turn").order_by("seq")
                .values_list("seq", flat=True))
    assert len(seqs) == count
    every = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert every == list(range(1, len(every) + 1))
    assert audit_chain_problem() is None


def test_a_batch_whose_commit_failed_leaves_no_head_for_the_next(user: Any) -> None:
    first = [_Job(lambda: _append(user, 1)), _Job(lambda: _append(user, 2))]
    with mock.patch.object(connection, "commit", side_effect=DatabaseError("disk full")):
        GroupCommitter().commit_batch(first)
    assert all(isinstance(job.error, DatabaseError) for job in first)
    assert audit_held_head() is None
    _another_host_appends(user, 3)
    later = [_Job(lambda: _append(user, 4))]
    GroupCommitter().commit_batch(later)
    assert later[0].error is None
    _chain_whole(2)


def test_a_batch_whose_jobs_all_failed_before_appending_leaves_no_head(user: Any) -> None:
    """The turn read the head, nobody took it; the batch committed (nothing of it):
    the head it read is stale once another host appends."""
    def refused() -> None:
        raise ValueError("refused before its append")

    GroupCommitter().commit_batch([_Job(refused), _Job(refused)])
    assert audit_held_head() is None
    _another_host_appends(user, 1)
    later = [_Job(lambda: _append(user, 2))]
    GroupCommitter().commit_batch(later)
    assert later[0].error is None
    _chain_whole(2)


def test_a_together_group_that_failed_after_appending_is_redone_from_the_stored_head(
    user: Any,
) -> None:
    """The whole batch is one group, written without a savepoint: its ``write_many``
    took the turn's head and appended, then failed; the batch is rolled back and each
    job runs alone, reading the head again."""
    def write_many(items: list[int]) -> list[int]:
        intake_audit.append_many([audit_event(action="test.turn", actor=user,
                                              object_type="test", object_id=n)
                                  for n in items])
        raise IntegrityError("an idempotency key is taken")

    together = groupcommit.Together  # the group every job offers
    committer = GroupCommitter()
    jobs = [_Job(lambda n=n: _append(user, n), together(write_many, n)) for n in (1, 2, 3)]
    committer.commit_batch(jobs)
    assert [job.result for job in jobs] == [1, 2, 3]
    assert all(job.error is None for job in jobs)
    assert committer.apart == 3
    _another_host_appends(user, 4)
    later = [_Job(lambda: _append(user, 5))]
    committer.commit_batch(later)
    _chain_whole(5)


@pytest.mark.parametrize(("edit", "found"), [
    ("UPDATE audit_chainhead SET last_hash = %s", "does not match its hash chain"),
    ("UPDATE audit_chainhead SET last_seq = last_seq + 3", "expected event"),
])
def test_a_chain_head_edited_on_the_primary_breaks_the_chain_where_it_is_checked(
    user: Any, edit: str, found: str,
) -> None:
    """The turn reads the head it locks and chains from it: a head row edited with SQL
    (an attacker who wants the next events to hide a deletion, say) makes the next
    batch's events fail the verification, not pass it."""
    GroupCommitter().commit_batch([_Job(lambda: _append(user, 1))])
    assert audit_chain_problem() is None
    with connection.cursor() as cursor:
        cursor.execute(edit, ["f" * 64] if "%s" in edit else [])
    later = [_Job(lambda: _append(user, 2))]
    GroupCommitter().commit_batch(later)
    assert later[0].error is None
    with translation.override("en"):
        problem = audit_chain_problem()
    assert problem is not None and found in problem, problem
