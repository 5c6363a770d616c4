"""A batch of the report API's reports, stored with one INSERT each for reports and
audit events by the group-commit writer (README.md).

The checks, the row and the audit event are ``incidents.services.report_prepare``'s, as
for every channel; only how the writer stores a batch of them is the intake's.  A
report that cannot go with the batch (a key or reference taken, an evidence file) goes
through ``incidents.services.report_store`` instead, which handles those cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from amanat.incidents.services import PreparedReport
from amanat.intake import audit, sql


@dataclass(frozen=True)
class Ready:
    """A prepared report with its INSERT values, worked out in the request thread:
    outside the shared write transaction, where time is serial."""

    prepared: PreparedReport
    row: list[Any]


def ready(prepared: PreparedReport) -> Ready:
    return Ready(prepared, sql.row_values(prepared.report))


class NotStoredTogether(Exception):
    """``store_many`` could not store the lot as it is; store each on its own."""


def store_many(items: Sequence[Ready]) -> None:
    """Write many prepared reports (no evidence files) and their events: one INSERT each.

    All or nothing: if a report's key is stored already or a reference number clashes,
    this raises ``NotStoredTogether`` having written nothing that the caller's savepoint
    does not undo.
    """
    if any(item.prepared.evidence for item in items):
        raise NotStoredTogether("evidence files are stored one report at a time")
    with transaction.atomic(savepoint=False):
        reports = [item.prepared.report for item in items]
        if sql.insert_many(reports, match="reference", skip_conflicts=True,
                           rows=[item.row for item in items]) != len(reports):
            raise NotStoredTogether("a key or a reference number is taken")
        for item in items:
            item.prepared.event.object_id = str(item.prepared.report.pk)
        audit.append_many([item.prepared.event for item in items])
