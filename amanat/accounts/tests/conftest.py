from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def actions(events: Sequence[dict[str, Any]]) -> list[str]:
    return [e["action"] for e in events]
