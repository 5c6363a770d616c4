"""The audit tables are append-only at the database (``core.append_only``).

The application never updates or deletes events or checkpoints; the triggers make sure
nobody else does either, short of an administrator who disables them (which the hash
chain, the signed checkpoints and the signer's own record of what it signed then expose).
Each table's triggers are installed by the migration that creates it.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager

from django.db.backends.base.base import BaseDatabaseWrapper

from amanat.core import append_only

EVENT_TABLE = "audit_event"
CHECKPOINT_TABLE = "audit_checkpoint"
APPEND_ONLY_TABLES = (EVENT_TABLE, CHECKPOINT_TABLE)


def install(connection: BaseDatabaseWrapper, table: str = EVENT_TABLE) -> None:
    append_only.install(connection, table)


def remove(connection: BaseDatabaseWrapper, table: str = EVENT_TABLE) -> None:
    append_only.remove(connection, table)


def disabled(connection: BaseDatabaseWrapper, tables: Sequence[str] = APPEND_ONLY_TABLES
             ) -> AbstractContextManager[None]:
    """Switch the audit triggers off for a block: tamper tests and test clean-up only."""
    return append_only.disabled(connection, tables)
