"""Benchmark: ``amanat operations-verify`` (operations.reconcile) on a national day.

On a database after a national ``amanat simulate-election-day`` (``--db``: the demo
loaded with ``amanat load-demo``, then the simulation: ~294,000 check-ins, 59,000
stations' days), one pass of the reconciliation: wall and CPU time, rows and events
read, the differences found, and the peak of Python's own allocations (tracemalloc, in
a second pass: it slows the pass down) against the process's resident size (which holds
SQLite's page cache, 64 MB per connection in the project's settings, and its sorter).

Baseline, in the same run: ``floor``, the same rows and events only read (the
check-ins by id, their events ordered by object id, the days and the check-ins by
station) with nothing compared: what any reconciliation of these tables costs.

    .venv/bin/python bench/operations_verify.py --db /tmp/opsverify.sqlite3 [--election SLUG]

Prints JSON.  Nothing is written but one ``operations.verify`` event is not recorded
either: the bench calls the selector, not the command.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--election", default=None)
    parser.add_argument("--no-tracemalloc", action="store_true")
    args = parser.parse_args()
    setup_django(args.db)

    from amanat.elections.selectors import election_for_command
    from amanat.operations import reconcile
    from amanat.operations.models import Checkin, StationDay

    election = election_for_command(args.election)

    def floor() -> int:
        read = 0
        for _row in (Checkin.objects.filter(election=election).order_by("pk")
                     .values_list("pk", *reconcile.FIELDS).iterator(chunk_size=2000)):
            read += 1
        for _event in reconcile.object_events(reconcile.CHECKIN,
                                              (reconcile.RECEIVE, *reconcile.CHANGES)):
            read += 1
        for _day in (StationDay.objects.filter(election=election).order_by("station_id")
                     .values_list("station_id", "voters", "total").iterator(chunk_size=2000)):
            read += 1
        for _row in (Checkin.objects.filter(election=election)
                     .order_by("station_id", "received_at", "pk")
                     .values_list("station_id", "kind", "state", "voters", "total")
                     .iterator(chunk_size=2000)):
            read += 1
        return read

    def verify() -> reconcile.Summary:
        summary = reconcile.Summary()
        for _mismatch in reconcile.operations_verify(election, None, summary):
            pass
        return summary

    load = os.getloadavg()
    floor_read, floor_wall, floor_cpu = timed(floor)
    summary, wall, cpu = timed(verify)
    peak = None
    if not args.no_tracemalloc:
        tracemalloc.start()
        timed(verify)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    print(json.dumps({
        "election": election.slug, "checkins": summary.checkins, "events": summary.events,
        "days": summary.days, "mismatches": summary.mismatches,
        "verify": {"wall_s": round(wall, 1), "cpu_s": round(cpu, 1)},
        "floor": {"rows_read": floor_read, "wall_s": round(floor_wall, 1),
                  "cpu_s": round(floor_cpu, 1)},
        "python_peak_mb": round(peak / 2**20, 1) if peak is not None else None,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_at_start": [round(x, 1) for x in load],
    }, indent=2))


if __name__ == "__main__":
    main()
