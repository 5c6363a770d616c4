"""Django's SQLite backend, except that it closes the cursor of ``BEGIN``.

Why it matters (docs/benchmarks.md, "SMS check-ins through Kannel"): Django starts every
transaction with ``self.cursor().execute("BEGIN IMMEDIATE")`` and never closes that
cursor.  When the ``BEGIN`` fails ("database is locked": another writer held the lock
past the busy timeout), the driver resets the statement, but the reset reports the
step's error and so the statement stays marked in use on the cursor.  Django re-raises
the error from ``DatabaseErrorWrapper.__exit__``, whose frame holds the new exception,
whose traceback holds that frame: a reference cycle, which also holds the frames that
hold the cursor.  Only the cyclic garbage collector frees it, in whichever thread
happens to run it, and freeing the cursor calls ``sqlite3_reset`` on its statement,
which takes the mutex of the cursor's connection.  If that connection's thread is at
that moment inside SQLite's busy handler (holding its mutex, waiting for the write
lock) and the collecting thread is the one holding the write lock, the two wait for
each other until the busy timeout runs out: every transaction of the process stalls
behind it, more ``BEGIN`` fail, and more such cursors pile up.

A closed cursor has no statement left, so the collector frees it without touching
SQLite.  ``amanat serve`` also keeps the collector out of the request threads
altogether (``amanat.core.gcthread``).
"""

from __future__ import annotations

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self) -> None:
        mode = self.transaction_mode  # type: ignore[attr-defined]  # set by get_connection_params
        with self.cursor() as cursor:
            cursor.execute("BEGIN" if mode is None else f"BEGIN {mode}")
