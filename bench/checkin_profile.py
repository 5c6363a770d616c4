"""Where a check-in's server CPU goes: ``POST /api/v1/operations/checkins`` through
``amanat.wsgi.application`` in this process, one at a time, under cProfile.

Runs on a database that ``bench/election_day.py --keep DIR`` left (its windows are open
for 12 hours after it was prepared).  Group commit is on, so the writes go to the
writer thread as in the server; the profile is of the request thread (lookups, checks,
rules, building the rows and events), and the writer's part is timed apart by calling
``intake.checkins.store_many`` for batches of prepared check-ins.

    .venv/bin/python bench/checkin_profile.py /tmp/day --requests 2000
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--stations", type=int, default=50)
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    os.environ["AMANAT_VAR_DIR"] = str(args.workdir)
    os.environ["AMANAT_SQLITE_PATH"] = str(args.workdir / "election_day.sqlite3")
    os.environ["AMANAT_GROUP_COMMIT"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # serve()'s host
    from amanat.accounts.models import Membership
    from amanat.accounts.services import api_token_issue
    from amanat.intake import groupcommit
    from amanat.intake.tests.conftest import serve
    from amanat.operations.models import StationDay
    from amanat.stations.models import Station, TokenStation

    # The bench's day ended with every station's closing, after which a station takes no
    # turnout: open them again (this is the bench's own copy of the database).
    StationDay.objects.update(closed_at=None)

    devices = []
    for station in Station.objects.select_related("county").order_by("pk")[:args.stations]:
        member = Membership.objects.filter(unit_id=station.county_id,
                                           role="field_inspector").first()
        if member is None:
            continue
        token, plaintext = api_token_issue(user=member.user, name="profile", ttl_days=1,
                                           actor=member.user)
        TokenStation.objects.create(token=token, station=station)
        devices.append((plaintext, f"{station.county.code}-{station.code}",
                        station.expected_voters))

    def one(n: int) -> None:
        token, code, registered = devices[n % len(devices)]
        body = json.dumps({"station": code, "window": "T3", "voters": registered}).encode()
        answer = serve("/api/v1/operations/checkins", method="POST", body=body,
                       headers={"Authorization": f"Bearer {token}",
                                "Idempotency-Key": str(uuid.uuid4())})
        if answer.status != 201:
            raise SystemExit(f"{answer.status} {answer.content[:300]!r}")

    for n in range(50):  # warm up: caches, the writer thread
        one(n)
    me = [0.0]

    def baseline(n: int) -> None:
        token = devices[n % len(devices)][0]
        started = time.process_time()
        serve("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        me[0] += time.process_time() - started

    for n in range(args.requests // 4):
        baseline(n)
    # Without the profiler first: the process's CPU (both threads) per check-in.
    plain, thread = time.process_time(), time.thread_time()
    for n in range(args.requests):
        one(n)
    plain, thread = time.process_time() - plain, time.thread_time() - thread
    profile = cProfile.Profile(time.thread_time)  # CPU, not wall: the machine is shared
    cpu, wall = time.process_time(), time.perf_counter()
    profile.enable()
    for n in range(args.requests):
        one(n)
    profile.disable()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    writer = groupcommit.committer
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).sort_stats("cumulative")
    stats.print_stats(args.top)
    print(out.getvalue(), file=sys.stderr)
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue(), file=sys.stderr)
    print(json.dumps({
        "requests": args.requests,
        "cpu_ms_per_checkin": round(plain * 1000 / args.requests, 2),
        # Of which the request thread's (the rest: the writer thread, batches of one here).
        "request_thread_cpu_ms": round(thread * 1000 / args.requests, 2),
        # The same under the profiler (its overhead included).
        "profiled_cpu_ms_per_checkin": round(cpu * 1000 / args.requests, 2),
        "wall_ms_per_checkin": round(wall * 1000 / args.requests, 2),
        "baseline_me_cpu_ms": round(me[0] * 1000 / (args.requests // 4), 2),
        "writer_batches": writer.batches, "writer_together": writer.together,
    }, indent=2))


if __name__ == "__main__":
    main()
