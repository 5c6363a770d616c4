"""Benchmark: the election-day dashboard's JSON data answer at national scale.

On a national database (the real geography, the example election and its ~59,000 demo
stations with their day rows; built in a fresh temporary SQLite file, or ``--db`` a copy
of a loaded demo database), the stations' day is put in the middle of the afternoon
(every station opened, most heard from within the quiet period, some silent, some
closed, some flagged, turnout so far on every row) unless ``--as-is``; then users
signed in with 2FA (Django's test Client: no network or browser) request the data answer
``--repeat`` times each after one warm-up: a national administrator (the country's
provinces), a Tehran province officer (its counties) and a county governor (its
stations).  Reported: p50 and p95 of the server time, CPU time, query counts and SQL time,
and the machine's load average (the machine is shared).

Baselines, in the same run:

* ``naive``: the same national figures written as a first version would, one count per
  province and figure (8 figures × 31 provinces of ORM queries with the province's
  subtree filter on ``unit_path``), without the view around it.
* ``floor``: one plain ``COUNT(*)`` of the election's day rows: the least any national
  answer costs on this database.

    .venv/bin/python bench/election_day_dashboard.py [--db PATH] [--repeat 20] [--as-is]

Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_P95_MS = 200.0
CPU: list[float] = []


def setup_django(db_path: Path, fresh: bool) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ["AMANAT_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if fresh:
        call_command("load_demo", verbosity=0)


def afternoon(seed: int = 16) -> dict[str, int]:
    """Every day row in the middle of the afternoon (one bulk write)."""
    from django.db import transaction
    from django.utils import timezone

    from amanat.core import bulk
    from amanat.elections.models import Election
    from amanat.operations import services
    from amanat.operations.models import DaySettings, StationDay, Window

    rng = random.Random(seed)
    election = Election.objects.current()
    assert election is not None
    services.windows_default_create(election=election, actor=None)
    services.day_prepare(election=election)
    now = timezone.now()
    # The first window opened hours ago: silence counts.
    Window.objects.filter(election=election, code="O").update(
        opens_at=now - datetime.timedelta(hours=8))
    settings, _created = DaySettings.objects.get_or_create(election=election)
    quiet = settings.silent_after_minutes
    rows = []
    counts = {"silent": 0, "closed": 0, "flagged": 0}
    for pk, registered in StationDay.objects.filter(election=election).values_list(
            "pk", "registered"):
        roll = rng.random()
        heard = now - datetime.timedelta(minutes=rng.uniform(0, quiet * 0.9))
        closed = None
        if roll < 0.005:
            heard = now - datetime.timedelta(minutes=quiet + rng.uniform(1, 300))
            counts["silent"] += 1
        elif roll < 0.02:
            closed = heard
            counts["closed"] += 1
        flagged = 1 if rng.random() < 0.003 else 0
        counts["flagged"] += flagged
        rows.append((pk, (now - datetime.timedelta(hours=8), heard, closed,
                          int(registered * rng.uniform(0.3, 0.6)), flagged, "turnout")))
    with transaction.atomic():
        bulk.update_rows(StationDay, ["opened_at", "last_heard_at", "closed_at", "voters",
                                      "flagged", "last_kind"], rows)
    counts["stations"] = len(rows)
    return counts


def client_for(username: str, role: str, kind: str, code: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.models import Membership
    from amanat.accounts.testing import sign_in
    from amanat.geo.models import AdminUnit

    user, _ = get_user_model().objects.get_or_create(username=username)
    Membership.objects.get_or_create(user=user, role=role,
                                     unit=AdminUnit.objects.get(kind=kind, code=code))
    client = Client()
    sign_in(client, user)
    client.get("/")  # settle the session write outside the measurements
    return client


def measure(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up
    times = []
    CPU.clear()
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        CPU.append((time.process_time() - cpu) * 1000)
    return times


def queries_of(fn: Callable[[], Any]) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured), round(sum(float(q["time"]) for q in captured) * 1000, 1)


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def summary(times: list[float], queries: tuple[int, float]) -> dict[str, Any]:
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95(times), 1),
            "max_ms": round(max(times), 1), "cpu_p50_ms": round(statistics.median(CPU), 1),
            "cpu_p95_ms": round(p95(CPU), 1), "queries": queries[0], "sql_ms": queries[1]}


def naive() -> list[dict[str, Any]]:
    """The national figures, one count per province and figure."""
    from django.db.models import Sum
    from django.utils import timezone

    from amanat.elections.models import Election
    from amanat.geo.models import AdminUnit, Kind
    from amanat.geo.paths import under
    from amanat.operations.models import StationDay

    election = Election.objects.current()
    cutoff = timezone.now() - datetime.timedelta(minutes=60)
    rows = []
    for province in AdminUnit.objects.filter(kind=Kind.PROVINCE):
        days = StationDay.objects.filter(under("unit_path", province.path), election=election)
        rows.append({
            "id": province.pk,
            "stations": days.count(),
            "opened": days.filter(opened_at__isnull=False).count(),
            "reporting": days.filter(last_heard_at__gte=cutoff).count(),
            "silent": days.filter(closed_at__isnull=True, last_heard_at__lt=cutoff).count(),
            "closed": days.filter(closed_at__isnull=False).count(),
            "flagged": days.filter(flagged__gt=0).count(),
            "voters": days.aggregate(n=Sum("voters"))["n"],
            "registered": days.aggregate(n=Sum("registered"))["n"],
        })
    return rows


def floor() -> int:
    from amanat.elections.models import Election
    from amanat.operations.models import StationDay

    return StationDay.objects.filter(election=Election.objects.current()).count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a loaded demo database (copied, not changed)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--as-is", action="store_true",
                        help="measure the database's day as it is (after a simulation)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amanat-bench-dashboard-"))
    try:
        db_path = workdir / "bench.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        setup_django(db_path, fresh=not args.db)
        from django.urls import reverse

        from amanat.accounts.models import Role
        from amanat.elections.models import Election
        from amanat.geo.models import AdminUnit, Kind

        state = {"as_is": True} if args.as_is else afternoon()
        election = Election.objects.current()
        assert election is not None
        units = {
            "national": (AdminUnit.objects.get(kind=Kind.COUNTRY),
                         client_for("bench_national", Role.NATIONAL_ADMIN, Kind.COUNTRY, "IR")),
            "provincial": (AdminUnit.objects.get(kind=Kind.PROVINCE, code="23"),
                           client_for("bench_tehran", Role.HQ_STAFF, Kind.PROVINCE, "23")),
            "county": (AdminUnit.objects.get(kind=Kind.COUNTY, code="2321"),
                       client_for("bench_gharchak", Role.GOVERNOR, Kind.COUNTY, "2321")),
        }
        results: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()],
                                   "state": state}
        for name, (unit, client) in units.items():
            url = reverse("operations:dashboard_data", args=[unit.pk]) + \
                f"?election={election.slug}"

            def answer(client: Any = client, url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200, response.status_code

            results[f"data_{name}"] = summary(measure(answer, args.repeat), queries_of(answer))
            results[f"data_{name}"]["bytes"] = len(client.get(url).content)
        results["baseline_naive_national"] = summary(measure(naive, args.repeat),
                                                     queries_of(naive))
        results["baseline_floor_count"] = summary(measure(floor, args.repeat), queries_of(floor))
        national = results["data_national"]["p95_ms"]
        results["target_p95_ms"] = TARGET_P95_MS
        results["national_within_target"] = national < TARGET_P95_MS
        results["speedup_vs_naive_p50"] = round(
            results["baseline_naive_national"]["p50_ms"] / results["data_national"]["p50_ms"], 1)
        results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
