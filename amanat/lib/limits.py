"""The ranges whole numbers from people and devices must fall in, Django-free.

A number is checked before it is stored or put into a query: a value that does not fit
its column fails inside the database driver (SQLite raises OverflowError past 64 bits,
PostgreSQL "out of range" past its column's width), which a view only sees as a 500.
The limits are PostgreSQL's, the narrower of the two databases, so that SQLite (used in
development) refuses what production would refuse.
"""

from __future__ import annotations

import re

from amanat.lib.persian import to_ascii_digits

# PostgreSQL column widths of Django's integer fields.
SMALLINT_MAX = 2**15 - 1  # SmallIntegerField, PositiveSmallIntegerField
INT_MAX = 2**31 - 1  # IntegerField, PositiveIntegerField
BIGINT_MAX = 2**63 - 1  # BigIntegerField, BigAutoField (every id: DEFAULT_AUTO_FIELD)
ID_MAX = BIGINT_MAX

_ID_RE = re.compile(r"^\s*\+?(\d{1,19})\s*$")


def parse_id(value: object) -> int | None:
    """A database id as typed into a query string, a form or a JSON body, else None.

    Ids are whole numbers from 1 to ``ID_MAX``; ``"07"``, ``"۷"`` and ``7`` are read as 7;
    anything else (negative, too large, ``"7.0"``, ``True``) is no id at all, so the
    caller answers "not found" or "not a valid choice" without asking the database.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        match = _ID_RE.match(to_ascii_digits(value))
        if match is None:
            return None
        number = int(match[1])
    else:
        return None
    return number if 1 <= number <= ID_MAX else None
