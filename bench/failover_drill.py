"""Failover drill: the primary dies under intake load, the synchronous standby takes over,
no acknowledged report is lost and the audit chain verifies across the switch (issue 19).

Run under ``scripts/with-postgres --sync-standby`` (a primary with a synchronous standby,
``synchronous_commit=on``); prints JSON:

    scripts/with-postgres --sync-standby .venv/bin/python bench/failover_drill.py

1. **prepare** the primary's database as ``bench/intake_load.py`` does (geography,
   election, stations, inspectors with API tokens); create an audit signing key and sign
   checkpoint 1.
2. **serve** it with ``amanat serve``, whose ``DATABASE_URL`` lists both hosts with
   ``target_session_attrs=read-write`` (``AMANAT_FAILOVER_URL``): libpq connects to the
   first host that accepts writes.
3. **load**: ``--concurrency`` connections POST reports for ``--duration`` seconds;
   ``--kill-after`` seconds in, every process of the primary (postmaster and backends) is
   SIGKILLed at once, and ``--promote-after`` seconds later the standby is promoted
   (``SELECT pg_promote()``: what an operator or a failover manager does).  Nothing is
   restarted or reconfigured in the app: it answers 503 (``Retry-After``) while no host
   accepts writes, and reconnects by itself.
4. **check**, on the promoted standby: every acknowledged report (2xx) is there under
   its key and reference, with its one audit event (``intake_load.check_database``);
   requests in flight at the kill are retried with their key and body, each giving
   exactly one report; checkpoint 2 is signed by the same signer (it refuses a log that
   does not extend checkpoint 1), the log is exported and ``amanat-verify`` checks it
   against both checkpoints.
5. **server errors** (``server_errors``): the tracebacks the app logged (a 500's cause),
   whole, as ``bench/intake_load.py`` collects them.
6. **time without service** (``unavailable_s``): from the kill to the first report
   acknowledged after the promotion; and, for scale, the longest stretch without an
   acknowledgement in the whole run (``longest_gap_s``).

The drill kills processes, not the machine: the throwaway cluster skips fsync, which a
SIGKILL does not need (the kernel keeps what was written).  A real failover adds the
time to decide to promote (a monitor's timeout); here the promotion follows the kill by
``--promote-after`` seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import itertools
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import intake_load as load  # bench/ is not a package: its folder is on the path

ROOT = load.ROOT


def postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().splitlines()[0])


def kill_server(data: Path) -> int:
    """SIGKILL a PostgreSQL server: the postmaster first (so that it starts nothing
    more), then every process it had started.  Returns how many were killed."""
    pid = postmaster_pid(data)
    children = [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
                if _parent(stat) == pid]
    killed = 0
    for target in [pid, *children]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(target, signal.SIGKILL)
            killed += 1
    return killed


def _parent(stat: Path) -> int | None:
    try:
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def promote(standby_url: str) -> None:
    import psycopg

    with psycopg.connect(standby_url, autocommit=True, connect_timeout=5) as conn:
        conn.execute("SELECT pg_promote(true, 60)")


def sign_checkpoint(key: Path, out: Path) -> str:
    from amanat.audit.services import audit_checkpoint_create

    checkpoint = audit_checkpoint_create(key_path=key, actor_name="failover-drill")
    out.write_text(checkpoint.text, encoding="utf-8")
    return checkpoint.text


def verify_export(work: Path, public_key: str, checkpoints: list[Path]) -> dict[str, Any]:
    """Export the log from the database now serving, and run amanat-verify on it."""
    from amanat.audit.services import audit_chain_problem, audit_export
    from amanat.verify import main as amanat_verify

    export = work / "audit.jsonl"
    with export.open("w", encoding="utf-8") as out:
        exported = audit_export(out=out, fmt="jsonl", actor_name="failover-drill")
    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        code = amanat_verify([str(export), *map(str, checkpoints), "--public-key", public_key])
    return {"events": exported.size, "chain": audit_chain_problem() or "ok",
            "amanat_verify_exit": code, "amanat_verify": said.getvalue().strip()}


def serving_database() -> dict[str, Any]:
    from django.db import close_old_connections, connection

    close_old_connections()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
        recovery, port = cursor.fetchone()
    return {"in_recovery": recovery, "port": port}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0,
                        help="seconds of load, the kill and the promotion included")
    parser.add_argument("--kill-after", type=float, default=6.0)
    parser.add_argument("--promote-after", type=float, default=0.0,
                        help="seconds between the kill and the promotion (detection)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=load.DEFAULT_THREADS)
    parser.add_argument("--pool", type=int, default=0,
                        help="AMANAT_DB_POOL for the server (0: a kept connection per thread)")
    parser.add_argument("--stations", type=int, default=300)
    parser.add_argument("--inspectors", type=int, default=8)
    parser.add_argument("--per-connection", type=int, default=25)
    parser.add_argument("--keep", type=Path, help="keep the work folder here (logs, export)")
    parser.add_argument("--seed", type=int, default=1405)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    need = ["AMANAT_FAILOVER_URL", "AMANAT_STANDBY_URL", "AMANAT_PG_PRIMARY_DATA"]
    missing = [name for name in need if not os.environ.get(name)]
    if missing:
        sys.exit(f"run under scripts/with-postgres --sync-standby ({', '.join(missing)} unset)")
    rng = random.Random(args.seed)
    os.environ["DATABASE_URL"] = os.environ["AMANAT_FAILOVER_URL"]
    os.environ["AMANAT_GROUP_COMMIT"] = "1"
    os.environ["AMANAT_DB_POOL"] = str(args.pool)
    primary = Path(os.environ["AMANAT_PG_PRIMARY_DATA"])
    out: dict[str, Any] = {"workers": args.workers, "threads": args.threads,
                           "concurrency": args.concurrency, "pool": args.pool,
                           "database_url": os.environ["DATABASE_URL"]}
    with load.workdir(args.keep) as work:
        started = time.perf_counter()
        load.setup_django(work)
        out["migrate_s"] = round(time.perf_counter() - started, 1)
        from amanat.audit.services import audit_keygen

        setup = load.prepare(args.stations, args.inspectors)
        out["prepare_s"] = setup["prepare_s"]
        key = work / "audit_ed25519.pem"
        public_key = audit_keygen(path=key)
        checkpoints = [work / "checkpoint-1.txt", work / "checkpoint-2.txt"]
        sign_checkpoint(key, checkpoints[0])
        out["before"] = serving_database()
        from django.db import connections

        connections.close_all()

        sent: set[str] = set()

        def tracked() -> load.Request:
            req = load.new_request(rng, setup["devices"], setup["categories"])
            sent.add(req.key)
            return req

        server = load.Server(load.free_port(), args.workers, args.threads,
                             work / "server.log")
        moments: dict[str, float] = {}

        async def failover(start: float) -> None:
            moments["start"] = start
            await asyncio.sleep(args.kill_after)
            moments["killed"] = time.monotonic()
            out["processes_killed"] = await asyncio.to_thread(kill_server, primary)
            await asyncio.sleep(args.promote_after)
            await asyncio.to_thread(promote, os.environ["AMANAT_STANDBY_URL"])
            moments["promoted"] = time.monotonic()

        try:
            out["server_start_s"] = server.start()
            phase = asyncio.run(load.run_load(
                server.port, args.concurrency, args.duration, 10**6, tracked, failover,
                timeout=10, per_connection=args.per_connection))
            out["load"] = load.summary(phase, args.concurrency)
            killed, promoted = moments["killed"], moments["promoted"]
            before = [a["at"] for a in phase.acked if a["at"] < killed]
            after = [a["at"] for a in phase.acked if a["at"] >= killed]
            acks = sorted(a["at"] for a in phase.acked)
            # The longest stretch without an acknowledgement: where it starts and ends
            # (answers to commits made before the kill may still arrive just after it).
            gap, gap_from, gap_to = max(((b - a, a, b) for a, b in itertools.pairwise(acks)),
                                        default=(0.0, killed, killed))
            out["failover"] = {
                "killed_at_s": round(killed - moments["start"], 2),
                "promote_s": round(promoted - killed, 2),
                # Time without service: from the kill to the first report acknowledged
                # after the promotion (answers that arrive between the kill and the
                # promotion are of commits made before the kill).
                "unavailable_s": round(
                    min((at for at in acks if at >= promoted), default=promoted) - killed, 2)
                if after else None,
                # For scale: the longest stretch without an acknowledgement in the whole
                # run, and where it was (a loaded machine pauses now and then anyway).
                "longest_gap_s": round(gap, 2),
                "longest_gap_from_kill_s": [round(gap_from - killed, 2),
                                            round(gap_to - killed, 2)],
                "acknowledged_before_kill": len(before),
                "acknowledged_after_kill": len(after),
                "in_flight_at_end": len(phase.pending),
            }
            retried = load.retry_pending(server.port, phase.pending)
            # What the app logged for its 500s, whole: a failover must answer 503, and
            # the cause of a rare 500 is found here (the run's log is gone with it).
            out["server_errors"] = load.server_errors([server.log], whole=True)
            out["check"] = load.check_database(phase.acked, retried, sent)
            # In doubt: committed on the standby, but the answer was lost with the
            # primary (a 503 or a dropped connection).  Allowed (a retry with the same
            # key gets the stored answer), and counted.
            out["failover"]["stored_without_acknowledgement"] = (
                out["check"]["reports"] - out["check"]["acknowledged"]
                - out["check"]["retried_created"])
            out["after"] = serving_database()
            sign_checkpoint(key, checkpoints[1])
            out["audit"] = verify_export(work, public_key, checkpoints)
        finally:
            server.stop()
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
