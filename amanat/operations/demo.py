"""The demo's election day: the example election's check-in windows (the default day)
and a day row for each of its stations, through the real services.  Idempotent: the
windows are made once, and only stations without a day row get one.  The day itself is
filled by ``amanat simulate-election-day``."""

from __future__ import annotations

from amanat.elections.models import Election
from amanat.operations import services
from amanat.operations.models import DaySettings


def seed_demo_operations(election: Election) -> str:
    windows = services.windows_default_create(election=election, actor=None)
    # The demo election is the one simulate-election-day runs on without --force.
    DaySettings.objects.filter(pk=services.day_settings(election).pk).update(
        simulation_allowed=True)
    added = services.day_prepare(election=election)
    return f"{len(windows)} check-in windows, {added} station days prepared"
