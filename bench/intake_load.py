"""Benchmark: election-day report intake over HTTP, under load and through a crash.

What it does, in one run (prints JSON):

1. **prepare** a fresh database in a temporary folder: migrate, the national geography
   (``geo_import``), the example election, ``--stations`` demo stations, and
   ``--inspectors`` field inspectors (one per county, each with an API token).
   SQLite (WAL, synchronous=FULL, as configured) by default; PostgreSQL when
   ``DATABASE_URL`` is set (``scripts/with-postgres .venv/bin/python bench/intake_load.py``).
2. **serve** it with ``amanat serve`` (gunicorn, ``--workers``/``--threads``) on
   127.0.0.1 in its own process group.
3. **load**: for each ``--concurrency`` level, that many keep-alive HTTP/1.1 connections
   (asyncio, no third-party client) POST ``/api/v1/incidents/reports`` with a fresh
   ``Idempotency-Key`` each, back to back, for ``--duration`` seconds; the rate of 2xx
   answers, p50/p90/p99/max latency and errors are reported.  Every 2xx answer (key,
   reference) goes to an acknowledgement log.
4. **crash** (unless ``--no-crash``): load again, SIGKILL the whole server process group
   ``--kill-after`` seconds in, restart it, then
   - every acknowledged report (all phases) is in the database under its key and
     reference, and nothing else is (no report without a request);
   - no partial record: every report has exactly one ``incidents.report.receive`` audit
     event and every such event its report; every idempotency record is complete (no
     reservation without an answer) and matches its report; the hash chain verifies
     (``audit_chain_problem``); SQLite ``PRAGMA integrity_check`` is ok;
   - every request that was in flight at the kill (sent, never answered) is retried
     with the same key and body: each yields exactly one report; an acknowledged one
     retried gives the same reference.

Bounded: each phase stops after ``--duration`` seconds or ``--max-requests``; the
server is stopped (process group) at the end whatever happens.

    .venv/bin/python bench/intake_load.py --concurrency 8,16,32 --duration 60
    scripts/with-postgres .venv/bin/python bench/intake_load.py --duration 60
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amanat.core.management.commands.serve import (  # noqa: E402  (after the path)
    DEFAULT_THREADS,
    default_workers,
)

PATH = "/api/v1/incidents/reports"
TEXTS = [
    "پخش پول در صف رأی‌دهندگان",
    "تبلیغ نامزد در محوطه شعبه",
    "قطع برق شعبه و توقف رأی‌گیری",
    "ازدحام و درگیری لفظی در ورودی شعبه",
    "خرابی دستگاه احراز هویت",
]
CATEGORIES = ["VB", "CP", "EQ", "DS", "TH"]


# --- prepare ------------------------------------------------------------------------------


def setup_django(workdir: Path) -> str:
    """Point Django at the bench's database (SQLite file or DATABASE_URL) and migrate."""
    os.environ["AMANAT_VAR_DIR"] = str(workdir)
    os.environ["AMANAT_SQLITE_PATH"] = str(workdir / "intake.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return str(connection.vendor)


def prepare(stations: int, inspectors: int) -> dict[str, Any]:
    """Geography, election, stations, inspectors with tokens; returns what the client needs."""
    from django.contrib.auth import get_user_model

    from amanat.accounts.models import Role
    from amanat.accounts.services import api_token_issue, membership_grant_system
    from amanat.elections.demo import seed_example_election
    from amanat.geo.models import AdminUnit
    from amanat.geo.services import geo_import
    from amanat.incidents.selectors import active_categories
    from amanat.stations.demo import seed_demo_stations
    from amanat.stations.models import Station

    started = time.perf_counter()
    geo_import(actor_name="bench")
    election = seed_example_election()
    seed_demo_stations(election=election, target=stations)
    codes = set(active_categories().values_list("sms_code", flat=True))
    categories = [c for c in CATEGORIES if c in codes] or sorted(c for c in codes if c)
    # The counties with the most stations, one inspector each.
    by_county: dict[int, list[str]] = {}
    for county_id, county_code, code in Station.objects.filter(election=election).values_list(
        "county_id", "county__code", "code"
    ):
        by_county.setdefault(county_id, []).append(f"{county_code}-{code}")
    chosen = sorted(by_county, key=lambda c: -len(by_county[c]))[:inspectors]
    devices = []
    for n, county_id in enumerate(chosen):
        user = get_user_model().objects.create_user(username=f"bench-inspector-{n}", password=None)
        membership_grant_system(user=user, role=Role.FIELD_INSPECTOR,
                                unit=AdminUnit.objects.get(pk=county_id), actor_name="bench")
        _, token = api_token_issue(user=user, name="bench device", ttl_days=1, actor=user)
        devices.append({"token": token, "stations": by_county[county_id]})
    return {"devices": devices, "categories": categories,
            "stations": sum(len(v) for v in by_county.values()),
            "prepare_s": round(time.perf_counter() - started, 1)}


# --- server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    port: int
    workers: int
    threads: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start ``amanat serve`` in a new session (its own process group); wait until up."""
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [str(ROOT / ".venv/bin/amanat"), "serve", "--port", str(self.port),
                 "--workers", str(self.workers), "--threads", str(self.threads)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log}")
            if _answers(self.port):
                return round(time.perf_counter() - started, 2)
            time.sleep(0.2)
        raise RuntimeError("server did not start in 60 s")

    def kill(self) -> None:
        """SIGKILL the whole group: master and every worker, mid-request."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
            self.proc = None


def group_cpu(pgid: int) -> dict[int, float]:
    """User + system CPU seconds of each live process in the server's process group."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # field 5 of stat (pgrp), after pid and comm
            ticks = int(fields[11]) + int(fields[12])  # utime, stime
            found[int(stat.parent.name)] = ticks / os.sysconf("SC_CLK_TCK")
    return found



def _stat(pid: int) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def database_cpu() -> float | None:
    """CPU seconds of the PostgreSQL primary of ``scripts/with-postgres`` (its postmaster,
    its live processes, and those that ended: the postmaster's children's times) and of
    its pgbouncer, if any; None when not known (another database)."""
    data = os.environ.get("AMANAT_PG_PRIMARY_DATA")
    if not data:
        return None
    try:
        postmaster = int((Path(data) / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _stat(int(stat.parent.name))
        if fields is None:
            continue
        pid = int(stat.parent.name)
        if pid == postmaster:  # utime, stime, cutime, cstime
            total += sum(int(v) for v in fields[11:15]) / tick
        elif int(fields[1]) == postmaster:
            total += (int(fields[11]) + int(fields[12])) / tick
    bouncer = os.environ.get("AMANAT_PGBOUNCER_PID")
    if bouncer:
        with contextlib.suppress(OSError, ValueError):
            fields = _stat(int(Path(bouncer).read_text().split()[0]))
            if fields is not None:
                total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            # A cheap answer (401): the OpenAPI document is built anew for each request,
            # and the probes that time out while the workers start stay queued.
            s.sendall(b"GET /api/v1/me HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
            return s.recv(12).startswith(b"HTTP/1.")
    except OSError:
        return False


# --- the load client ----------------------------------------------------------------------


@dataclass
class Request:
    key: str
    token: str
    body: bytes
    method: str = "POST"  # the baseline phase sends GET /api/v1/me
    path: str = PATH


@dataclass
class Phase:
    """What one load phase saw."""

    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    acked: list[dict[str, Any]] = field(default_factory=list)  # key, reference, status
    pending: list[Request] = field(default_factory=list)  # sent, never answered
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def count(self, label: str) -> None:
        self.statuses[label] = self.statuses.get(label, 0) + 1


def new_request(rng: random.Random, devices: list[dict[str, Any]], categories: list[str]
                ) -> Request:
    device = rng.choice(devices)
    body = {"category": rng.choice(categories), "station_code": rng.choice(device["stations"]),
            "text": rng.choice(TEXTS) + f" ({rng.randrange(10**6)})"}
    return Request(str(uuid.uuid4()), device["token"],
                   json.dumps(body, ensure_ascii=False).encode())


def encode(req: Request) -> bytes:
    if req.method == "GET":
        return (f"GET {req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {req.token}\r\n\r\n").encode()
    head = (f"POST {req.path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {req.token}\r\nIdempotency-Key: {req.key}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(req.body)}\r\n\r\n")
    return head.encode() + req.body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, keep-alive) of one HTTP/1.1 response with a Content-Length."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines[0].startswith("HTTP/1."):
        raise ValueError(f"not an HTTP response: {head[:120]!r}")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in
               (line.partition(":") for line in lines[1:] if line)}
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    if headers.get("idempotent-replayed") == "true":
        status = -status  # a replay of a stored answer (see one_connection)
    return status, body, headers.get("connection", "").lower() != "close"


async def one_connection(port: int, phase: Phase, stop_at: float, budget: list[int],
                         make: Any, timeout: float, per_connection: int) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    sent_here = 0  # on this connection: after per_connection requests it is re-opened
    while time.monotonic() < stop_at and budget[0] > 0:
        budget[0] -= 1
        req = make()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            phase.pending.append(req)
            start = time.perf_counter()
            writer.write(encode(req))
            status, body, keep = await asyncio.wait_for(read_response(reader), timeout)
            took = time.perf_counter() - start
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            phase.count(type(exc).__name__)
            if len(phase.errors) < 5:
                phase.errors.append(repr(exc))
            _close(writer)
            writer = None
            await asyncio.sleep(0.05)  # a dead server: don't spin
            continue
        phase.pending.remove(req)
        phase.count(f"{-status} replayed" if status < 0 else str(status))
        status = abs(status)
        phase.latencies.append(took)
        if 200 <= status < 300 and req.method == "POST":
            phase.acked.append({"key": req.key, "reference": json.loads(body)["reference"],
                                "status": status, "token": req.token,
                                "body": req.body.decode(), "at": time.monotonic()})
        elif not 200 <= status < 300 and len(phase.errors) < 5:
            phase.errors.append(f"{status} {body[:200]!r}")
        sent_here += 1
        if not keep or sent_here == per_connection:
            _close(writer)
            writer, sent_here = None, 0
    _close(writer)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()


async def run_load(port: int, concurrency: int, duration: float, max_requests: int,
                   make: Any, on_tick: Any = None, timeout: float = 30.0,
                   per_connection: int = 0) -> Phase:
    phase = Phase()
    budget = [max_requests]
    start = time.monotonic()
    stop_at = start + duration
    tasks = [asyncio.create_task(one_connection(port, phase, stop_at, budget, make, timeout,
                                                per_connection))
             for _ in range(concurrency)]
    if on_tick is not None:
        tasks.append(asyncio.create_task(on_tick(start)))
    await asyncio.gather(*tasks)
    phase.elapsed = time.monotonic() - start
    return phase


def pct(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000, 1)


def summary(phase: Phase, concurrency: int) -> dict[str, Any]:
    ok = sum(n for label, n in phase.statuses.items() if label.startswith("2"))
    return {
        "concurrency": concurrency, "seconds": round(phase.elapsed, 1),
        "acknowledged": ok, "per_second": round(ok / phase.elapsed, 1) if phase.elapsed else 0,
        "p50_ms": pct(phase.latencies, 50), "p90_ms": pct(phase.latencies, 90),
        "p99_ms": pct(phase.latencies, 99), "max_ms": pct(phase.latencies, 100),
        "statuses": phase.statuses, "errors": sum(
            n for s, n in phase.statuses.items() if not s.startswith("2")),
        "error_samples": phase.errors,
    }


# --- checks after the crash ----------------------------------------------------------------


def retry_pending(port: int, pending: list[Request]) -> Phase:
    """Send each unanswered request again, same key and body, one connection, in order."""
    queue = list(pending)

    def make() -> Request:
        return queue.pop(0)

    return asyncio.run(run_load(port, 1, 120, len(queue), make))


def check_database(acked: list[dict[str, Any]], retried: Phase, sent_keys: set[str]
                   ) -> dict[str, Any]:
    from django.db import close_old_connections, connection
    from django.db.models import Count

    from amanat.audit.models import Event
    from amanat.audit.services import audit_chain_problem
    from amanat.core.models import IdempotencyRecord
    from amanat.incidents.models import Channel, Report

    close_old_connections()
    reports = {(key or ":").split(":", 1)[1]: (ref, pk) for key, ref, pk in Report.objects.filter(
        channel=Channel.API).values_list("client_key", "reference", "pk")}
    missing = [a for a in acked if reports.get(a["key"], (None,))[0] != a["reference"]]
    unexpected = [k for k in reports if k not in sent_keys]
    events = Event.objects.filter(action="incidents.report.receive")
    per_report = dict(events.values_list("object_id").annotate(n=Count("seq")))
    report_ids = {str(pk) for _, pk in reports.values()}
    records = IdempotencyRecord.objects.filter(route=f"POST {PATH}")
    incomplete = records.filter(status_code=0).count()
    mismatched = sum(
        1 for key, body in records.values_list("key", "response_body")
        if reports.get(key, (None,))[0] != body.get("reference"))
    retried_refs = [a["reference"] for a in retried.acked]
    integrity = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            integrity = cursor.execute("PRAGMA integrity_check").fetchone()[0]
    return {
        "reports": len(reports), "acknowledged": len({a["key"] for a in acked}),
        "acknowledged_missing": len(missing),
        "reports_without_request": len(unexpected),
        "reports_without_audit_event": len(report_ids - set(per_report)),
        "audit_events_without_report": len(set(per_report) - report_ids),
        "reports_with_several_events": sum(1 for n in per_report.values() if n > 1),
        "idempotency_records": records.count(),
        "idempotency_incomplete": incomplete,
        "idempotency_mismatched": mismatched,
        "retried_after_restart": len(retried.acked) + len(retried.pending),
        "retried_acknowledged": len(retried.acked),
        "retried_replayed": retried.statuses.get("201 replayed", 0),
        "retried_created": retried.statuses.get("201", 0),
        "retried_distinct_references": len(set(retried_refs)),
        "audit_chain": audit_chain_problem() or "ok",
        "sqlite_integrity": integrity,
    }


# --- main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--concurrency", default="16,48,64",
                        help="comma-separated connection counts, one phase each")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per phase")
    # amanat serve's own defaults (2 x cores processes, 12 threads each).
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--baseline-duration", type=float, default=20.0,
                        help="seconds of GET /api/v1/me (0: skip), the same run's baseline")
    parser.add_argument("--stations", type=int, default=3000)
    parser.add_argument("--inspectors", type=int, default=20)
    parser.add_argument("--group-commit", choices=["on", "off"], default="on",
                        help="AMANAT_GROUP_COMMIT for the server (amanat/intake/groupcommit.py)")
    parser.add_argument("--no-crash", action="store_true")
    parser.add_argument("--crash-concurrency", type=int, default=16)
    parser.add_argument("--kill-after", type=float, default=10.0)
    parser.add_argument("--keep", type=Path, help="keep the work folder here (logs, DB)")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument(
        "--per-connection", type=int, default=25,
        help="requests on one connection before it is closed and opened again (0: never);"
             " election-day reports come from thousands of devices, not from a few that"
             " hold one connection each for the whole minute")
    return parser.parse_args()


@contextlib.contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="amanat-intake-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def crash_phase(server: Server, args: argparse.Namespace, make: Any,
                sent: set[str]) -> tuple[dict[str, Any], Phase]:
    killed_at: list[float] = []

    async def killer(start: float) -> None:
        await asyncio.sleep(args.kill_after)
        await asyncio.to_thread(server.kill)
        killed_at.append(time.monotonic() - start)

    def tracked() -> Request:
        req = make()
        sent.add(req.key)
        return req

    phase = asyncio.run(run_load(server.port, args.crash_concurrency, args.kill_after + 3,
                                 args.max_requests, tracked, killer, timeout=5))
    restart = server.start()
    info = summary(phase, args.crash_concurrency)
    info.update(killed_at_s=round(killed_at[0], 2) if killed_at else None,
                restart_s=restart, in_flight_at_kill=len(phase.pending))
    return info, phase


# The issue's target on SQLite on this machine.
TARGET_PER_SECOND, TARGET_P99_MS = 500, 250


def measure(server: Server, level: int, duration: float, max_requests: int, make: Any,
            per_connection: int = 0) -> tuple[dict[str, Any], Phase]:
    """One load phase, with the server's and the client's CPU per answered request."""
    assert server.proc is not None
    before, client_cpu = group_cpu(server.proc.pid), time.process_time()
    database_before = database_cpu()
    load_before = os.getloadavg()[0]
    phase = asyncio.run(run_load(server.port, level, duration, max_requests, make,
                                 per_connection=per_connection))
    result = summary(phase, level)
    after = group_cpu(server.proc.pid)
    database_after = database_cpu()
    spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    cpu = sum(spent.values())
    ok = max(1, len(phase.latencies))
    result.update(per_connection=per_connection or None,
                  # How the work split between processes (gunicorn's workers, the
                  # master, the task worker): a lopsided split caps throughput.
                  server_cpu_share=sorted((round(v / cpu, 2) for v in spent.values()
                                           if cpu and v / cpu >= 0.01), reverse=True),
                  server_cpu_ms_per_request=round(cpu * 1000 / ok, 2),
                  # PostgreSQL's processes (and pgbouncer's), when scripts/with-postgres
                  # started them: the app's and the database's CPU together.
                  database_cpu_ms_per_request=None if database_before is None
                  or database_after is None
                  else round((database_after - database_before) * 1000 / ok, 2),
                  client_cpu_ms_per_request=round(
                      (time.process_time() - client_cpu) * 1000 / ok, 2),
                  load_average=[round(load_before, 1), round(os.getloadavg()[0], 1)])
    return result, phase


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    levels = [int(c) for c in args.concurrency.split(",") if c]
    os.environ["AMANAT_GROUP_COMMIT"] = "1" if args.group_commit == "on" else "0"
    out: dict[str, Any] = {"workers": args.workers, "threads": args.threads,
                           "group_commit": args.group_commit, "duration_s": args.duration}
    with workdir(args.keep) as work:
        out["database"] = setup_django(work)
        if out["database"] == "sqlite":
            out["sqlite"] = "WAL, synchronous=FULL"
        else:  # how the server processes reach PostgreSQL (docs/decisions/0005)
            out["connections"] = (
                "pgbouncer, transaction mode" if os.environ.get("AMANAT_DB_PGBOUNCER")
                else f"psycopg pool of {os.environ['AMANAT_DB_POOL']} per process"
                if os.environ.get("AMANAT_DB_POOL", "0") not in {"", "0"}
                else "one kept per thread (CONN_MAX_AGE=60)")
        setup = prepare(args.stations, args.inspectors)
        out["prepare_s"], out["stations"] = setup["prepare_s"], setup["stations"]
        out["devices"] = len(setup["devices"])
        from django.db import connections

        connections.close_all()  # the server is the writer from here on

        def make() -> Request:
            return new_request(rng, setup["devices"], setup["categories"])

        sent: set[str] = set()

        def tracked() -> Request:
            req = make()
            sent.add(req.key)
            return req

        server = Server(free_port(), args.workers, args.threads, work / "server.log")
        acked: list[dict[str, Any]] = []
        try:
            out["server_start_s"] = server.start()
            if args.baseline_duration > 0:
                def me() -> Request:
                    return Request("", rng.choice(setup["devices"])["token"], b"",
                                   method="GET", path="/api/v1/me")

                out["baseline_me"], _ = measure(server, max(levels), args.baseline_duration,
                                                args.max_requests, me, args.per_connection)
                print(json.dumps(out["baseline_me"]), file=sys.stderr)
            out["load"] = []
            for level in levels:
                result, phase = measure(server, level, args.duration, args.max_requests,
                                        tracked, args.per_connection)
                acked += phase.acked
                result["target_met"] = (result["per_second"] >= TARGET_PER_SECOND
                                        and (result["p99_ms"] or 1e9) < TARGET_P99_MS
                                        and result["errors"] == 0)
                out["load"].append(result)
                print(json.dumps(out["load"][-1]), file=sys.stderr)
            if not args.no_crash:
                out["crash"], phase = crash_phase(server, args, make, sent)
                acked += phase.acked
                # Retry what was in flight, and a few acknowledged ones: same key, same body.
                again = [Request(a["key"], a["token"], a["body"].encode())
                         for a in phase.acked[-5:]]
                retried = retry_pending(server.port, phase.pending + again)
                out["crash"]["retried_acknowledged_again"] = len(again)
                same = all(r["reference"] == a["reference"] for r, a in
                           zip(retried.acked[-len(again):], phase.acked[-5:], strict=False))
                out["crash"]["acknowledged_retry_same_reference"] = same
                server.stop()
                out["check"] = check_database(acked, retried, sent)
        finally:
            server.stop()
        (work / "acknowledged.jsonl").write_text(
            "".join(json.dumps({"key": a["key"], "reference": a["reference"]}) + "\n"
                    for a in acked))
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
