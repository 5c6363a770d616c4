"""Reports are append-only at the database (``core.append_only``): a correction is a new
report pointing at the one it corrects, never an edit in place."""

from __future__ import annotations

from contextlib import AbstractContextManager

from django.db.backends.base.base import BaseDatabaseWrapper

from amanat.core import append_only

REPORT_TABLE = "incidents_report"


def install(connection: BaseDatabaseWrapper) -> None:
    append_only.install(connection, REPORT_TABLE)


def remove(connection: BaseDatabaseWrapper) -> None:
    append_only.remove(connection, REPORT_TABLE)


def disabled(connection: BaseDatabaseWrapper) -> AbstractContextManager[None]:
    """Switch the triggers off for a block: test clean-up only."""
    return append_only.disabled(connection, [REPORT_TABLE])
