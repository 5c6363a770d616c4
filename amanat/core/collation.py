"""Ordering Persian text by the Persian alphabet in the database.

``persian("name")`` is an ordering expression (``COLLATE "fa_ir"``) that both databases
understand: PostgreSQL has the ICU collation ``fa_ir`` (created by the migration
``core.0002_persian_collation``); SQLite gets a collation of the same name on every new
connection, backed by ICU through PyICU (``lib.collation``).  So one queryset orders the
same way on both.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.db.models.expressions import OrderBy
from django.db.models.functions import Collate

from amanat.lib.collation import persian_compare

PERSIAN_COLLATION = "fa_ir"


def persian(field: str, *, descending: bool = False) -> OrderBy:
    """Order by ``field`` (a text column) in Persian alphabetical order."""
    expression = Collate(F(field), PERSIAN_COLLATION)
    return expression.desc() if descending else expression.asc()


def register_sqlite_collation(sender: Any, connection: BaseDatabaseWrapper,
                              **kwargs: Any) -> None:
    """``connection_created`` receiver: give each SQLite connection the fa_ir collation."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(PERSIAN_COLLATION, persian_compare)
