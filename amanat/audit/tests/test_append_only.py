"""The database itself refuses to change or remove audit events and checkpoints."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from amanat.audit.models import Checkpoint, Event
from amanat.audit.services import audit_checkpoint_create, audit_record


def _state() -> list[tuple]:
    return list(Event.objects.order_by("seq").values_list("seq", "action", "after", "hash"))


def _refused(operation) -> None:
    # A savepoint per attempt: on PostgreSQL a failed statement poisons the transaction.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        operation()


def _raw(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def test_orm_cannot_change_or_delete_events(populated):
    before = _state()
    event = Event.objects.get(seq=4)
    event.action = "forged"

    _refused(event.save)
    _refused(lambda: Event.objects.get(seq=4).delete())
    _refused(lambda: Event.objects.filter(seq__gte=2).update(action="forged"))
    _refused(lambda: Event.objects.filter(seq=5).delete())
    _refused(lambda: Event.objects.all().delete())

    assert _state() == before


def test_raw_sql_cannot_change_or_delete_events(populated):
    before = _state()
    _refused(lambda: _raw("UPDATE audit_event SET action = 'forged' WHERE seq = 3"))
    _refused(lambda: _raw("DELETE FROM audit_event WHERE seq = 8"))
    _refused(lambda: _raw("DELETE FROM audit_event"))
    assert _state() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL only")
def test_truncate_is_refused_on_postgresql(populated):
    before = _state()
    _refused(lambda: _raw("TRUNCATE audit_event"))
    _refused(lambda: _raw("TRUNCATE audit_event, audit_chainhead"))
    assert _state() == before


def test_appending_still_works_after_refusals(populated):
    from amanat.audit.services import audit_chain_problem

    _refused(lambda: Event.objects.filter(seq=1).delete())
    assert audit_record(action="after.refusal").seq == 9
    assert audit_chain_problem() is None


# --- checkpoints ----------------------------------------------------------------------------


def _checkpoints() -> list[tuple]:
    return list(Checkpoint.objects.order_by("pk").values_list("size", "root", "text"))


@pytest.fixture
def checkpointed(populated, signing_key) -> Checkpoint:
    return audit_checkpoint_create()


def test_checkpoints_cannot_be_changed_or_deleted(checkpointed):
    """Deleting the rows was step two of signing a rewritten history (issue 11)."""
    before = _checkpoints()
    checkpointed.root = "0" * 64

    _refused(checkpointed.save)
    _refused(checkpointed.delete)
    _refused(lambda: Checkpoint.objects.update(size=1))
    _refused(lambda: Checkpoint.objects.all().delete())
    _refused(lambda: _raw("UPDATE audit_checkpoint SET size = 1"))
    _refused(lambda: _raw("DELETE FROM audit_checkpoint"))

    assert _checkpoints() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL only")
def test_checkpoint_truncate_is_refused_on_postgresql(checkpointed):
    before = _checkpoints()
    _refused(lambda: _raw("TRUNCATE audit_checkpoint"))
    assert _checkpoints() == before


def test_new_checkpoints_are_still_appended(checkpointed):
    audit_record(action="after.checkpoint")
    assert audit_checkpoint_create().size == 9
    assert list(Checkpoint.objects.order_by("size").values_list("size", flat=True)) == [8, 9]
