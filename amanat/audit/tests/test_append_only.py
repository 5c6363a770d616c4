"""The database itself refuses to change or remove audit events."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from amanat.audit.models import Event


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
    from amanat.audit.services import audit_chain_problem, audit_record

    _refused(lambda: Event.objects.filter(seq=1).delete())
    assert audit_record(action="after.refusal").seq == 9
    assert audit_chain_problem() is None
