"""Benchmark: the silent-station watch (``operations.watch.silent_watch``) at national
scale.

On a national database (the real geography, the example election and its ~59,000 demo
stations, built in a fresh temporary SQLite file, or ``--db`` a copy kept by
``bench/demo_load.py --keep``, copied first so it is never changed), with the default
check-in windows and a governor with a mobile number in every county and province:

* **first alarm**: the run a quiet period after the opening, when no station has
  checked in: every station silent, ~59,000 alerts raised, one message per official;
* **heard again**: 95% of the stations heard from (their day rows moved as check-ins
  move them), then the run that notes every live alert whose station came back and
  escalates the rest to the provinces;
* **steady state**: the run every minute when nothing changed (``--repeat`` times,
  p50/max);
* **baseline** (same run, same data): the steady-state decision made the obvious way,
  one query per station (is it silent, has it a live alert), as a loop over the
  stations would; read-only.

    .venv/bin/python bench/operations_watch.py [--db PATH] [--repeat 5]

Prints JSON with the seconds and query counts of each.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: Path, fresh: bool) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if fresh:
        from amanat.elections.demo import seed_example_election
        from amanat.geo.services import geo_import
        from amanat.stations.demo import seed_demo_stations

        geo_import()
        seed_demo_stations(election=seed_example_election())


def _officials() -> int:
    """A governor with a mobile number and an address in every county and province."""
    from django.contrib.auth.models import User

    from amanat.accounts.models import Membership, Profile, Role
    from amanat.geo.models import AdminUnit, Kind

    made = 0
    for unit in AdminUnit.objects.filter(kind__in=(Kind.PROVINCE, Kind.COUNTY)):
        user, created = User.objects.get_or_create(
            username=f"bench-gov-{unit.pk}", defaults={"email": f"gov{unit.pk}@example.ir"})
        if created:
            Membership.objects.create(user=user, role=Role.GOVERNOR, unit=unit)
            Profile.objects.create(user=user, mobile=f"0912{unit.pk:07d}")
            made += 1
    return made


class _Counter:
    """Counts the statements sent to the database (no log, no limit)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def _timed_run(election: Any, now: datetime.datetime) -> dict[str, Any]:
    from django.db import connection

    from amanat.operations.watch import silent_watch

    counter = _Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        result = silent_watch(election=election, now=now)
        seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "queries": counter.count,
            "silent": result.silent, "heard_again": result.heard_again,
            "escalated": result.escalated, "messages": result.notified}


def _baseline(election: Any, quiet_since: datetime.datetime) -> dict[str, Any]:
    """One query per station: the day row, then its live alert."""
    from django.db import connection

    from amanat.operations.models import Alert, StationDay

    stations = list(StationDay.objects.filter(election=election)
                    .values_list("station_id", flat=True))
    due = 0
    counter = _Counter()
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        for station_id in stations:
            day = StationDay.objects.get(election=election, station_id=station_id)
            quiet = day.closed_at is None and (day.last_heard_at is None
                                               or day.last_heard_at <= quiet_since)
            if quiet and not Alert.objects.filter(
                    election=election, station_id=station_id,
                    kind="silent").exclude(state="closed").exists():
                due += 1
        seconds = time.perf_counter() - start
    return {"seconds": round(seconds, 3), "queries": counter.count, "due": due}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a national database to copy")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="amanat-watch-"))
    db_path = work / "bench.sqlite3"
    if args.db:
        shutil.copy(args.db, db_path)
    setup_django(db_path, fresh=not args.db)

    from django.utils import timezone

    from amanat.elections.models import Election
    from amanat.operations import services
    from amanat.operations.models import Alert, StationDay
    from amanat.operations.watch import day_span

    election = Election.objects.order_by("pk").first()
    assert election is not None
    services.windows_default_create(election=election, actor=None)
    officials = _officials()
    start = time.perf_counter()
    prepared = services.day_prepare(election=election)
    prepare_s = time.perf_counter() - start
    opening, _closing = day_span(election)
    assert opening is not None
    settings = services.day_settings(election)
    first_at = opening + datetime.timedelta(minutes=settings.silent_after_minutes)

    first = _timed_run(election, first_at)
    # 95% of the stations heard from at 07:45, as stationday_move leaves their rows.
    heard_at = first_at + datetime.timedelta(minutes=15)
    ids = list(StationDay.objects.filter(election=election).order_by("pk")
               .values_list("pk", flat=True))
    heard = [pk for i, pk in enumerate(ids) if i % 20]
    for chunk in range(0, len(heard), 5000):
        StationDay.objects.filter(pk__in=heard[chunk:chunk + 5000]).update(
            last_heard_at=heard_at, last_kind="opening", opened_at=heard_at,
            silent_since=None)
    second_at = first_at + datetime.timedelta(minutes=settings.escalate_after_minutes)
    second = _timed_run(election, second_at)
    steady = [_timed_run(election, second_at + datetime.timedelta(minutes=1 + i))
              for i in range(args.repeat)]
    baseline = _baseline(election, second_at - datetime.timedelta(
        minutes=settings.silent_after_minutes))
    print(json.dumps({
        "stations": len(ids), "officials": officials,
        "day_prepare_s": round(prepare_s, 3), "prepared": prepared,
        "first_alarm": first, "heard_again": second,
        "steady_p50_s": statistics.median(r["seconds"] for r in steady),
        "steady_max_s": max(r["seconds"] for r in steady),
        "steady_queries": steady[0]["queries"],
        "baseline_per_station": baseline,
        "alerts": Alert.objects.filter(election=election).count(),
        "now": timezone.now().isoformat(timespec="seconds"),
    }, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
