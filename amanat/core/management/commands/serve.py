"""Serve the app with gunicorn on localhost (``amanat serve --port 8000``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
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
            help="do not start a background task worker (db_worker) beside the server",
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
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"Amanat: http://{bind}/")
        argv = [
            sys.executable, "-m", "gunicorn", "amanat.wsgi:application",
            "--bind", bind,
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--access-logfile", "-",
        ]
        # Group commit (amanat/intake/groupcommit.py): concurrent writes of the API's hot
        # path share one durable commit.  On unless the environment says otherwise.
        os.environ.setdefault("AMANAT_GROUP_COMMIT", "1")
        if options["no_worker"]:
            # exec so that signals (Ctrl-C, SIGTERM) reach gunicorn directly.
            os.execv(sys.executable, argv)  # noqa: S606
        # Background tasks (atlas rescoring and the like) run in a database-backed worker
        # beside the server.  This process stays as their parent so that SIGTERM (a
        # service manager's stop) ends both, not the server alone.
        worker = subprocess.Popen([sys.executable, "-m", "amanat.cli", "db_worker"])
        server = subprocess.Popen(argv)  # noqa: S603 - our own argv, no shell
        sys.exit(supervise(server, worker))


def supervise(server: subprocess.Popen[bytes], worker: subprocess.Popen[bytes]) -> int:
    """Pass SIGTERM and SIGINT to both children; when the server ends, end the worker.
    Returns the server's exit status."""

    def forward(signum: int, _frame: object) -> None:
        for child in (server, worker):
            if child.poll() is None:
                child.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = server.wait()
    if worker.poll() is None:
        worker.terminate()
    try:
        worker.wait(timeout=WORKER_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()
    return code
