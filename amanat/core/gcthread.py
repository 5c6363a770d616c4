"""Cyclic garbage collection in a thread of its own, for the threaded server workers.

CPython runs its cyclic collector in whichever thread happens to allocate when a
generation fills up, and the collector runs the finalisers of whatever it frees there.
Freeing a database cursor or statement of SQLite takes the mutex of *its* connection,
which belongs to another request thread.  If that thread is inside SQLite's busy handler
(holding its mutex, waiting for the write lock) and the collecting thread holds the
write lock, they wait for each other until the busy timeout runs out, and every writer
of the process behind them too (docs/benchmarks.md, "SMS check-ins through Kannel";
amanat/core/sqlite/base.py closes the cursor we know of, this keeps the whole class of
them out of the threads that write).

So ``amanat serve``'s workers (amanat/core/gunicorn_conf.py) freeze what the application
loaded (never scanned again: it lives as long as the worker), turn automatic collection
off, and collect from this thread, which holds no connection and no lock: when it has
to wait for a connection's mutex, only the collection waits.
"""

from __future__ import annotations

import gc
import logging
import threading

logger = logging.getLogger(__name__)

THREAD_NAME = "amanat-gc"
# Young objects every second (the cycles a request leaves behind), everything once a
# minute; what the application loaded is frozen and not scanned.
INTERVAL_SECONDS = 1.0
FULL_EVERY = 60


class Collector:
    """Collects every ``interval`` seconds (generations 0 and 1; all of them every
    ``full_every``-th time) until ``stop``, with automatic collection off meanwhile."""

    def __init__(self, interval: float = INTERVAL_SECONDS, full_every: int = FULL_EVERY
                 ) -> None:
        self.interval, self.full_every = interval, full_every
        self.collected = threading.Event()  # set after every round (tests wait on it)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)

    def start(self) -> None:
        gc.collect()
        gc.freeze()
        gc.disable()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        gc.unfreeze()
        gc.enable()

    def _run(self) -> None:
        rounds = 0
        while not self._stop.wait(self.interval):
            rounds += 1
            try:
                gc.collect(2 if rounds % self.full_every == 0 else 1)
            except Exception:  # a finaliser's error must not end collection
                logger.exception("garbage collection failed")
            self.collected.set()


_collector: Collector | None = None


def start() -> None:
    """Start the process's collector (once)."""
    global _collector
    if _collector is None:
        _collector = Collector()
        _collector.start()
        logger.info("cyclic garbage collection in thread %s every %.1f s",
                    THREAD_NAME, _collector.interval)


def stop() -> None:
    """Stop it and give collection back to the interpreter."""
    global _collector
    if _collector is not None:
        _collector.stop()
        _collector = None
