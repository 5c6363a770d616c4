"""Test helpers for other apps' transactional tests.

Django's test flush deletes (SQLite) or truncates (PostgreSQL) every table, which the
append-only triggers refuse once events exist. A TransactionTestCase / ``transactional_db``
test that writes audit events should call :func:`wipe_audit_log` in its teardown, e.g.::

    @pytest.fixture
    def audited_transactional_db(transactional_db):
        yield
        wipe_audit_log()
"""

from __future__ import annotations

from django.db import connection

from amanat.audit import triggers
from amanat.audit.models import Checkpoint, Event


def wipe_audit_log() -> None:
    """Remove every event and checkpoint, switching the triggers off for the moment."""
    with triggers.disabled(connection):
        Event.objects.all().delete()
    Checkpoint.objects.all().delete()
