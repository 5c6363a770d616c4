"""The intake's audit appends: a batch's events with one look at the chain head and one
INSERT (``audit.services.audit_append`` does one event with the ORM).

The writer of group commit holds the database's write lock while it runs; each
statement there is a moment in which the other processes wait (README.md).  The chain
itself (sequence, time, hashes) is ``audit.services.audit_chain``, the same for both.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction

from amanat.audit.models import ChainHead, Event
from amanat.audit.services import audit_chain, audit_held_head, audit_lock_head
from amanat.intake import sql

HEAD_FOR_UPDATE = "SELECT * FROM audit_chainhead WHERE id = 1 FOR UPDATE"


def _head() -> ChainHead:
    # Locked and read already by the group-commit writer's turn, when this is the
    # batch's first append (``audit_head_held``): not read again.
    head = audit_held_head() or sql.fetch_first(
        ChainHead, HEAD_FOR_UPDATE if connection.features.has_select_for_update
        else "SELECT * FROM audit_chainhead WHERE id = 1"
    )
    # A lost head is recreated from the log by the ordinary path (once, ever).
    return head if head is not None else audit_lock_head()


def append_many(events: Sequence[Event]) -> None:
    """Chain and store events from ``audit.services.audit_event``, in this order, in the
    caller's transaction."""
    if not events:
        return
    with transaction.atomic(savepoint=False):
        audit_chain(events, after=_head())
        sql.insert_many(events, match="seq")
        last = events[-1]
        sql.execute("UPDATE audit_chainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
                    [last.seq, last.hash])
