"""Append-only tables: triggers by which the database itself refuses UPDATE and DELETE.

Used for the audit log's events and checkpoints and for incident reports: the
application never changes or removes those rows, and these triggers make sure nobody
else does either, short of an administrator who disables them (which the audit hash
chain and signed checkpoints then expose).  TRUNCATE of an *empty* table is allowed on
PostgreSQL because Django's test flush truncates every table at once; an empty table
loses nothing.  Table names come from our models, never from input.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper


def _sqlite(table: str, install: bool) -> list[str]:
    if not install:
        return [f"DROP TRIGGER IF EXISTS {table}_no_update",
                f"DROP TRIGGER IF EXISTS {table}_no_delete"]
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    ]


def _postgres(table: str, install: bool) -> list[str]:
    function = f"{table}_append_only"
    if not install:
        return [f"DROP TRIGGER IF EXISTS {table}_no_update_delete ON {table}",
                f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
                f"DROP FUNCTION IF EXISTS {function}()"]
    return [
        f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'TRUNCATE' AND NOT EXISTS (SELECT 1 FROM {table}) THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,  # noqa: S608 - the table name is ours, never input
        f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    ]


def _statements(connection: BaseDatabaseWrapper, table: str, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _sqlite(table, install)
    if connection.vendor == "postgresql":
        return _postgres(table, install)
    raise NotImplementedError(f"no append-only triggers for {connection.vendor}")


def install(connection: BaseDatabaseWrapper, table: str) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, table, install=True):
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper, table: str) -> None:
    with connection.cursor() as cursor:
        for sql in _statements(connection, table, install=False):
            cursor.execute(sql)


@contextmanager
def disabled(connection: BaseDatabaseWrapper, tables: Sequence[str]) -> Iterator[None]:
    """Switch the triggers off for a block: for tamper tests and test clean-up only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                for table in tables:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    for table in tables:
        remove(connection, table)
    try:
        yield
    finally:
        for table in tables:
            install(connection, table)
