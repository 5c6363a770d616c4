"""Group commit: concurrent requests' small write transactions share one commit.

On SQLite (WAL, ``synchronous=FULL``) every commit waits for an fsync while holding the
database's single write lock, and threads waiting for that lock poll it with growing
sleeps; one transaction per submitted report therefore tops out far below the
election-day peak (docs/intake-load.md).  With group commit each process has one writer
thread.  A request thread does its reads itself, then hands its write work (a function)
to the writer and waits.  The writer takes every job queued at that moment, runs each in
its own savepoint inside ONE transaction, commits, and only then wakes the requests:

- acknowledged ⇒ durable: a request returns only after the commit that holds its rows;
  if that commit fails, every job of the batch gets the error (and a 5xx) — none was
  acknowledged, and a retry with the same ``Idempotency-Key`` runs again;
- isolation between jobs: a job that raises is rolled back to its savepoint and gets its
  exception back; the others commit;
- order: jobs run one after another in the writer's transaction, so the audit chain and
  unique constraints see each other's rows exactly as with separate transactions.

Off unless ``AMANAT_GROUP_COMMIT`` is set (setting or environment); always inline when
the caller is already inside a transaction (tests, services that call services), since
the writer's separate connection could not see the caller's uncommitted rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.transaction import TransactionManagementError

T = TypeVar("T")
MAX_BATCH = 64  # bounds one transaction's length and so the wait of its first job


def enabled() -> bool:
    value = getattr(settings, "AMANAT_GROUP_COMMIT", None)
    if value is None:
        value = os.environ.get("AMANAT_GROUP_COMMIT", "")
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@dataclass
class _Job(Generic[T]):
    work: Callable[[], T]
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None


class GroupCommitter:
    """One writer thread per process (started on first use, again after a fork)."""

    def __init__(self, alias: str = DEFAULT_DB_ALIAS, max_batch: int = MAX_BATCH) -> None:
        self.alias = alias
        self.max_batch = max_batch
        self._start_lock = threading.Lock()
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._pid: int | None = None
        self.batches = 0  # counters for tests and the benchmark's notes
        self.jobs = 0

    def run(self, work: Callable[[], T]) -> T:
        """Run ``work`` in a transaction that has committed when this returns."""
        if not enabled() or connections[self.alias].in_atomic_block:
            with transaction.atomic(using=self.alias):
                return work()
        self._ensure_writer()
        job: _Job[T] = _Job(work)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def _ensure_writer(self) -> None:
        pid = os.getpid()
        if self._pid == pid:
            return
        with self._start_lock:
            if self._pid != pid:  # a forked child inherits no thread: start its own
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._loop, name="amanat-group-commit",
                                 daemon=True).start()
                self._pid = pid

    def stop(self) -> None:
        """End this process's writer after the jobs already queued (tests; shutdown)."""
        with self._start_lock:
            if self._pid == os.getpid():
                self._queue.put(None)
                self._pid = None

    def _loop(self) -> None:
        work_queue = self._queue
        while True:
            first = work_queue.get()
            if first is None:
                break
            # Take the turn first, then the batch: what arrived while the other processes
            # wrote joins this commit instead of waiting for the next one.
            with _writers_take_turns(self.alias):
                jobs = [first]
                while len(jobs) < self.max_batch:
                    try:
                        job = work_queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        work_queue.put(None)  # finish this batch, then stop
                        break
                    jobs.append(job)
                self.commit_batch(jobs)
        connections[self.alias].close()

    def commit_batch(self, jobs: list[_Job[Any]]) -> None:
        """Run the jobs in one transaction; wake them only after it committed (or failed)."""
        try:
            with transaction.atomic(using=self.alias):
                for job in jobs:
                    self._run_one(job)
                # Atomic would roll back silently on exit: make that an error for everyone.
                if connections[self.alias].needs_rollback:
                    raise TransactionManagementError("the batch was marked for rollback")
        except BaseException as exc:
            for job in jobs:
                job.result, job.error = None, job.error or exc
            # A broken connection must not poison the next batch.
            connections[self.alias].close()
        finally:
            self.batches += 1
            self.jobs += len(jobs)
            for job in jobs:
                job.done.set()

    def _run_one(self, job: _Job[Any]) -> None:
        try:
            with transaction.atomic(using=self.alias):  # a savepoint: one job's failure
                job.result = job.work()
        except Exception as exc:
            job.error = exc


@contextlib.contextmanager
def _writers_take_turns(alias: str) -> Iterator[None]:
    """On SQLite, queue the writers of all server processes on a file lock.

    SQLite lets a writer that finds the database locked retry after sleeping 1, 2, 5 …
    100 ms, so two processes' writers waste the lock's idle moments sleeping and a batch
    can wait seconds.  ``flock`` queues them in the kernel instead: the next writer runs
    the moment the previous one has committed.  PostgreSQL queues writers itself.
    """
    database = connections[alias]
    if database.vendor != "sqlite" or database.is_in_memory_db():  # type: ignore[attr-defined]
        yield
        return
    with open(f"{database.settings_dict['NAME']}.writer-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


committer = GroupCommitter()


def run(work: Callable[[], T]) -> T:
    """Run ``work`` (database writes) so that it has committed when this returns.

    With group commit on, on the process's writer thread together with other requests'
    work; otherwise inline in its own transaction.
    """
    return committer.run(work)
