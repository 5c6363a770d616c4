from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _failure_window_of_a_day(settings: Any) -> None:
    """Failed attempts are counted in windows aligned to the clock (15 minutes in
    production): a test's attempts that straddled a boundary would count as two windows
    on a slow machine.  A day-long window makes that a midnight-only event; tests that
    need a closed window move it back themselves."""
    settings.AMANAT_FAILURE_AUDIT_WINDOW = datetime.timedelta(days=1)


def actions(events: Sequence[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in events]
