"""gunicorn's settings for ``amanat serve`` (``-c python:amanat.core.gunicorn_conf``).

Only server hooks: the rest of the configuration is on serve's command line.
"""

from __future__ import annotations

from typing import Any

from amanat.core import gcthread


def post_worker_init(worker: Any) -> None:
    """The worker has loaded the application; its request threads start after this.
    Cyclic garbage collection moves to a thread of its own (amanat/core/gcthread.py)."""
    gcthread.start()
