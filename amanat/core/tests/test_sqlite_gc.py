"""The cyclic garbage collector never makes the thread holding SQLite's write lock wait
for another thread's connection (docs/benchmarks.md, "SMS check-ins through Kannel").

The stall it guards against, for real: thread B's ``BEGIN IMMEDIATE`` fails ("database
is locked"), leaving garbage that holds B's cursor; B then waits for the write lock in
SQLite's busy handler, holding its connection's mutex; thread A holds the write lock and
the collector runs in A.  Freeing a cursor whose statement is still in use takes its
connection's mutex, so A used to wait for B until B's busy timeout ran out (and B, that
BEGIN, failed).  Now the cursor is closed when the BEGIN fails (amanat.core.sqlite), and
under ``amanat serve`` the collector runs in a thread of its own (amanat.core.gcthread).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
import weakref
from pathlib import Path

from amanat.core import gcthread, gunicorn_conf

ROOT = Path(__file__).resolve().parents[3]

SCENARIO = """
import gc, json, os, sqlite3, threading, time
import django
django.setup()
from django.db import OperationalError, connection, transaction

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (x)")
gc.disable()  # the collector runs where this script says, nowhere else
gc.collect()
holder = sqlite3.connect(os.environ["AMANAT_SQLITE_PATH"], isolation_level=None,
                         check_same_thread=False)
first_failed, waiting = threading.Event(), threading.Event()
outcome = {}

def other_thread():
    holder.execute("BEGIN IMMEDIATE")  # another process writing, past the busy timeout
    try:
        with transaction.atomic():
            pass
    except OperationalError as exc:
        outcome["first"] = str(exc)
    holder.execute("ROLLBACK")
    first_failed.set()
    waiting.wait()
    connection.connection.execute("PRAGMA busy_timeout = 30000")  # outwaits A's transaction
    try:
        with transaction.atomic():  # waits in the busy handler while A holds the lock
            pass
        outcome["second"] = "committed"
    except OperationalError as exc:
        outcome["second"] = str(exc)

thread = threading.Thread(target=other_thread)
thread.start()
first_failed.wait()
with transaction.atomic():  # A takes the write lock, then collects
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    waiting.set()
    time.sleep(1)  # B is in its busy handler by now
    gc.collect()
thread.join()
print(json.dumps(outcome))
"""


def test_collecting_in_the_lock_holder_does_not_wait_for_a_waiting_thread(
        tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(AMANAT_SQLITE_PATH=str(tmp_path / "gc.sqlite3"), AMANAT_VAR_DIR=str(tmp_path),
               # B's first BEGIN must fail (its second waits longer: the script says).
               AMANAT_SQLITE_TIMEOUT="0.3", DJANGO_SETTINGS_MODULE="amanat.settings",
               PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SCENARIO], env=env, capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.splitlines()[-1])
    assert outcome["first"] == "database is locked"
    # Before the fix: A's collection waited for B's mutex until B's 30 s ran out.
    assert outcome["second"] == "committed"


def test_the_background_collector_frees_cycles_in_its_own_thread() -> None:
    freed_in: list[str] = []

    class Node:
        pass

    collector = gcthread.Collector(interval=0.05, full_every=2)
    collector.start()
    try:
        assert not gc.isenabled()  # no request thread ever collects
        node = Node()
        node.self = node  # type: ignore[attr-defined]
        weakref.finalize(node, lambda: freed_in.append(threading.current_thread().name))
        del node
        for _ in range(600):  # rounds, each set off by the collector
            collector.collected.clear()
            assert collector.collected.wait(timeout=60)
            if freed_in:
                break
        assert freed_in == [gcthread.THREAD_NAME]
    finally:
        collector.stop()
    assert gc.isenabled()


def test_serve_workers_start_the_collector() -> None:
    assert "python:amanat.core.gunicorn_conf" in " ".join(_serve_argv())
    gunicorn_conf.post_worker_init(None)
    try:
        assert not gc.isenabled()
        assert any(t.name == gcthread.THREAD_NAME for t in threading.enumerate())
    finally:
        gcthread.stop()
    assert gc.isenabled()


def _serve_argv() -> list[str]:
    from amanat.core.management.commands import serve

    return serve.gunicorn_argv(host="127.0.0.1", port=8000, workers=1, threads=2)
