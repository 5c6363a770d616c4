"""Benchmark: an election day of check-ins over HTTP, under load and through a crash.

What it does, in one run (prints JSON; ``per_second``, ``p99_ms`` and ``lost`` at the top):

1. **prepare** a fresh database in a temporary folder: migrate, the national geography,
   the example election, ``--stations`` demo stations and their day rows, one field
   inspector per county and one API token per station, bound to it (a field device);
   the election's check-in windows are set so that all are open now.  SQLite (WAL,
   synchronous=FULL) by default; PostgreSQL when ``DATABASE_URL`` is set
   (``scripts/with-postgres .venv/bin/python bench/election_day.py``).
2. **serve** it with ``amanat serve`` (gunicorn, group commit on) on 127.0.0.1.
3. **baseline**, same run: ``GET /api/v1/me`` for ``--baseline-duration`` seconds.
4. **the day**, compressed: every station's opening (O), then its turnouts (T1, T2,
   T3), with incident check-ins (I) from a few stations between them and a few
   turnouts above the station's registered voters (flagged, quarantined), sent as fast
   as the server answers over ``--concurrency`` keep-alive connections (re-opened every
   ``--per-connection`` requests), each with its own token and a fresh
   ``Idempotency-Key``: rate of 2xx answers, latency percentiles, statuses, server CPU
   per check-in.
5. **closing with a crash**: the closings are sent the same way; ``--kill-after``
   seconds in, the whole server process group is SIGKILLed; it is restarted, every
   request that was in flight (sent, never answered) is retried with its key and body,
   the rest of the closings are sent, and five acknowledged check-ins are sent again.
6. **check** the database against the client's log of acknowledgements: ``lost`` is the
   number of acknowledged check-ins not stored under their key with the answered id;
   also no check-in without a request, one audit event per check-in, complete and
   matching idempotency records, each station's day agreeing with its check-ins, the
   audit chain, SQLite's integrity check.

    .venv/bin/python bench/election_day.py
    .venv/bin/python bench/election_day.py --stations 4000 --concurrency 48
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import shutil
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
sys.path.insert(0, str(ROOT / "bench"))

from intake_load import (  # noqa: E402  (after the path)
    Request,
    Server,
    encode,
    free_port,
    group_cpu,
    pct,
    read_response,
)
from intake_load import writer_load as host_writer_load  # noqa: E402

from amanat.core.management.commands.serve import (  # noqa: E402
    DEFAULT_THREADS,
    default_workers,
)

PATH = "/api/v1/operations/checkins"
# The issue's target on SQLite on a quiet 2-core machine.
TARGET_PER_SECOND, TARGET_P99_MS = 650, 300


# --- prepare ------------------------------------------------------------------------------


def setup_django(workdir: Path) -> str:
    os.environ["AMANAT_VAR_DIR"] = str(workdir)
    os.environ["AMANAT_SQLITE_PATH"] = str(workdir / "election_day.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    return str(connection.vendor)


def prepare(stations: int) -> dict[str, Any]:
    """Geography, election, stations with their day rows, windows open now, one token
    per station (bound to it) of its county's field inspector."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from amanat.accounts.models import Role
    from amanat.accounts.services import api_token_issue, membership_grant_system
    from amanat.elections.demo import seed_example_election
    from amanat.geo.models import AdminUnit
    from amanat.geo.services import geo_import
    from amanat.operations import services
    from amanat.operations.models import Window
    from amanat.stations.demo import seed_demo_stations
    from amanat.stations.models import Station, TokenStation

    started = time.perf_counter()
    geo_import(actor_name="bench")
    election = seed_example_election()
    seed_demo_stations(election=election, target=stations)
    services.windows_default_create(election=election, actor=None)
    now = timezone.now()
    # Every window open now (the day is replayed compressed, the server checks the time).
    Window.objects.filter(election=election).update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=12))
    services.day_prepare(election=election)
    inspectors: dict[int, Any] = {}
    devices = []
    rows = Station.objects.filter(election=election).values_list(
        "pk", "county_id", "county__code", "code", "expected_voters").order_by("pk")
    with transaction.atomic():
        for pk, county_id, county_code, code, registered in rows:
            user = inspectors.get(county_id)
            if user is None:
                user = get_user_model().objects.create_user(
                    username=f"bench-inspector-{county_id}", password=None)
                membership_grant_system(user=user, role=Role.FIELD_INSPECTOR,
                                        unit=AdminUnit.objects.get(pk=county_id),
                                        actor_name="bench")
                inspectors[county_id] = user
            token, plaintext = api_token_issue(user=user, name=f"station {code}", ttl_days=1,
                                               actor=user)
            TokenStation.objects.create(token=token, station_id=pk)
            devices.append({"station": f"{county_code}-{code}", "token": plaintext,
                            "registered": registered or 0})
    return {"devices": devices, "inspectors": len(inspectors),
            "prepare_s": round(time.perf_counter() - started, 1)}


# --- the day ------------------------------------------------------------------------------


def day_plan(devices: list[dict[str, Any]], rng: random.Random
             ) -> tuple[list[Request], list[Request]]:
    """(the day up to the last turnout, the closings): each a list of requests in the
    order they are sent; a station's check-ins come in the day's order."""
    def request(device: dict[str, Any], body: dict[str, Any]) -> Request:
        body = {"station": device["station"], **body}
        return Request(str(uuid.uuid4()), device["token"],
                       json.dumps(body, ensure_ascii=False).encode(), path=PATH)

    turnouts: dict[str, list[int]] = {}
    for device in devices:
        registered = device["registered"]
        shares = (rng.uniform(0.10, 0.20), rng.uniform(0.30, 0.45), rng.uniform(0.50, 0.65))
        turnouts[device["station"]] = [int(registered * share) for share in shares]
    day: list[Request] = []
    for position, window in enumerate(("O", "T1", "T2", "T3")):
        order = list(devices)
        rng.shuffle(order)
        for device in order:
            if window == "O":
                body: dict[str, Any] = {
                    "window": "O",
                    "staff": {"representative": 1, "member": rng.randint(3, 5),
                              "inspector": int(rng.random() < 0.95)},
                    "materials": rng.random() < 0.98, "cameras": rng.random() < 0.97,
                    "network": rng.random() < 0.96}
            else:
                voters = turnouts[device["station"]][position - 1]
                if window == "T2" and rng.random() < 0.005:  # a typing slip: flagged
                    voters = device["registered"] + rng.randint(1, 50)
                body = {"window": window, "voters": voters}
            day.append(request(device, body))
            if window != "O" and rng.random() < 0.01:
                day.append(request(device, {"window": "I", "incidents": rng.choice(
                    ["VB", "CP", "EF", "SD"]), "note": "گزارش از شعبه"}))
    closings = []
    order = list(devices)
    rng.shuffle(order)
    for device in order:
        last = turnouts[device["station"]][-1]
        total = last + rng.randint(0, max(1, device["registered"] // 25))
        closings.append(request(device, {"window": "C", "total": total}))
    return day, closings


@dataclass
class Phase:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    acked: list[dict[str, Any]] = field(default_factory=list)
    pending: list[Request] = field(default_factory=list)  # sent, never answered
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    def count(self, label: str) -> None:
        self.statuses[label] = self.statuses.get(label, 0) + 1


async def one_connection(port: int, phase: Phase, queue: collections.deque[Request],
                         stop_at: float, timeout: float, per_connection: int,
                         stop_on_error: bool) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    sent_here = 0
    while queue and time.monotonic() < stop_at:
        req = queue.popleft()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            start = time.perf_counter()
            writer.write(encode(req))
            status, body, keep = await asyncio.wait_for(read_response(reader), timeout)
            took = time.perf_counter() - start
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
            phase.count(type(exc).__name__)
            if len(phase.errors) < 5:
                phase.errors.append(repr(exc))
            phase.pending.append(req)  # perhaps stored, never acknowledged
            _close(writer)
            writer = None
            if stop_on_error:
                return  # the server is down: the rest waits for the restart
            await asyncio.sleep(0.05)
            continue
        phase.count(f"{-status} replayed" if status < 0 else str(status))
        status = abs(status)
        phase.latencies.append(took)
        if 200 <= status < 300 and req.method == "POST":
            answer = json.loads(body)
            phase.acked.append({"key": req.key, "id": answer["id"], "state": answer["state"],
                                "token": req.token, "body": req.body.decode()})
        elif not 200 <= status < 300 and len(phase.errors) < 5:
            phase.errors.append(f"{status} {body[:300]!r}")
        sent_here += 1
        if not keep or sent_here == per_connection:
            _close(writer)
            writer, sent_here = None, 0
    _close(writer)


def _close(writer: asyncio.StreamWriter | None) -> None:
    if writer is not None:
        writer.close()


async def run_queue(port: int, concurrency: int, queue: collections.deque[Request],
                    duration: float, per_connection: int, *, timeout: float = 30.0,
                    stop_on_error: bool = False, on_tick: Any = None) -> Phase:
    phase = Phase()
    start = time.monotonic()
    tasks = [asyncio.create_task(one_connection(port, phase, queue, start + duration, timeout,
                                                per_connection, stop_on_error))
             for _ in range(concurrency)]
    if on_tick is not None:
        tasks.append(asyncio.create_task(on_tick(start)))
    await asyncio.gather(*tasks)
    phase.elapsed = time.monotonic() - start
    return phase


def summary(phase: Phase, concurrency: int) -> dict[str, Any]:
    ok = sum(n for label, n in phase.statuses.items() if label.startswith("2"))
    return {
        "concurrency": concurrency, "seconds": round(phase.elapsed, 1), "acknowledged": ok,
        "per_second": round(ok / phase.elapsed, 1) if phase.elapsed else 0,
        "p50_ms": pct(phase.latencies, 50), "p90_ms": pct(phase.latencies, 90),
        "p99_ms": pct(phase.latencies, 99), "max_ms": pct(phase.latencies, 100),
        "statuses": phase.statuses,
        "errors": sum(n for s, n in phase.statuses.items() if not s.startswith("2")),
        "error_samples": phase.errors,
    }


def measured(server: Server, concurrency: int, queue: collections.deque[Request],
             args: argparse.Namespace, **options: Any) -> tuple[dict[str, Any], Phase]:
    """A phase with the server's CPU per answered request and the load average."""
    assert server.proc is not None
    pgid = server.proc.pid
    logged = server.log.stat().st_size
    before, client = group_cpu(pgid), time.process_time()
    load = os.getloadavg()[0]
    phase = asyncio.run(run_queue(server.port, concurrency, queue, args.duration,
                                  args.per_connection, **options))
    result = summary(phase, concurrency)
    result["writer"] = writer_load(server.log, logged, phase.elapsed)
    if server.proc is not None and server.proc.pid == pgid:
        after = group_cpu(pgid)
        cpu = sum(after[pid] - before.get(pid, 0.0) for pid in after)
        answered = max(1, len(phase.latencies))
        result["server_cpu_ms_per_request"] = round(cpu * 1000 / answered, 2)
    result["client_cpu_ms_per_request"] = round(
        (time.process_time() - client) * 1000 / max(1, len(phase.latencies)), 2)
    result["load_average"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    return result, phase


def writer_load(log: Path, offset: int, elapsed: float) -> dict[str, Any]:
    """The writers' turns during a phase (``intake_load.writer_load``: batches, the share
    of the phase in which some process held the writers' turn, what a turn took), named
    in check-ins."""
    found = host_writer_load(log, offset, elapsed)
    names = {"reports_a_batch": "check_ins_a_batch",
             "turn_ms_per_report": "turn_ms_per_check_in"}
    return {names.get(key, key): value for key, value in found.items()}


class AmanatServer(Server):
    """``amanat serve`` from this checkout (``python -m amanat.cli``, not the venv's
    entry point, which may import another checkout)."""

    def start(self) -> float:
        started = time.perf_counter()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "amanat.cli", "serve", "--port", str(self.port),
                 "--workers", str(self.workers), "--threads", str(self.threads)],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True, env=os.environ,
                cwd=ROOT)
        deadline = time.monotonic() + 90
        from intake_load import _answers

        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.log}")
            if _answers(self.port):
                return round(time.perf_counter() - started, 2)
            time.sleep(0.2)
        raise RuntimeError("server did not start in 90 s")


# --- checks -------------------------------------------------------------------------------


def check_database(acked: list[dict[str, Any]], sent: set[str], retried: Phase,
                   in_flight: list[Request]) -> dict[str, Any]:
    from django.db import close_old_connections, connection
    from django.db.models import Count

    from amanat.audit.models import Event
    from amanat.audit.services import audit_chain_problem
    from amanat.core.models import IdempotencyRecord
    from amanat.operations.models import Checkin, CheckinState, Flag, Kind, StationDay

    close_old_connections()
    stored = {(key or "::").split(":", 2)[2]: pk for key, pk in Checkin.objects.filter(
        source="api").values_list("client_key", "pk")}
    lost = [a for a in acked if stored.get(a["key"]) != a["id"]]
    events = dict(Event.objects.filter(action="operations.checkin.receive")
                  .values_list("object_id").annotate(n=Count("seq")))
    ids = {str(pk) for pk in stored.values()}
    records = IdempotencyRecord.objects.filter(route=f"POST {PATH}")
    mismatched = sum(1 for key, status, body in records.values_list(
        "key", "status_code", "response_body")
        if 200 <= status < 300 and stored.get(key) != (body or {}).get("id"))
    # Each station's day as its check-ins say it should be (applied in id order).
    expected: dict[int, dict[str, Any]] = {}
    flags = dict(Flag.objects.values_list("checkin_id").annotate(n=Count("id")))
    for c in Checkin.objects.order_by("pk").values(
            "pk", "station_id", "kind", "state", "voters", "total", "received_at"):
        day = expected.setdefault(c["station_id"], {"last_heard_at": None, "opened": False,
                                                    "voters": None, "total": None,
                                                    "flagged": 0})
        if day["last_heard_at"] is None or c["received_at"] >= day["last_heard_at"]:
            day["last_heard_at"] = c["received_at"]
        day["opened"] |= c["kind"] == Kind.OPENING
        if c["state"] != CheckinState.QUARANTINED:
            day["voters"] = c["voters"] if c["voters"] is not None else day["voters"]
            day["total"] = c["total"] if c["total"] is not None else day["total"]
        day["flagged"] += flags.get(c["pk"], 0)
    days_wrong = 0
    for row in StationDay.objects.filter(station_id__in=list(expected)).values(
            "station_id", "last_heard_at", "opened_at", "voters", "total", "flagged"):
        want = expected[row["station_id"]]
        if (row["last_heard_at"] != want["last_heard_at"]
                or (row["opened_at"] is not None) != want["opened"]
                or row["voters"] != want["voters"] or row["total"] != want["total"]
                or row["flagged"] != want["flagged"]):
            days_wrong += 1
    retried_keys = {r.key for r in in_flight}
    integrity = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            integrity = cursor.execute("PRAGMA integrity_check").fetchone()[0]
    return {
        "checkins": len(stored), "acknowledged": len({a["key"] for a in acked}),
        "lost": len(lost),
        "checkins_without_request": sum(1 for key in stored if key not in sent),
        "checkins_without_audit_event": len(ids - set(events)),
        "audit_events_without_checkin": len(set(events) - ids),
        "checkins_with_several_events": sum(1 for n in events.values() if n > 1),
        "quarantined": Checkin.objects.filter(state=CheckinState.QUARANTINED).count(),
        "idempotency_records": records.count(),
        "idempotency_incomplete": records.filter(status_code=0).count(),
        "idempotency_mismatched": mismatched,
        "station_days": len(expected), "station_days_disagreeing": days_wrong,
        "in_flight_at_kill": len(in_flight),
        "in_flight_retried_acknowledged": sum(1 for a in retried.acked
                                              if a["key"] in retried_keys),
        "in_flight_stored_once": sum(1 for key in retried_keys if key in stored),
        "retried_statuses": retried.statuses,
        "audit_chain": audit_chain_problem() or "ok",
        "sqlite_integrity": integrity,
    }


# --- main ---------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--stations", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=48)
    parser.add_argument("--duration", type=float, default=300.0,
                        help="at most this many seconds per phase")
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--threads", type=int, default=DEFAULT_THREADS)
    parser.add_argument("--per-connection", type=int, default=25,
                        help="requests on one connection before it is re-opened (0: never)")
    parser.add_argument("--baseline-duration", type=float, default=15.0,
                        help="seconds of GET /api/v1/me (0: skip)")
    parser.add_argument("--kill-after", type=float, default=3.0,
                        help="seconds into the closings when the server is SIGKILLed")
    parser.add_argument("--no-crash", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the work folder here (logs, DB)")
    parser.add_argument("--seed", type=int, default=1405)
    parser.add_argument("--port", type=int, default=0, help="the server's port (0: a free one)")
    return parser.parse_args()


@contextlib.contextmanager
def workdir(keep: Path | None) -> Iterator[Path]:
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    path = Path(tempfile.mkdtemp(prefix="amanat-day-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> None:
    args = parse_args()
    rng = random.Random(args.seed)
    os.environ["AMANAT_GROUP_COMMIT"] = "1"
    # Each server process logs its writer's turns this often (writer_load reads them).
    os.environ.setdefault("AMANAT_WRITER_LOG_EVERY", "5")
    out: dict[str, Any] = {"workers": args.workers, "threads": args.threads,
                           "concurrency": args.concurrency, "cpus": os.cpu_count(),
                           "load_average_at_start": [round(v, 1) for v in os.getloadavg()]}
    with workdir(args.keep) as work:
        out["database"] = setup_django(work)
        setup = prepare(args.stations)
        out.update(prepare_s=setup["prepare_s"], stations=len(setup["devices"]),
                   inspectors=setup["inspectors"])
        from django.db import connections

        connections.close_all()  # the server is the writer from here on
        day, closings = day_plan(setup["devices"], rng)
        sent = {r.key for r in day} | {r.key for r in closings}
        server = AmanatServer(args.port or free_port(), args.workers, args.threads,
                              work / "server.log")
        acked: list[dict[str, Any]] = []
        try:
            out["server_start_s"] = server.start()
            if args.baseline_duration > 0:
                me = collections.deque(
                    Request("", rng.choice(setup["devices"])["token"], b"", method="GET",
                            path="/api/v1/me") for _ in range(200_000))
                baseline = argparse.Namespace(**{**vars(args),
                                                 "duration": args.baseline_duration})
                out["baseline_me"], _ = measured(server, args.concurrency, me, baseline)
                print(json.dumps(out["baseline_me"]), file=sys.stderr)
            queue = collections.deque(day)
            out["day"], phase = measured(server, args.concurrency, queue, args)
            out["day"]["check_ins_planned"] = len(day)
            acked += phase.acked
            print(json.dumps(out["day"]), file=sys.stderr)
            queue = collections.deque(closings)
            if args.no_crash:
                out["closing"], phase = measured(server, args.concurrency, queue, args)
                acked += phase.acked
                in_flight: list[Request] = []
                retried = Phase()
            else:
                killed: list[float] = []

                async def killer(start: float) -> None:
                    await asyncio.sleep(args.kill_after)
                    await asyncio.to_thread(server.kill)
                    killed.append(time.monotonic() - start)

                crash = asyncio.run(run_queue(server.port, args.concurrency, queue,
                                              args.duration, args.per_connection, timeout=10,
                                              stop_on_error=True, on_tick=killer))
                acked += crash.acked
                in_flight = crash.pending
                restart = server.start()
                # The devices retry what got no answer, same key and body.
                retried = asyncio.run(run_queue(server.port, 1,
                                                collections.deque(in_flight), 120, 0))
                acked += retried.acked
                rest, phase = measured(server, args.concurrency, queue, args)
                acked += phase.acked
                again = [Request(a["key"], a["token"], a["body"].encode(), path=PATH)
                         for a in crash.acked[-5:]]
                replayed = asyncio.run(run_queue(server.port, 1, collections.deque(again),
                                                 60, 0))
                same = [r["id"] for r in replayed.acked] == [a["id"] for a in crash.acked[-5:]]
                out["closing"] = {
                    **summary(crash, args.concurrency),
                    "killed_at_s": round(killed[0], 2) if killed else None,
                    "restart_s": restart, "in_flight_at_kill": len(in_flight),
                    "after_restart": rest,
                    "acknowledged_retried_same_id": same,
                    "acknowledged_retried_statuses": replayed.statuses,
                }
            server.stop()
            out["check"] = check_database(acked, sent, retried, in_flight)
        finally:
            server.stop()
    result = {"per_second": out["day"]["per_second"], "p99_ms": out["day"]["p99_ms"],
              "lost": out["check"]["lost"],
              "target_met": (out["day"]["per_second"] >= TARGET_PER_SECOND
                             and (out["day"]["p99_ms"] or 1e9) < TARGET_P99_MS
                             and out["day"]["errors"] == 0 and out["check"]["lost"] == 0),
              **out}
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
