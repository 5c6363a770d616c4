"""Serve the app with gunicorn on localhost (``amanat serve --port 8000``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

# Request threads mostly wait on the group commit (below): a dozen per worker give the
# writer batches of 5-10 reports.  Processes rather than more threads: each worker's
# writer must win its process's GIL back from the request threads after every statement,
# so fewer threads per process keep the writers' turns short.  Measured on 2 cores
# (docs/intake-load.md): 2 x 16 gave about 500 reports/s, 4 x 12 about 600/s.
DEFAULT_THREADS = 12
# How long the task worker may take to finish its task after the server has stopped.
WORKER_GRACE_SECONDS = 30
# How often serve looks whether the task worker still runs; a worker that ran this long
# before it ended is started again after a second, one that ended sooner after twice
# the previous wait, up to the longest.
CHECK_SECONDS = 1.0
WORKER_CALM_SECONDS = 60.0
WORKER_LONGEST_WAIT_SECONDS = 60.0


def default_workers() -> int:
    # Capped: every worker is another writer taking turns on SQLite's one write lock.
    return min(8, max(2, 2 * (os.cpu_count() or 1)))


class Command(BaseCommand):
    help = "Serve Amanat with gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_workers(),
                            help="gunicorn worker processes (default: twice the cores, 2 to 8)")
        parser.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                            help="request threads per worker")
        parser.add_argument(
            "--no-worker", action="store_true",
            help="do not start a background task worker (task_worker) beside the server",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Django's pool (AMANAT_DB_POOL, per process) lends a request thread a connection
        # for its whole request, its wait for the group commit writer included, and the
        # writer keeps one: fewer than threads + 1 and they wait on each other until the
        # pool's timeout (docs/decisions/0005-connection-pooling.md).
        pool = int(os.environ.get("AMANAT_DB_POOL", "0") or 0)
        if 0 < pool <= options["threads"]:
            raise CommandError(
                _("AMANAT_DB_POOL (%(pool)s) must be at least the request threads plus one "
                  "(%(needed)s): each request keeps its connection while the writer, which "
                  "needs one too, commits its work.")
                % {"pool": pool, "needed": options["threads"] + 1})
        catalogs_compile(self.stdout, self.stderr)
        self.stdout.write(f"Amanat: http://{options['host']}:{options['port']}/")
        argv = gunicorn_argv(host=options["host"], port=options["port"],
                             workers=options["workers"], threads=options["threads"])
        # Group commit (amanat/intake/groupcommit.py): concurrent writes of the API's hot
        # path share one durable commit.  On unless the environment says otherwise.
        os.environ.setdefault("AMANAT_GROUP_COMMIT", "1")
        if options["no_worker"]:
            # exec so that signals (Ctrl-C, SIGTERM) reach gunicorn directly.
            os.execv(sys.executable, argv)  # noqa: S606
        # Background tasks (atlas rescoring and the like) run in a database-backed worker
        # beside the server.  This process stays as their parent so that SIGTERM (a
        # service manager's stop) ends both, not the server alone.
        # If the worker ends (an error it could not wait out), it is started again.
        server = subprocess.Popen(argv)  # noqa: S603 - our own argv, no shell
        sys.exit(Supervisor(server, start_worker).run())


def gunicorn_argv(*, host: str, port: int, workers: int, threads: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "amanat.wsgi:application",
        # Server hooks: each worker collects cyclic garbage in a thread of its own, never
        # in a request thread that may hold SQLite's write lock (amanat/core/gcthread.py).
        "--config", "python:amanat.core.gunicorn_conf",
        "--bind", f"{host}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--access-logfile", "-",
    ]


def start_worker() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "amanat.cli", "task_worker"])


class Supervisor:
    """Passes SIGTERM and SIGINT to both children; starts the task worker again when it
    ends while the server runs (waiting 1, 2, 4 … 60 s between starts while it keeps
    ending within a minute); when the server ends, ends the worker."""

    def __init__(self, server: subprocess.Popen[bytes],
                 start: Callable[[], subprocess.Popen[bytes]], *,
                 check_every: float = CHECK_SECONDS) -> None:
        self.server, self.start, self.check_every = server, start, check_every
        self.worker = start()
        self.started_at = time.monotonic()
        self.stopping = False
        self.restarts = 0
        self._wait = 0.5  # doubled before the first start again
        self._next_start: float | None = None

    def forward(self, signum: int, _frame: object) -> None:
        self.stopping = True
        for child in (self.server, self.worker):
            if child.poll() is None:
                child.send_signal(signum)

    def run(self) -> int:
        """Returns the server's exit status."""
        signal.signal(signal.SIGTERM, self.forward)
        signal.signal(signal.SIGINT, self.forward)
        while True:
            try:
                code = self.server.wait(timeout=self.check_every)
                break
            except subprocess.TimeoutExpired:
                self.check_worker()
        self.stopping = True
        self.stop_worker()
        return code

    def check_worker(self) -> None:
        status = self.worker.poll()
        if status is None or self.stopping:
            return
        now = time.monotonic()
        if self._next_start is None:
            # Quick deaths in a row (a broken setting, say) must not spin.
            self._wait = (1.0 if now - self.started_at > WORKER_CALM_SECONDS
                          else min(self._wait * 2, WORKER_LONGEST_WAIT_SECONDS))
            self._next_start = now + self._wait
            sys.stderr.write(f"amanat serve: the task worker ended (exit status {status}); "
                             f"starting it again in {self._wait:.0f} s\n")
            sys.stderr.flush()
        if now >= self._next_start:
            self._next_start = None
            self.worker = self.start()
            self.started_at = now
            self.restarts += 1

    def stop_worker(self) -> None:
        if self.worker.poll() is None:
            self.worker.terminate()
        try:
            self.worker.wait(timeout=WORKER_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            self.worker.kill()
            self.worker.wait()


def catalogs_compile(stdout: Any, stderr: Any) -> list[Path]:
    """Compile the translation catalogs whose compiled form (.mo, a build product that
    git does not keep) is missing or older than the .po, so that a checkout served
    without ``make install`` is not an English page inside ``lang="fa" dir="rtl"`` (user
    review 2026-12, F20); with polib (a dependency), as ``scripts/compile_messages.py
    --polib`` does.  Says so when it cannot; returns the catalogs compiled."""
    import polib

    root = Path(__file__).resolve().parents[3]  # the amanat package
    stale = [po for po in sorted(root.glob("**/locale/*/LC_MESSAGES/*.po"))
             if not po.with_suffix(".mo").exists()
             or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime]
    for po in stale:
        try:
            polib.pofile(str(po)).save_as_mofile(str(po.with_suffix(".mo")))
        except (OSError, ValueError) as error:
            stderr.write(f"The translations in {po} could not be compiled ({error}): the "
                         f"pages will be in English. Run scripts/compile_messages.py.")
        else:
            stdout.write(f"compiled the translations {po.relative_to(root.parent)}")
    return stale
