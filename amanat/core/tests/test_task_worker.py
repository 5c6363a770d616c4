"""The background task worker waits out a database outage instead of exiting, and
``amanat serve`` starts it again if it ends anyway (docs/benchmarks.md, "SMS check-ins
through Kannel": the worker exited on "database is locked" and no reply went out after).

The lock is real, as in test_outage.py: another connection's exclusive lock on the
worker's SQLite file, held past the worker's busy timeout.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django_tasks import task

from amanat.core.management.commands.serve import Supervisor

ROOT = Path(__file__).resolve().parents[3]
OUTAGE_LINE = "task worker: the database cannot serve (locked"


@task()
def leave_a_mark(path: str) -> None:
    """The task the worker runs: proof that it ran."""
    Path(path).write_text("ran")


def _until(what: Callable[[], bool], message: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not what():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def _environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(AMANAT_SQLITE_PATH=str(tmp / "tasks.sqlite3"), AMANAT_VAR_DIR=str(tmp),
               AMANAT_SQLITE_TIMEOUT="0.2", DJANGO_SETTINGS_MODULE="amanat.settings",
               PYTHONPATH=str(ROOT), AMANAT_LOG_LEVEL="WARNING")
    return env


def _status(database: Path) -> str:
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT status FROM django_tasks_database_dbtaskresult").fetchall()
    return rows[0][0] if rows else ""


def test_the_worker_waits_out_a_held_lock_then_runs_the_task(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    database = Path(env["AMANAT_SQLITE_PATH"])
    mark = tmp_path / "mark"
    subprocess.run([sys.executable, "-m", "amanat.cli", "migrate", "django_tasks_database",
                    "--noinput"], env=env, cwd=ROOT, check=True, capture_output=True,
                   timeout=300)
    enqueue = ("import django; django.setup()\n"
               "from amanat.core.tests.test_task_worker import leave_a_mark\n"
               f"leave_a_mark.enqueue({str(mark)!r})\n")
    subprocess.run([sys.executable, "-c", enqueue], env=env, cwd=ROOT, check=True,
                   capture_output=True, timeout=120)
    assert _status(database) == "READY"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another writer, for longer than the busy timeout
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "amanat.cli", "task_worker", "--interval", "0.1",
             "--no-startup-delay", "--no-reload"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        # The worker keeps meeting the lock (db_worker exited at the first), and waits.
        def waited_twice() -> bool:
            assert worker.poll() is None, log.read_text()  # db_worker: exited at once
            return log.read_text().count(OUTAGE_LINE) >= 2

        _until(waited_twice, "the worker never reported the locked database")
        assert not mark.exists()
        assert _status(database) == "READY"
        # The lock is gone: the task waiting since before the worker started is run.
        holder.execute("ROLLBACK")
        _until(lambda: _status(database) == "SUCCESSFUL", "the task never ran")
        assert mark.read_text() == "ran"
        assert worker.poll() is None, log.read_text()
    finally:
        holder.close()
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
    assert "Traceback" not in log.read_text()


def test_serve_starts_the_task_worker_again_when_it_ends() -> None:
    started: list[subprocess.Popen[bytes]] = []

    def start() -> subprocess.Popen[bytes]:
        # The first worker ends at once (an error it could not wait out); the next runs.
        code = "raise SystemExit(3)" if not started else "import time; time.sleep(600)"
        started.append(subprocess.Popen([sys.executable, "-c", code]))
        return started[-1]

    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    previous = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    supervisor = Supervisor(server, start, check_every=0.05)
    try:
        started[0].wait(timeout=60)
        _until(lambda: (supervisor.check_worker(), supervisor.restarts)[1] == 1,
               "the worker was not started again")
        assert len(started) == 2 and supervisor.worker is started[1]
        assert started[1].poll() is None
        # The server ends: so does the worker, and serve with the server's status.
        server.terminate()
        assert supervisor.run() == -signal.SIGTERM
        assert started[1].poll() is not None
    finally:
        signal.signal(signal.SIGTERM, previous[0])
        signal.signal(signal.SIGINT, previous[1])
        for process in [server, *started]:
            if process.poll() is None:
                process.kill()
                process.wait()
