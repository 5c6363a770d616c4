from __future__ import annotations

from typing import Any

import pytest

from amanat.accounts.testing import Personas, make_personas


@pytest.fixture
def personas(small_geo: Any) -> Personas:
    """The named personas on the root conftest's small geography."""
    return make_personas(small_geo)


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
