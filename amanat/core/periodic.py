"""Commands that run a pass over and over (``--loop SECONDS``): the election-day watch and
the tables' reconciliation.  One loop for both, so they fail and recover the same way."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import NoReturn

from django.core.management.base import CommandError
from django.db import DatabaseError

log = logging.getLogger("amanat.operations")


def loop_seconds(value: int | None) -> int | None:
    """The ``--loop`` option checked: None (run once) or a whole number of seconds ≥ 1."""
    if value is not None and value < 1:
        raise CommandError("--loop needs a number of seconds of at least 1")
    return value


def run_every(seconds: int, run: Callable[[], object], *, name: str) -> NoReturn:
    """Run ``run`` every ``seconds`` seconds (from the start of one run to the next) until
    the process is stopped.  A run that fails on the database (locked, briefly
    unreachable, failing over) is logged and the next one tries again."""
    while True:
        started = time.monotonic()
        try:
            run()
        except DatabaseError:
            log.exception("%s: run failed, retrying in %s s", name, seconds)
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
