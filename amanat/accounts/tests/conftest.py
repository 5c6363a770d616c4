from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def audit_events(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every event accounts sends to the audit log, in order (still forwarded on)."""
    from amanat.accounts import services

    events: list[dict[str, Any]] = []
    original = services._audit

    def record(**kw: Any) -> None:
        events.append(kw)
        original(**kw)

    monkeypatch.setattr(services, "_audit", record)
    return events


def actions(events: list[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in events]
