"""Change notices: how an app tells the apps above it that something they read changed.

Imports point down (docs/decisions/0003-layers.md), so stations and incidents may not
call the atlas, yet the atlas scores stations and their cases and must rescore when they
change.  The lower app announces a typed notice here, inside its transaction; an app
above registers one listener from its ``AppConfig.ready`` and decides what to do (the
atlas enqueues a recompute on commit).  This is not a signal: the notices are a closed
set of dataclasses that mypy checks at both ends, a listener is registered explicitly
and only from ``ready``, and a listener may only schedule work of its own app (business
logic stays in that app's services, which tests and commands call directly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class StationChanged:
    """One station was created, edited or closed, or a case at it changed."""

    station_id: int


@dataclass(frozen=True)
class ElectionStationsChanged:
    """Many stations of one election changed at once (an import, the demo seed)."""

    election_id: int


@dataclass(frozen=True)
class MeetingCreated:
    """A council meeting was created (plans puts overdue measures on its agenda)."""

    meeting_id: int


Change = StationChanged | ElectionStationsChanged | MeetingCreated
Listener = Callable[[Change], None]

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Register ``listener`` for every notice (once; ``ready`` may run more than once)."""
    if listener not in _listeners:
        _listeners.append(listener)


def announce(change: Change) -> None:
    """Tell every listener; call inside the transaction that made the change."""
    for listener in _listeners:
        listener(change)
