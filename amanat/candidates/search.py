"""Text search over the candidacies' ``search_text``: a trigram index on each database.

The staff list's text filter is "the search key occurs in ``search_text``" (first and last
name, national ID and tracking code, as one search key). Without an index every national
search read the ``search_text`` of every candidacy of the election (300,000 index entries
for one page's count). A trigram index finds the rows holding a substring of three or
more characters directly:

* **SQLite**: an FTS5 table with the ``trigram`` tokenizer over ``search_text``
  (``candidates_candidacy_fts``, external content: it stores the index, not a copy of
  the text), kept up to date by triggers on ``candidates_candidacy``. A phrase query
  ``"key"`` matches the rows whose text contains ``key``, the same rows as ``instr``.
* **PostgreSQL**: ``pg_trgm``'s GIN index on ``search_text``, which serves
  ``LIKE '%key%'``.

Keys of one or two characters have no trigram: they are matched by a scan, as before.

SQLite drops a table's triggers when Django rebuilds the table (an ``ALTER`` it cannot do
in place), so ``ensure`` runs after every ``migrate`` (``apps.py``) and re-creates what is
missing, rebuilding the index from the table when its triggers had gone.
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Q, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan

FTS = "candidates_candidacy_fts"
TRIGRAM = 3  # the shortest key a trigram index can find

# The statements name our own tables, never input (written out, not formatted).
_CREATE = ("CREATE VIRTUAL TABLE IF NOT EXISTS candidates_candidacy_fts USING fts5("
           "search_text, content='candidates_candidacy', content_rowid='id', "
           "tokenize='trigram')")
_TRIGGERS = {
    "candidates_candidacy_fts_ai":
        "CREATE TRIGGER IF NOT EXISTS candidates_candidacy_fts_ai "
        "AFTER INSERT ON candidates_candidacy BEGIN "
        "INSERT INTO candidates_candidacy_fts(rowid, search_text) "
        "VALUES (new.id, new.search_text); END",
    "candidates_candidacy_fts_ad":
        "CREATE TRIGGER IF NOT EXISTS candidates_candidacy_fts_ad "
        "AFTER DELETE ON candidates_candidacy BEGIN "
        "INSERT INTO candidates_candidacy_fts(candidates_candidacy_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); END",
    "candidates_candidacy_fts_au":
        "CREATE TRIGGER IF NOT EXISTS candidates_candidacy_fts_au "
        "AFTER UPDATE OF search_text ON candidates_candidacy BEGIN "
        "INSERT INTO candidates_candidacy_fts(candidates_candidacy_fts, rowid, search_text) "
        "VALUES ('delete', old.id, old.search_text); "
        "INSERT INTO candidates_candidacy_fts(rowid, search_text) "
        "VALUES (new.id, new.search_text); END",
}
_REBUILD = "INSERT INTO candidates_candidacy_fts(candidates_candidacy_fts) VALUES ('rebuild')"
_MATCH = ('"candidates_candidacy"."id" IN (SELECT rowid FROM candidates_candidacy_fts '
          "WHERE candidates_candidacy_fts MATCH %s)")


def ensure(db: BaseDatabaseWrapper) -> None:
    """Create the index (and on SQLite its triggers) if missing; idempotent."""
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') "
                           "AND name IN (%s, %s, %s, %s)", [FTS, *_TRIGGERS])
            if {row[0] for row in cursor.fetchall()} == {FTS, *_TRIGGERS}:
                return
            cursor.execute(_CREATE)
            for statement in _TRIGGERS.values():
                cursor.execute(statement)
            # Rows written while a trigger was missing: read the table again.
            cursor.execute(_REBUILD)
        elif db.vendor == "postgresql":
            cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            cursor.execute("CREATE INDEX IF NOT EXISTS candidates_candidacy_search_trgm "
                           "ON candidates_candidacy USING gin (search_text gin_trgm_ops)")


def drop(db: BaseDatabaseWrapper) -> None:
    with db.cursor() as cursor:
        if db.vendor == "sqlite":
            for name in _TRIGGERS:
                cursor.execute("DROP TRIGGER IF EXISTS " + name)
            cursor.execute("DROP TABLE IF EXISTS candidates_candidacy_fts")
        elif db.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS candidates_candidacy_search_trgm")


def contains(key: str, *, indexed: bool = True) -> Any:
    """The condition "``key`` occurs in ``search_text``" (``key`` a search key).

    ``indexed``: through the trigram index (the rows holding the key are found, then
    filtered and sorted: best when they are few). ``indexed=False`` tests each row read
    (best when the rows are read anyway: a county's range, or an index walked in the
    list's order that stops at the first page). The same rows either way.
    """
    if indexed and connection.vendor == "postgresql":
        # LIKE '%key%' (escaped by Django): the trigram index serves it (any length: the
        # planner decides whether the index pays).
        return Q(search_text__contains=key)
    if indexed and connection.vendor == "sqlite" and len(key) >= TRIGRAM:
        phrase = '"' + key.replace('"', '""') + '"'
        return RawSQL(_MATCH, [phrase], output_field=BooleanField())  # noqa: S611
    # ``instr``/``strpos``: no index can serve it, so the database walks the index it
    # chose for the other conditions and the order, testing each row (and, unlike
    # ``LIKE '%key%'``, no escaping, a third of the cost per row on SQLite).
    return GreaterThan(StrIndex("search_text", Value(key)), 0)
