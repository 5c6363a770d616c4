"""Append-only triggers for a table: the database refuses UPDATE and DELETE.

The same idea as the audit log's triggers (amanat/audit/triggers.py), which are written
for that one table; this is the generic form for incidents' reports.  TRUNCATE of an
empty table is allowed on PostgreSQL because Django's test flush truncates every table
at once; an empty table loses nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db.backends.base.base import BaseDatabaseWrapper

REPORT_TABLE = "incidents_report"


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


def statements(connection: BaseDatabaseWrapper, table: str, *, install: bool) -> list[str]:
    if connection.vendor == "sqlite":
        return _sqlite(table, install)
    if connection.vendor == "postgresql":
        return _postgres(table, install)
    raise NotImplementedError(f"no append-only triggers for {connection.vendor}")


def install(connection: BaseDatabaseWrapper, table: str = REPORT_TABLE) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection, table, install=True):
            cursor.execute(sql)


def remove(connection: BaseDatabaseWrapper, table: str = REPORT_TABLE) -> None:
    with connection.cursor() as cursor:
        for sql in statements(connection, table, install=False):
            cursor.execute(sql)


@contextmanager
def disabled(connection: BaseDatabaseWrapper, table: str = REPORT_TABLE) -> Iterator[None]:
    """Switch the triggers off for a block: test clean-up only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
        return
    remove(connection, table)
    try:
        yield
    finally:
        install(connection, table)
