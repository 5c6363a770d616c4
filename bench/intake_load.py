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
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
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
    var_dir: Path | None = None  # an app "host" of its own (``--hosts``): its var folder

    def start(self) -> float:
        """Start ``amanat serve`` in a new session (its own process group); wait until up.

        ``python -m amanat.cli`` from this checkout (the venv's entry point may import
        another checkout's code)."""
        started = time.perf_counter()
        env = dict(os.environ)
        if self.var_dir is not None:
            self.var_dir.mkdir(parents=True, exist_ok=True)
            env["AMANAT_VAR_DIR"] = str(self.var_dir)
        env["PYTHONPATH"] = str(ROOT)
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "amanat.cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers), "--threads", str(self.threads)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=env,
                cwd=ROOT,
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


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SITE = ROOT / "deploy" / "nginx" / "amanat.conf"


def nginx_site(upstreams: list[int], port: int) -> str:
    """The repository's nginx site (deploy/nginx/amanat.conf, which ``test_behind_nginx``
    starts), for the bench: its upstream lists every app host, and its TLS server listens on
    ``port`` in plain HTTP (the client's TLS would cost the shared cores what the
    server's does not measure); the redirecting port-80 server is left out."""
    import re

    site = SITE.read_text()
    servers = "\n".join(f"    server 127.0.0.1:{p};" for p in upstreams)
    site = re.sub(r"upstream amanat \{.*?\n\}", "upstream amanat {\n" + servers + "\n}",
                  site, count=1, flags=re.S)
    site = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", site, count=1, flags=re.S)
    site = site.replace("listen 443 ssl;", f"listen 127.0.0.1:{port};")
    site = re.sub(r"\n\s*ssl_certificate(_key)? [^;]*;", "", site)
    return site


@dataclass
class Nginx:
    """Debian's nginx in the foreground, unprivileged, in a folder of its own (as
    ``amanat/accounts/tests/test_behind_nginx.py`` starts it), in front of the hosts."""

    folder: Path
    upstreams: list[int]
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        temp = "\n".join(f"    {kind}_temp_path {self.folder / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        user = "user root;" if os.geteuid() == 0 else ""
        conf = self.folder / "nginx.conf"
        conf.write_text(f"""{user}
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    access_log off;
{temp}
{nginx_site(self.upstreams, self.port)}
}}
""")
        error_log = self.folder / "error.log"
        self.proc = subprocess.Popen(
            [NGINX, "-p", str(self.folder), "-c", str(conf), "-e", str(error_log),
             "-g", f"daemon off; pid {self.folder / 'nginx.pid'}; error_log {error_log} warn;"],
            start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nginx exited: see {error_log}")
            if _answers(self.port):
                return
            time.sleep(0.1)
        raise RuntimeError("nginx did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


@dataclass
class Hosts:
    """``--hosts`` app servers (each ``amanat serve`` with its own var folder and port),
    behind one nginx when there are several (or ``--nginx``); the client talks to
    ``port``."""

    servers: list[Server]
    proxy: Nginx | None = None

    @property
    def port(self) -> int:
        return self.proxy.port if self.proxy is not None else self.servers[0].port

    @property
    def log(self) -> Path:
        return self.servers[0].log

    def start(self) -> float:
        took = max(server.start() for server in self.servers)
        if self.proxy is not None and self.proxy.proc is None:
            self.proxy.start()
        return took

    def kill(self) -> None:
        for server in self.servers:
            server.kill()

    def stop(self) -> None:
        for server in self.servers:
            server.stop()

    def close(self) -> None:
        self.stop()
        if self.proxy is not None:
            self.proxy.stop()

    def cpu(self) -> dict[int, float]:
        found: dict[int, float] = {}
        for server in self.servers:
            if server.proc is not None:
                found.update(group_cpu(server.proc.pid))
        return found

    def proxy_cpu(self) -> float | None:
        if self.proxy is None or self.proxy.proc is None:
            return None
        return sum(group_cpu(self.proxy.proc.pid).values())


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
        "--database", choices=["auto", "sqlite", "postgres", "both"], default="auto",
        help="auto: PostgreSQL when DATABASE_URL is set, else SQLite; postgres: a throwaway"
             " cluster through scripts/with-postgres unless DATABASE_URL is set; both:"
             " SQLite and PostgreSQL one after the other, --rounds times, in one JSON")
    parser.add_argument("--rounds", type=int, default=1,
                        help="with --database both: SQLite then PostgreSQL, this many times")
    parser.add_argument("--hosts", type=int, default=1,
                        help="app hosts: amanat serve process groups, each with its own var"
                             " folder and port, behind one nginx (deploy/nginx/amanat.conf)")
    parser.add_argument("--nginx", action="store_true",
                        help="nginx in front even of one host")
    parser.add_argument("--statements", action="store_true",
                        help="PostgreSQL: count the statements per request"
                             " (pg_stat_statements, loaded in the throwaway cluster)")
    parser.add_argument("--json-out", type=Path, help=argparse.SUPPRESS)
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


def crash_phase(server: Hosts, args: argparse.Namespace, make: Any,
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


def measure(server: Hosts, level: int, duration: float, max_requests: int, make: Any,
            per_connection: int = 0, statements: bool = False) -> tuple[dict[str, Any], Phase]:
    """One load phase, with the server's and the client's CPU per answered request."""
    before, client_cpu = server.cpu(), time.process_time()
    database_before, proxy_before = database_cpu(), server.proxy_cpu()
    load_before = os.getloadavg()[0]
    logged = [s.log.stat().st_size if s.log.exists() else 0 for s in server.servers]
    if statements:
        pg_statements_reset()
    phase = asyncio.run(run_load(server.port, level, duration, max_requests, make,
                                 per_connection=per_connection))
    result = summary(phase, level)
    after = server.cpu()
    database_after, proxy_after = database_cpu(), server.proxy_cpu()
    spent = {pid: after[pid] - before.get(pid, 0.0) for pid in after}
    cpu = sum(spent.values())
    ok = max(1, len(phase.latencies))
    database = (None if database_before is None or database_after is None
                else round((database_after - database_before) * 1000 / ok, 2))
    result.update(per_connection=per_connection or None,
                  # How the work split between processes (gunicorn's workers, the
                  # master, the task worker): a lopsided split caps throughput.
                  server_cpu_share=sorted((round(v / cpu, 2) for v in spent.values()
                                           if cpu and v / cpu >= 0.01), reverse=True),
                  server_cpu_ms_per_request=round(cpu * 1000 / ok, 2),
                  # PostgreSQL's processes (and pgbouncer's), when scripts/with-postgres
                  # started them: the app's and the database's CPU together.
                  database_cpu_ms_per_request=database,
                  proxy_cpu_ms_per_request=None if proxy_before is None or proxy_after is None
                  else round((proxy_after - proxy_before) * 1000 / ok, 2),
                  client_cpu_ms_per_request=round(
                      (time.process_time() - client_cpu) * 1000 / ok, 2),
                  load_average=[round(load_before, 1), round(os.getloadavg()[0], 1)])
    # The issue's measure: the app's and the database's CPU per answered request.
    result["cpu_ms_per_request"] = round(result["server_cpu_ms_per_request"]
                                         + (database or 0.0), 2)
    writer = [writer_load(s.log, offset, phase.elapsed)
              for s, offset in zip(server.servers, logged, strict=True)]
    writer = [w for w in writer if w]
    if writer:
        result["writer"] = writer if len(writer) > 1 else writer[0]
    if statements:
        result["statements"] = pg_statements(ok)
    return result, phase


WRITER_LINE = re.compile(
    r"group commit, pid (\d+): (\d+) reports in (\d+) batches .*? in ([\d.]+) s;"
    r" the writer held the turn (\d+) % of the time and waited for it (\d+) %;"
    r" a turn ([\d.]+) ms, of which ([\d.]+) ms on a CPU and ([\d.]+) ms waiting for one")


def writer_load(log: Path, offset: int, elapsed: float) -> dict[str, Any]:
    """The writers' turns of one host during a phase, from the lines each server process
    logs every ``AMANAT_WRITER_LOG_EVERY`` seconds (``intake.groupcommit.WriterLoad``;
    ``bench/election_day.py`` reads them the same way): batches, reports a batch, the
    share of the phase in which some process held the turn, what a turn took."""
    if not log.exists():
        return {}
    with log.open("rb") as lines:
        lines.seek(offset)
        text = lines.read().decode(errors="replace")
    found = [m.groups() for m in WRITER_LINE.finditer(text)]
    if not found:
        return {}
    jobs = sum(int(g[1]) for g in found)
    batches = sum(int(g[2]) for g in found)
    held = sum(float(g[4]) / 100 * float(g[3]) for g in found)
    span = sum(float(g[3]) for g in found) / len({g[0] for g in found})

    def per_turn(position: int) -> float:
        return round(sum(float(g[position]) * int(g[2]) for g in found) / max(batches, 1), 2)

    return {"batches": batches, "reports_a_batch": round(jobs / max(batches, 1), 1),
            "turn_held_share": round(held / max(span, elapsed, 1e-9), 2),
            "turn_ms": per_turn(6), "turn_cpu_ms": per_turn(7),
            "turn_waiting_for_a_cpu_ms": per_turn(8),
            "turn_ms_per_report": round(held * 1000 / max(jobs, 1), 2)}


# --- PostgreSQL: statements per request (pg_stat_statements) ----------------------------


def pg_statements_reset() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_statements_reset()")
    connection.close()


def pg_statements(answered: int) -> dict[str, Any]:
    """What PostgreSQL ran during the phase, per answered request: every statement is a
    round trip from the app (psycopg sends each on its own; BEGIN and COMMIT too)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT calls, total_exec_time, regexp_replace(query, '\\s+', ' ', 'g')"
            " FROM pg_stat_statements WHERE query NOT LIKE '%%pg_stat_statements%%'"
            " ORDER BY calls DESC")
        rows = cursor.fetchall()
    connection.close()
    calls = sum(r[0] for r in rows)
    # The foreign keys' checks that PostgreSQL runs inside an INSERT are listed too;
    # they are no round trips.
    inside = sum(r[0] for r in rows if "FOR KEY SHARE OF x" in r[2])
    return {
        "per_request": round(calls / answered, 2),
        "round_trips_per_request": round((calls - inside) / answered, 2),
        "exec_ms_per_request": round(sum(r[1] for r in rows) / answered, 3),
        "top": [{"per_request": round(r[0] / answered, 3), "ms": round(r[1] / max(r[0], 1), 3),
                 "query": r[2][:160]} for r in rows[:25]],
    }


def main() -> None:
    args = parse_args()
    if args.database == "both" or (args.database == "postgres"
                                   and not os.environ.get("DATABASE_URL")):
        print(json.dumps(compare(args), indent=2, ensure_ascii=False))
        return
    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
    out = one_run(args)
    if args.json_out is not None:
        args.json_out.write_text(json.dumps(out, ensure_ascii=False))
    print(json.dumps(out, indent=2, ensure_ascii=False))


def child(args: argparse.Namespace, database: str, work: Path) -> dict[str, Any]:
    """This bench again in a process of its own on ``database`` (Django's settings are
    read once per process): PostgreSQL in a fresh durable cluster of
    ``scripts/with-postgres`` (``AMANAT_PG_DURABLE=1`` unless set)."""
    out = work / f"{database}-{time.monotonic_ns()}.json"
    argv = list(sys.argv[1:])
    command = [sys.executable, str(Path(__file__).resolve()), *argv,
               "--database", database, "--json-out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    if database == "postgres":
        env.setdefault("AMANAT_PG_DURABLE", "1")
        if args.statements:
            env["AMANAT_PG_OPTIONS"] = "-c shared_preload_libraries=pg_stat_statements"
        command = [str(ROOT / "scripts" / "with-postgres"), *command]
    started = time.monotonic()
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
    if done.returncode != 0 or not out.exists():
        return {"database": database, "failed": done.returncode}
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_s"] = round(time.monotonic() - started, 1)
    return result


def _pick(run: dict[str, Any]) -> dict[str, Any]:
    """A run's figures that the comparison needs: the highest concurrency's load phase."""
    load = (run.get("load") or [{}])[-1]
    me = run.get("baseline_me") or {}
    return {"reports_per_second": load.get("per_second"), "p99_ms": load.get("p99_ms"),
            "errors": load.get("errors"),
            "cpu_ms_per_report": load.get("cpu_ms_per_request"),
            "me_per_second": me.get("per_second"), "me_errors": me.get("errors"),
            "cpu_ms_per_me": me.get("cpu_ms_per_request")}


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if a and b else None


def compare(args: argparse.Namespace) -> dict[str, Any]:
    """SQLite and PostgreSQL from the same run, interleaved (``--rounds``): the shared
    machine's load changes by the minute, so each PostgreSQL figure is set against the
    SQLite figure measured just before it."""
    databases = ["sqlite", "postgres"] if args.database == "both" else ["postgres"]
    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="amanat-intake-cmp-") as tmp:
        for n in range(args.rounds if args.database == "both" else 1):
            runs = {db: child(args, db, Path(tmp)) for db in databases}
            entry: dict[str, Any] = {"round": n + 1, **runs}
            if len(runs) == 2:
                lite, pg = _pick(runs["sqlite"]), _pick(runs["postgres"])
                entry["postgres_against_sqlite"] = {
                    "sqlite": lite, "postgres": pg,
                    "reports_per_second": _ratio(pg["reports_per_second"],
                                                 lite["reports_per_second"]),
                    "me_per_second": _ratio(pg["me_per_second"], lite["me_per_second"]),
                    "cpu_ms_per_report": _ratio(pg["cpu_ms_per_report"],
                                                lite["cpu_ms_per_report"]),
                    "cpu_ms_per_me": _ratio(pg["cpu_ms_per_me"], lite["cpu_ms_per_me"]),
                }
                print(json.dumps(entry["postgres_against_sqlite"]), file=sys.stderr)
            rounds.append(entry)
    return {"hosts": args.hosts, "rounds": rounds}


def one_run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    levels = [int(c) for c in args.concurrency.split(",") if c]
    os.environ["AMANAT_GROUP_COMMIT"] = "1" if args.group_commit == "on" else "0"
    # Each server process logs its writer's turns this often (writer_load reads them).
    os.environ.setdefault("AMANAT_WRITER_LOG_EVERY", "5")
    out: dict[str, Any] = {"workers": args.workers, "threads": args.threads,
                           "hosts": args.hosts,
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
            out["postgres"] = ("durable (fsync, synchronous_commit=on)"
                               if os.environ.get("AMANAT_PG_DURABLE") == "1"
                               else "fsync=off, synchronous_commit=off")
        statements = args.statements and out["database"] == "postgresql"
        if statements:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
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

        servers = [Server(free_port(), args.workers, args.threads,
                          work / f"server-{n + 1}.log" if args.hosts > 1 else work / "server.log",
                          var_dir=work / f"host-{n + 1}" if args.hosts > 1 else None)
                   for n in range(args.hosts)]
        proxy = (Nginx(work / "nginx", [s.port for s in servers])
                 if args.hosts > 1 or args.nginx else None)
        server = Hosts(servers, proxy)
        if proxy is not None:
            # nginx passes the client's address; the app believes it only from nginx.
            os.environ.setdefault("AMANAT_TRUSTED_PROXIES", "127.0.0.1,::1")
        acked: list[dict[str, Any]] = []
        try:
            out["server_start_s"] = server.start()
            if args.baseline_duration > 0:
                def me() -> Request:
                    return Request("", rng.choice(setup["devices"])["token"], b"",
                                   method="GET", path="/api/v1/me")

                out["baseline_me"], _ = measure(server, max(levels), args.baseline_duration,
                                                args.max_requests, me, args.per_connection,
                                                statements)
                print(json.dumps(out["baseline_me"]), file=sys.stderr)
            out["load"] = []
            for level in levels:
                result, phase = measure(server, level, args.duration, args.max_requests,
                                        tracked, args.per_connection, statements)
                acked += phase.acked
                result["target_met"] = (result["per_second"] >= TARGET_PER_SECOND
                                        and (result["p99_ms"] or 1e9) < TARGET_P99_MS
                                        and result["errors"] == 0)
                out["load"].append(result)
                print(json.dumps(out["load"][-1]), file=sys.stderr)
            out["server_errors"] = server_errors(s.log for s in server.servers)
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
            server.close()
        (work / "acknowledged.jsonl").write_text(
            "".join(json.dumps({"key": a["key"], "reference": a["reference"]}) + "\n"
                    for a in acked))
    return out


_CHAINED = ("The above exception was the direct cause", "During handling of the above")


def server_errors(logs: Iterable[Path], whole: bool = False) -> list[str]:
    """The tracebacks the servers logged in ``logs`` (a 500's cause), each distinct one
    once, at most 10: the exception's line (the last of a traceback), or with ``whole``
    the whole traceback, chained ones included (the failover drill: its rare 500s are
    read from its JSON, the run's log being gone)."""
    found: list[str] = []
    for log in logs:
        if not log.exists():
            continue
        lines = log.read_text(errors="replace").splitlines()
        n = 0
        while n < len(lines):
            if not lines[n].startswith("Traceback"):
                n += 1
                continue
            start, end = n, _traceback_end(lines, n)
            # "The above exception was the direct cause of the following exception:",
            # a blank line, and the next traceback of the chain.
            while (end is not None and end + 3 < len(lines)
                   and lines[end + 2].startswith(_CHAINED)
                   and lines[end + 4:end + 5] and lines[end + 4].startswith("Traceback")):
                end = _traceback_end(lines, end + 4)
            if end is None:
                break
            text = "\n".join(lines[start:end + 1]) if whole else lines[end]
            if text not in found:
                found.append(text)
            n = end + 1
    return found[:10]


def _traceback_end(lines: list[str], start: int) -> int | None:
    """The line of the exception that ends the traceback starting at ``start``."""
    return next((m for m in range(start + 1, min(start + 200, len(lines)))
                 if lines[m] and not lines[m].startswith(" ")), None)


if __name__ == "__main__":
    main()
