from __future__ import annotations

from collections.abc import Sequence
from typing import Any, overload

import pytest
from django.db.models import Max

from amanat.audit.models import Event


class AuditEvents(Sequence[dict[str, Any]]):
    """The audit events stored since the fixture started, oldest first, read from the log."""

    def __init__(self) -> None:
        self.after = Event.objects.aggregate(last=Max("seq"))["last"] or 0

    def _rows(self) -> list[dict[str, Any]]:
        return list(Event.objects.filter(seq__gt=self.after).order_by("seq").values(
            "action", "actor_id", "actor_name", "object_type", "object_id", "before",
            "after", "extra"))

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._rows()[index]

    def __len__(self) -> int:
        return len(self._rows())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and self._rows() == other

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture
def audit_events(db: None) -> AuditEvents:
    """Every event recorded from here on, in order."""
    return AuditEvents()


def actions(events: Sequence[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in events]
