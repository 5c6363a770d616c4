"""Subtree filters on materialised paths that use an index on every database.

``path__startswith`` becomes ``LIKE 'prefix%'``: PostgreSQL serves it from a
pattern-ops index, but SQLite's LIKE is case-insensitive and so never uses an index.
On SQLite the same subtree is a range on the binary collation, which does.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string that starts with ``prefix``.

    Paths are ASCII and end with "/", so bumping the last character is exact.
    """
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def under(field: str, prefix: str) -> Q:
    """Rows whose ``field`` (a materialised path) lies in the subtree ``prefix``."""
    if connection.vendor == "sqlite":
        return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix_upper_bound(prefix)})
    return Q(**{f"{field}__startswith": prefix})
