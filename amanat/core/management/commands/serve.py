"""Serve the app with gunicorn on localhost (``amanat serve --port 8000``)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Amanat with gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        # Threads wait on the group commit (below) most of their time: 16 per worker
        # give the writer big batches (docs/intake-load.md).
        parser.add_argument("--threads", type=int, default=16)
        parser.add_argument(
            "--no-worker", action="store_true",
            help="do not start a background task worker (db_worker) beside the server",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        bind = f"{options['host']}:{options['port']}"
        self.stdout.write(f"Amanat: http://{bind}/")
        argv = [
            sys.executable, "-m", "gunicorn", "amanat.wsgi:application",
            "--bind", bind,
            "--workers", str(options["workers"]),
            "--threads", str(options["threads"]),
            "--access-logfile", "-",
        ]
        if not options["no_worker"]:
            # Background tasks (atlas rescoring and the like) run in a database-backed
            # worker; it shares the terminal's process group, so Ctrl-C stops both.
            subprocess.Popen(
                [sys.executable, "-m", "amanat.cli", "db_worker"], start_new_session=False
            )
        # Group commit (amanat/core/groupcommit.py): concurrent writes of the API's hot
        # path share one durable commit.  On unless the environment says otherwise.
        os.environ.setdefault("AMANAT_GROUP_COMMIT", "1")
        # exec so that signals (Ctrl-C, SIGTERM) reach gunicorn directly.
        os.execv(sys.executable, argv)  # noqa: S606
