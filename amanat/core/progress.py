"""Progress of long command-line work on the terminal: a bar, a count and an estimate of
the time left (rich), written to standard error so that output meant for files or pipes
stays clean.  Off a terminal, rich prints nothing but the final state."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator, Sequence
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")


def progress_bar(*, console: Console | None = None) -> Progress:
    """The project's bar: what, bar, n of N, per cent, elapsed, estimated time left."""
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TaskProgressColumn(), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console or Console(file=sys.stderr),
    )


def track(items: Sequence[T] | Iterable[T], description: str, *, total: int | None = None,
          console: Console | None = None) -> Iterator[T]:
    """Yield ``items``, advancing a bar with an estimate of the time left."""
    if total is None and isinstance(items, Sequence):
        total = len(items)
    with progress_bar(console=console) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)
