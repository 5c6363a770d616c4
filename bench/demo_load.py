"""Benchmark: generating and loading the national demo election.

In a fresh temporary SQLite file (WAL, synchronous=FULL as configured): migrate, then time
``geo_import`` (the national tree), ``seed_example_election`` (the election, its contests
and 448 council constituencies) and ``seed_demo_stations`` (~59,000 stations: generation
plus one-transaction load), and a second ``seed_demo_stations`` run (must create nothing).

Baseline, in the same run: the first ``--baseline-rows`` of the same generated stations
saved one ``Station(...).save()`` at a time (autocommit per row, as a naive loader would),
after the seeded ones are deleted; its full-size time is extrapolated linearly, which the
JSON says, and the generation time (the second seed run: it generates every row and
writes none) is added before comparing.

    .venv/bin/python bench/demo_load.py [--target 59000] [--baseline-rows 2000]

Prints JSON.  ``--keep PATH`` keeps the loaded database (bench/station_list.py uses it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

T = TypeVar("T")
CPU: dict[str, float] = {}
WALL: dict[str, float] = {}


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def timed(label: str, fn: Callable[[], T]) -> T:
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    WALL[label] = round(time.perf_counter() - start, 2)
    CPU[label] = round(time.process_time() - cpu, 2)
    return result


def baseline(election: Any, target: int, rows: int) -> dict[str, Any]:
    """The same stations as the seed, one ``save()`` each, on an emptied table."""
    from amanat.stations import demo
    from amanat.stations.models import Station

    Station.objects.filter(election=election).delete()
    counties = demo._load_counties(demo.DEFAULT_SEED)
    demo._allocate(counties, target)
    sample: list[dict[str, Any]] = []
    for county in counties:
        sample += demo._county_rows(county, election, demo.DEFAULT_SEED)
        if len(sample) >= rows:
            break
    sample = sample[:rows]
    fields = list(demo.WRITE_FIELDS)

    def save_all() -> None:
        for row in sample:
            Station(election=election, **{f: row[f] for f in fields}).save()

    timed("baseline_save_per_row", save_all)
    assert Station.objects.filter(election=election).count() == len(sample)
    seconds = WALL["baseline_save_per_row"]
    return {
        "rows_timed": len(sample),
        "seconds": seconds,
        "rows_per_second": round(len(sample) / seconds),
        "extrapolated": True,
        "seconds_for_all_rows": round(seconds * target / len(sample), 1),
        "cpu_seconds": CPU["baseline_save_per_row"],
        "cpu_seconds_for_all_rows": round(CPU["baseline_save_per_row"] * target / len(sample), 1),
        "note": "Station(...).save() per row, autocommit, the seed's own rows (first "
                "counties in code order); full-size time extrapolated linearly",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", type=int, default=59_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--keep", type=Path, help="copy the loaded database here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        db_path = Path(tmp) / "demo.sqlite3"
        timed("migrate", lambda: setup_django(db_path))
        from django.db import connection

        from amanat.elections.demo import seed_example_election
        from amanat.geo.services import geo_import
        from amanat.stations.demo import seed_demo_stations
        from amanat.stations.models import Station

        geo = timed("geo_import", geo_import)
        election = timed("election_seed", seed_example_election)
        first = timed("stations_seed", lambda: seed_demo_stations(
            election=election, target=args.target))
        again = timed("stations_seed_again", lambda: seed_demo_stations(
            election=election, target=args.target))
        assert again.created == 0 and Station.objects.count() == first.created
        counts = {"units": geo.total, "stations": Station.objects.count(),
                  "stations_result": first.as_dict()}
        if args.keep:
            connection.close()
            shutil.copy(db_path, args.keep)
        base = baseline(election, args.target, args.baseline_rows)
        seed_seconds = WALL["stations_seed"]
        # The naive loader generates the same rows first: the second seed run is exactly
        # that cost (it generates every row, finds them all present, writes nothing).
        naive_total = WALL["stations_seed_again"] + base["seconds_for_all_rows"]
        result = {
            "benchmark": "demo_load",
            "database": "sqlite (fresh temporary file)",
            "cpu_count": os.cpu_count(),
            "target": args.target,
            "counts": counts,
            "wall_seconds": {k: v for k, v in WALL.items() if k != "baseline_save_per_row"},
            "cpu_seconds": {k: v for k, v in CPU.items() if k != "baseline_save_per_row"},
            "total_load_seconds": round(sum(WALL[k] for k in (
                "migrate", "geo_import", "election_seed", "stations_seed")), 2),
            "baseline_save_per_row": base,
            "baseline_generate_plus_save_seconds": round(naive_total, 1),
            "speedup_stations_vs_baseline": round(naive_total / seed_seconds, 1),
            "load_average_at_end": os.getloadavg()[0],
            "targets": {"stations_seed_seconds_below": 60},
            "targets_met": seed_seconds < 60,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
