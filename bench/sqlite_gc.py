"""Benchmark: garbage collection stalls of SQLite's write-lock holder (issue 16's hang).

Many threads of one process write through Django's connection to one SQLite file; half
of their ``BEGIN IMMEDIATE`` give up at once when the lock is taken (a busy timeout of
10 ms: the "database is locked" of a loaded server), the other half wait for it for up to
``--long-timeout`` seconds in SQLite's busy handler.  The cyclic collector is made to run
often (threshold 200).  Measured: every collection that ran in a thread holding the write
lock, and how long it took; ``stalls`` counts those that took longer than 0.2 s (before
the fix, a collection freed another thread's failed ``BEGIN`` cursor and waited for that
thread's busy handler to give up: docs/benchmarks.md, "SMS check-ins through Kannel").

Four modes, each in a process of its own, the first being the baseline:

- ``django``: Django's own SQLite backend, collection in any thread (as before the fix);
- ``django+collector``: Django's backend, collection only in a thread of its own (the
  structural half of the fix alone);
- ``amanat``: the project's backend (amanat/core/sqlite: the failed BEGIN's cursor closed);
- ``amanat+collector``: that, and collection only in a thread of its own, as ``amanat
  serve``'s workers do (amanat/core/gcthread.py).

    PYTHONPATH=$PWD .venv/bin/python bench/sqlite_gc.py [--threads 16] [--seconds 20]

Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MODES = ("django", "django+collector", "amanat", "amanat+collector")
STALL_SECONDS = 0.2


def run_mode(mode: str, threads: int, seconds: float, long_timeout: float) -> dict[str, Any]:
    """In this process: the load, then the figures."""
    import gc
    import random
    import threading
    import time

    import django
    from django.conf import settings

    if mode.startswith("django"):
        settings.DATABASES["default"]["ENGINE"] = "django.db.backends.sqlite3"
    django.setup()
    from django.db import OperationalError, connection, transaction

    from amanat.core import gcthread

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS gc_load (x INTEGER)")
    gc.collect()
    gc.set_threshold(200, 5, 5)
    if mode.endswith("+collector"):
        gcthread.Collector(interval=0.05, full_every=20).start()

    lock = threading.Lock()
    figures: dict[str, Any] = {"commits": 0, "locked": 0, "collections_in_holder": 0,
                               "stalls": 0, "longest_collection_in_holder_s": 0.0}
    started: dict[int, float] = {}

    def watch(phase: str, _info: dict[str, Any]) -> None:
        me = threading.get_ident()
        if phase == "start":
            started[me] = time.monotonic()
            return
        took = time.monotonic() - started.pop(me, time.monotonic())
        if connection.in_atomic_block:  # this thread holds the write lock
            with lock:
                figures["collections_in_holder"] += 1
                figures["stalls"] += took > STALL_SECONDS
                figures["longest_collection_in_holder_s"] = max(
                    figures["longest_collection_in_holder_s"], round(took, 3))

    gc.callbacks.append(watch)
    end = time.monotonic() + seconds

    def writer(seed: int) -> None:
        rng = random.Random(seed)
        connection.ensure_connection()
        while time.monotonic() < end:
            wait_ms = 10 if rng.random() < 0.5 else int(long_timeout * 1000)
            connection.connection.execute(f"PRAGMA busy_timeout = {wait_ms}")
            try:
                with transaction.atomic():
                    with connection.cursor() as cursor:
                        for _ in range(5):
                            cursor.execute("INSERT INTO gc_load VALUES (%s)", [seed])
                    # Cyclic garbage, so that the collector runs in this thread too.
                    junk: list[list[Any]] = [[] for _ in range(50)]
                    for item in junk:
                        item.append(junk)
                with lock:
                    figures["commits"] += 1
            except OperationalError:
                with lock:
                    figures["locked"] += 1
        connection.close()

    workers = [threading.Thread(target=writer, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    gc.callbacks.remove(watch)
    return {"mode": mode, **figures,
            "commits_per_second": round(figures["commits"] / seconds, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--long-timeout", type=float, default=5,
                        help="the busy timeout of the threads that wait (seconds)")
    parser.add_argument("--mode", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode:
        print(json.dumps(run_mode(args.mode, args.threads, args.seconds, args.long_timeout)))
        return
    results = []
    for mode in MODES:
        with tempfile.TemporaryDirectory(prefix="amanat-bench-gc-") as tmp:
            env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
            env.update(AMANAT_SQLITE_PATH=str(Path(tmp) / "gc.sqlite3"), AMANAT_VAR_DIR=tmp,
                       DJANGO_SETTINGS_MODULE="amanat.settings", PYTHONPATH=str(ROOT))
            done = subprocess.run(
                [sys.executable, __file__, "--mode", mode, "--threads", str(args.threads),
                 "--seconds", str(args.seconds), "--long-timeout", str(args.long_timeout)],
                env=env, cwd=ROOT, capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.splitlines()[-1]))
    print(json.dumps({"benchmark": "sqlite-gc", "load_average": round(os.getloadavg()[0], 1),
                      "threads": args.threads, "seconds": args.seconds,
                      "long_timeout": args.long_timeout, "runs": results}, indent=2))


if __name__ == "__main__":
    main()
