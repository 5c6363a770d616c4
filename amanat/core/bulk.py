"""Bulk writes of many rows of one model: the one way outside the election-day hot path.

Used where tens of thousands of rows go in at once (geography import, station import
and demo, atlas recompute).  Django's ``bulk_create`` spends most of its time building
a model instance per row and compiling SQL for batches that SQLite caps at 999
parameters; ``bulk_update``'s CASE chains are slower still.  Here the statement is built
once from the model's own metadata for the named fields, values are adapted only where
the field needs it (dates, datetimes, JSON, decimals, UUIDs), and the rows run through
``executemany`` (SQLite) or ``COPY`` (PostgreSQL).

Rows are plain sequences in the order of ``fields``; model field names (``county`` or
``county_id`` for a foreign key) name the columns.  Fields named in ``ready`` already hold
database values (JSON text serialised once for many rows, a time stamp adapted once).
No signals run and no audit entry is written: the calling service does that once for the
whole write.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from itertools import islice
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models

BATCH = 5000
# PostgreSQL plans from statistics that only ANALYZE (or autovacuum, a minute or more
# later) gathers: right after a load of this many rows the planner still thinks the
# table nearly empty, and picked a scan of every station of the election to find one
# (docs/benchmarks.md, "PostgreSQL: the intake's result columns").
ANALYZE_AFTER = 1000
# Field types whose Python values the driver cannot take as they are.
_ADAPTED = frozenset({"DateField", "DateTimeField", "TimeField", "JSONField", "DecimalField",
                      "UUIDField"})

Row = Sequence[Any]


def _field(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    try:
        # A column whose own name ends in "_id" (``national_id``) is found as it is; a
        # foreign key's ``county_id`` by its field ``county``.
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = model._meta.get_field(name.removesuffix("_id"))
    if not isinstance(field, models.Field) or field.column is None:
        raise ValueError(f"{model.__name__}.{name} is not a column")
    return field


def _preparer(fields: list[models.Field[Any, Any]], ready: Collection[str]
              ) -> Callable[[Row], list[Any]]:
    """Turn a row of Python values into database values, touching only fields that need it."""
    adapted = [(i, f) for i, f in enumerate(fields)
               if f.get_internal_type() in _ADAPTED and f.name not in ready
               and f.attname not in ready]

    def prepare(row: Row) -> list[Any]:
        values = list(row)
        for i, field in adapted:
            values[i] = field.get_db_prep_save(values[i], connection)
        return values

    return prepare


def _batches(rows: Iterable[Row], size: int) -> Iterable[list[Row]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[Row], *,
                ready: Collection[str] = ()) -> int:
    """INSERT ``rows`` (values in ``fields`` order) into ``model``'s table; returns the count."""
    columns = [_field(model, name) for name in fields]
    prepare = _preparer(columns, ready)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(str(f.column)) for f in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY streams the rows in one command; identifiers come from the model.
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepare(row))
                    count += 1
            if count >= ANALYZE_AFTER:
                cursor.execute(f"ANALYZE {table}")
            return count
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        for batch in _batches(rows, BATCH):
            cursor.executemany(sql, [prepare(row) for row in batch])
            count += len(batch)
    return count


def update_rows(model: type[models.Model], fields: Sequence[str],
                rows: Iterable[tuple[int, Row]], *, ready: Collection[str] = ()) -> int:
    """UPDATE ``fields`` of each ``(pk, values)`` row; returns the number of rows sent."""
    columns = [_field(model, name) for name in fields]
    prepare = _preparer(columns, ready)
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(str(f.column))} = %s" for f in columns)
    pk = quote(str(model._meta.pk.column))
    sql = (f"UPDATE {quote(model._meta.db_table)} SET {assignments} "  # noqa: S608
           f"WHERE {pk} = %s")
    count = 0
    with connection.cursor() as cursor:
        for batch in _batches(rows, BATCH):
            cursor.executemany(sql, [[*prepare(values), key] for key, values in batch])
            count += len(batch)
    return count
