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
  unique constraints see each other's rows exactly as with separate transactions;
- together: a job may also offer its work in a form that the writer can do for many jobs
  at once (``Together``: one INSERT for a batch's rows instead of several statements per
  job).  If that fails, its writes are rolled back to a savepoint and every job of the
  group runs its own ``work`` as above, so the result is the same either way.

Off unless ``AMANAT_GROUP_COMMIT`` is set (setting or environment); always inline when
the caller is already inside a transaction (tests, services that call services), since
the writer's separate connection could not see the caller's uncommitted rows.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.transaction import TransactionManagementError

from amanat.audit.models import ChainHead
from amanat.audit.services import audit_head_held
from amanat.intake import sql
from amanat.intake.audit import HEAD_FOR_UPDATE

T = TypeVar("T")
logger = logging.getLogger(__name__)
MAX_BATCH = 64  # bounds one transaction's length and so the wait of its first job


def enabled() -> bool:
    value = getattr(settings, "AMANAT_GROUP_COMMIT", None)
    if value is None:
        value = os.environ.get("AMANAT_GROUP_COMMIT", "")
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


WriteMany = Callable[[list[Any]], Sequence[Any]]


@dataclass(frozen=True)
class Together:
    """A job's work in a form the writer can do for many jobs at once.

    The writer calls ``write_many`` with the ``item`` of every job of a batch that has
    the same ``write_many``, in its transaction (in a savepoint of its own unless the
    group is the whole batch).  It must only write to the database and return one
    result per item, in order (each job's result), or raise: then what it wrote is
    rolled back (the savepoint, or the whole batch) and each job runs its ``work``.  Why: every
    statement the writer runs is a moment in which the database's write lock waits for
    the writer to get Python's GIL back from the request threads (docs/intake-load.md).
    """

    write_many: WriteMany
    item: Any


@dataclass
class _Job(Generic[T]):
    work: Callable[[], T]
    together: Together | None = None
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
        self.together = 0  # jobs done by a Together's write_many
        self.apart = 0  # jobs whose Together failed and that ran their own work
        self.load = WriterLoad()

    def run(self, work: Callable[[], T], together: Together | None = None) -> T | Any:
        """Run ``work`` in a transaction that has committed when this returns.

        Returns what ``work`` returned, or what ``together.write_many`` gave this job.
        """
        if not enabled() or connections[self.alias].in_atomic_block:
            with transaction.atomic(using=self.alias):
                return work()
        self._ensure_writer()
        job: _Job[T] = _Job(work, together)
        self._queue.put(job)
        job.done.wait()
        if job.error is not None:
            raise job.error
        return job.result

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
            asked = time.perf_counter()
            jobs = [first]
            turn: list[float] = []

            def collect(jobs: list[_Job[Any]] = jobs, turn: list[float] = turn) -> None:
                """Called once the turn is this writer's: every job queued by then."""
                turn[:] = [time.perf_counter(), time.thread_time(), _runqueue()]
                while len(jobs) < self.max_batch:
                    try:
                        job = work_queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        work_queue.put(None)  # finish this batch, then stop
                        break
                    jobs.append(job)

            try:
                with _writers_take_turns(self.alias):
                    self.commit_batch(jobs, wake=False, collect=collect)
                    done = time.perf_counter()
                    if not turn:  # the transaction failed before the turn was taken
                        turn[:] = [done, time.thread_time(), _runqueue()]
                    got = turn[0]
                    cpu, queued = time.thread_time() - turn[1], _runqueue() - turn[2]
            except Exception as exc:
                # The turn's lock file cannot be opened (a full disk, say), or anything
                # else went wrong around the batch: it fails like a failed commit, and the
                # writer lives on (else its requests would wait for ever).
                for job in jobs:
                    job.result, job.error = None, job.error or exc
                got = done = time.perf_counter()
                cpu = queued = 0.0
            # Wake the requests only now: woken threads take the GIL, and the next writer
            # waits for this one to let go of the turn.
            _wake(jobs)
            self.load.add(len(jobs), waited=got - asked, held=done - got, cpu=cpu,
                          queued=queued, now=done)
        connections[self.alias].close()

    def commit_batch(self, jobs: list[_Job[Any]], wake: bool = True,
                     collect: Callable[[], None] | None = None) -> None:
        """Run the jobs in one transaction; wake them (``wake``) only after it committed
        or failed.  ``collect`` adds the jobs queued meanwhile to ``jobs`` once the
        transaction holds the writers' turn (PostgreSQL: the audit chain head's lock)."""
        try:
            try:
                self._transaction(jobs, None, collect=collect)
            except _Apart:
                # The batch was one Together group, written without a savepoint of its
                # own, and it failed: all of it is rolled back; now each job alone.
                self.apart += len(jobs)
                self._transaction(jobs, None, alone=True)
        except BaseException as exc:
            for job in jobs:
                job.result, job.error = None, job.error or exc
            # A broken connection must not poison the next batch.  Closing a lost one
            # may fail too (its pool, its driver): it is dropped all the same.
            try:
                connections[self.alias].close()
            except Exception:
                logger.debug("group commit: closing the lost connection failed", exc_info=True)
        finally:
            self.batches += 1
            self.jobs += len(jobs)
            if wake:
                _wake(jobs)

    def _transaction(self, jobs: list[_Job[Any]], whole: WriteMany | None,
                     alone: bool = False, collect: Callable[[], None] | None = None) -> None:
        try:
            self._in_transaction(jobs, whole, alone, collect)
        finally:
            audit_head_held(None)  # the turn's head belongs to that transaction only

    def _in_transaction(self, jobs: list[_Job[Any]], whole: WriteMany | None,
                        alone: bool, collect: Callable[[], None] | None) -> None:
        with transaction.atomic(using=self.alias):
            if not alone:
                _take_the_turn(self.alias)
                if collect is not None:
                    collect()
                whole = _one_group(jobs)
            if whole is not None:
                self._run_whole(whole, jobs)
            elif alone:
                for job in jobs:
                    self._run_one(job)
            else:
                self._run_all(jobs)
            # Atomic would roll back silently on exit: make that an error for everyone,
            # raised from the job's error that caused it, so that a full disk is still
            # recognised as one (amanat/core/outage.py) by the jobs that did not fail.
            if connections[self.alias].needs_rollback:
                cause = next((job.error for job in jobs if job.error is not None), None)
                raise TransactionManagementError("the batch was marked for rollback") from cause

    def _run_whole(self, write_many: WriteMany, jobs: list[_Job[Any]]) -> None:
        """Do these jobs with one ``write_many`` call, or raise ``_Apart``.  When they
        are the whole batch (the common case under load) no savepoint is needed, two
        statements fewer in the writer's turn: the caller rolls the batch back."""
        try:
            # What the attempt stored is rolled back if it fails: the instances it gave
            # keys are stored again by each job's own work, under keys of their own.
            with sql.keys_taken_back_on_failure():
                results = _results(write_many, jobs)
        except Exception as exc:
            # Expected now and then (a key that a concurrent request took); each job's own
            # work handles it and answers for it.
            logger.info("group commit: %s together failed (%r); one by one", write_many, exc)
            raise _Apart from exc
        for job, result in zip(jobs, results, strict=True):
            job.result = result
        self.together += len(jobs)

    def _run_all(self, jobs: list[_Job[Any]]) -> None:
        groups: dict[WriteMany, list[_Job[Any]]] = {}
        for job in jobs:
            if job.together is None:
                self._run_one(job)
            else:
                groups.setdefault(job.together.write_many, []).append(job)
        for write_many, group in groups.items():
            try:
                with transaction.atomic(using=self.alias):  # a savepoint: undone if it fails
                    self._run_whole(write_many, group)
            except _Apart as apart:
                self._stop_if_lost(apart.__cause__)
                self.apart += len(group)
                for job in group:
                    self._run_one(job)

    def _run_one(self, job: _Job[Any]) -> None:
        try:
            with transaction.atomic(using=self.alias):  # a savepoint: one job's failure
                job.result = job.work()
        except Exception as exc:
            job.error = exc
            self._stop_if_lost(exc)

    def _stop_if_lost(self, cause: BaseException | None) -> None:
        """After a job (or a group) failed: if its savepoint could not be rolled back,
        the transaction is lost (the connection died: the database server was killed,
        a failover), and nothing more may run in it.  Raise, from the failure, so that
        every job of the batch gets an error that says why (``amanat.core.outage``
        answers it 503 with ``Retry-After``).

        Going on would run the next jobs in a transaction Django has marked for
        rollback: their statements fail with "An error occurred in the current
        transaction", which names no cause: a 500 (the failover drill, once, under
        load; ``tests/test_lost_connection.py``).
        """
        database = connections[self.alias]
        if database.needs_rollback or database.closed_in_transaction:
            raise TransactionManagementError(
                "the batch's transaction was lost with its connection") from cause


def _log_every() -> float:
    """Seconds between two ``WriterLoad`` lines: ``AMANAT_WRITER_LOG_EVERY`` (the
    benchmarks ask for a few seconds), else a minute."""
    try:
        return float(os.environ.get("AMANAT_WRITER_LOG_EVERY", "") or 60.0)
    except ValueError:
        return 60.0


@dataclass
class WriterLoad:
    """How busy this process's writer is, logged once a minute (``amanat.intake.groupcommit``
    at INFO): the share of time it held the writers' turn and waited for it, and what a
    turn took: the writer thread's CPU, and its waits for a CPU (Linux; the rest of a
    turn is the commit's fsync and getting the GIL back after each statement).  Held
    close to 100 % across the processes means the serial path is the limit
    (docs/intake-load.md).  ``bench/election_day.py`` reads these lines.
    """

    every: float = field(default_factory=_log_every)
    since: float = field(default_factory=time.perf_counter)
    batches: int = 0
    jobs: int = 0
    waited: float = 0.0
    held: float = 0.0
    cpu: float = 0.0
    queued: float = 0.0

    def add(self, jobs: int, *, waited: float, held: float, now: float, cpu: float = 0.0,
            queued: float = 0.0) -> None:
        self.batches += 1
        self.jobs += jobs
        self.waited += waited
        self.held += held
        self.cpu += cpu
        self.queued += queued
        if now - self.since >= self.every:
            self.log(now)

    def log(self, now: float) -> None:
        span = max(now - self.since, 1e-9)
        batches = max(self.batches, 1)
        logger.info(
            "group commit, pid %s: %d reports in %d batches (%.1f a batch) in %.1f s;"
            " the writer held the turn %.0f %% of the time and waited for it %.0f %%;"
            " a turn %.2f ms, of which %.2f ms on a CPU and %.2f ms waiting for one%s",
            os.getpid(), self.jobs, self.batches, self.jobs / batches, span,
            100 * self.held / span, 100 * self.waited / span, 1000 * self.held / batches,
            1000 * self.cpu / batches, 1000 * self.queued / batches, pool_saturation(),
        )
        self.since, self.batches, self.jobs, self.waited, self.held = now, 0, 0, 0.0, 0.0
        self.cpu = self.queued = 0.0


_SCHEDSTAT = "/proc/thread-self/schedstat"
_schedstat_readable = os.path.exists(_SCHEDSTAT)


def _runqueue() -> float:
    """Seconds this thread has spent runnable but waiting for a CPU (Linux's schedstat;
    0 elsewhere)."""
    if not _schedstat_readable:
        return 0.0
    try:
        with open(_SCHEDSTAT) as stat:
            return int(stat.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0



def pool_saturation(alias: str = DEFAULT_DB_ALIAS) -> str:
    """With Django's psycopg pool (``AMANAT_DB_POOL``): how saturated this process's pool
    was since the last call (its counters restart), for the writer's minute line.  Many
    requests that waited, or any that timed out (503), mean too small a pool or a
    database that does not keep up (docs/deployment.md)."""
    pool = getattr(connections[alias], "pool", None)
    if pool is None:
        return ""
    stats = pool.pop_stats()
    return (
        f"; connection pool: {stats.get('pool_size', 0)} of {stats.get('pool_max', 0)} open,"
        f" {stats.get('pool_available', 0)} free, {stats.get('requests_num', 0)} lent,"
        f" {stats.get('requests_queued', 0)} waited"
        f" ({stats.get('requests_wait_ms', 0)} ms in all),"
        f" {stats.get('requests_errors', 0)} timed out,"
        f" {stats.get('connections_lost', 0)} lost"
    )


class _Apart(Exception):
    """A batch written together failed: roll it back and run each job alone."""


def _one_group(jobs: list[_Job[Any]]) -> WriteMany | None:
    """The ``write_many`` that every job of the batch shares, if they all share one."""
    first = jobs[0].together if jobs else None
    if first is None:
        return None
    if all(job.together is not None and job.together.write_many is first.write_many
           for job in jobs):
        return first.write_many
    return None


def _results(write_many: WriteMany, jobs: list[_Job[Any]]) -> list[Any]:
    results = list(write_many([job.together.item for job in jobs]))  # type: ignore[union-attr]
    if len(results) != len(jobs):
        raise ValueError(f"{write_many!r} gave {len(results)} results for {len(jobs)} items")
    return results


def _wake(jobs: list[_Job[Any]]) -> None:
    for job in jobs:
        job.done.set()


def _take_the_turn(alias: str) -> None:
    """On PostgreSQL, the first statement of a batch's transaction: lock the audit chain
    head, which every batch's appends lock anyway, BEFORE the batch is collected.

    The writers of all server processes, on every app host, then take turns on that row
    lock as SQLite's writers do on their lock file (``_writers_take_turns``): while one
    commits (its fsync, its synchronous standby) the others wait with their batch still
    open, and what arrives meanwhile joins it.  Locked only once the batch was collected,
    the head was a queue of small batches, each waiting for the others' commits
    (docs/benchmarks.md, "PostgreSQL: intake at its causes").  A lost head row (never in
    practice) locks nothing here; the append recreates it.

    The row it locks is read whole and kept for the batch's first audit append
    (``audit.services.audit_head_held``; the intake's or the ORM's, whichever comes
    first): the append does not read it again (one round trip fewer a batch).
    """
    database = connections[alias]
    if database.vendor == "postgresql":
        audit_head_held(sql.fetch_first(ChainHead, HEAD_FOR_UPDATE))


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


def run(work: Callable[[], T], together: Together | None = None) -> T | Any:
    """Run ``work`` (database writes) so that it has committed when this returns.

    With group commit on, on the process's writer thread together with other requests'
    work (``together``: see ``Together``); otherwise inline in its own transaction.
    """
    return committer.run(work, together)
