"""Serve the app with gunicorn on localhost (``amanat serve --port 8000``)."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve Amanat with gunicorn (static files through WhiteNoise)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--threads", type=int, default=4)

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
        # exec so that signals (Ctrl-C, SIGTERM) reach gunicorn directly.
        os.execv(sys.executable, argv)  # noqa: S606
