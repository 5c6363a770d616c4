"""``--loop``: a run that fails on the database is logged and the next one runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError

from amanat.core import periodic


def test_a_failed_run_is_logged_and_the_next_one_runs(monkeypatch: Any,
                                                      caplog: Any) -> None:
    runs: list[int] = []
    slept: list[float] = []

    def run() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise OperationalError("database is locked")
        if len(runs) == 3:
            raise KeyboardInterrupt  # the operator stops it

    monkeypatch.setattr(periodic.time, "sleep", slept.append)
    with pytest.raises(KeyboardInterrupt):
        periodic.run_every(30, run, name="a-pass")
    assert len(runs) == 3 and len(slept) == 2 and all(0 < s <= 30 for s in slept)
    assert "a-pass: run failed, retrying in 30 s" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("command", ["operations_watch", "operations_verify"])
def test_the_loop_needs_a_second_at_least(command: str) -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command(command, "--loop", "0")
