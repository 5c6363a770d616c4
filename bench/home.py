"""Benchmark: server time of the signed-in home page ("my work") at national scale.

On a national database (the real geography, the example election, ~59,000 demo stations,
the demo incidents and councils; built in a fresh temporary SQLite file, or ``--db`` a
copy of a loaded demo database), users signed in with 2FA (Django's test Client: no
network or browser time) request ``/`` ``--repeat`` times each after one warm-up: a
national administrator (the roll-up by province), a Tehran province officer (by county)
and a county governor.  Reported: p50 and p95 of the server time, query counts and SQL
time.

Baselines, in the same run:

* ``naive``: the same national roll-up written as a first version would, one count per
  province and figure (7 figures × 31 provinces of ORM queries, each with the province's
  subtree filter), without the page around it.
* ``home_national_gaps_uncached``: the national page with the readiness gaps' minute
  in the cache thrown away before every request (the first request after a change).
* ``figures``: the previous home page (the national counts of the geography, one query),
  through the same middleware: the floor of a page on this stack.

    .venv/bin/python bench/home.py [--db PATH] [--repeat 20]

Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
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

TARGET_P95_MS = 300.0


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


# CPU milliseconds of this process per request, next to wall time: the database is
# in-process SQLite, so it is nearly all of the server's work, and unlike wall time it
# does not grow when other jobs share the machine's two cores.
CPU: list[float] = []


def measure(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up: compiled templates, SQLite page cache
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


def naive_rollup() -> list[dict[str, Any]]:
    """The national roll-up, one count per province and figure."""
    from django.db.models import Min
    from django.utils import timezone

    from amanat.councils.models import ActionItem, Meeting
    from amanat.elections.models import Election
    from amanat.geo.models import AdminUnit, Kind
    from amanat.geo.paths import under
    from amanat.incidents.models import Case, Report
    from amanat.stations.models import Cctv, Fibre, Station

    now = timezone.now()
    today = timezone.localdate(now)
    election = Election.objects.current()
    rows = []
    for province in AdminUnit.objects.filter(kind=Kind.PROVINCE):
        cases = Case.objects.open().filter(under("unit_path", province.path))
        stations = Station.objects.filter(under("unit_path", province.path), election=election)
        rows.append({
            "unit": province.pk,
            "untriaged": Report.objects.filter(under("unit_path", province.path),
                                               case_link__isnull=True).count(),
            "overdue": cases.filter(due_at__lt=now).count(),
            "near": cases.filter(due_at__gte=now,
                                 due_at__lt=now + datetime.timedelta(days=1)).count(),
            "no_cctv": stations.filter(cctv=Cctv.NONE).count(),
            "no_fibre": stations.filter(evoting_planned=True)
            .exclude(fibre=Fibre.CONNECTED).count(),
            "actions": ActionItem.objects.open().filter(
                under("decision__meeting__council__unit_path", province.path),
                due_on__lte=today + datetime.timedelta(days=7)).count(),
            "next_meeting": Meeting.objects.filter(
                under("council__unit_path", province.path), held_on__gte=today,
            ).aggregate(first=Min("held_on"))["first"],
        })
    rows.sort(key=lambda r: (-r["overdue"], -r["untriaged"]))
    return rows


def signed_out_figures() -> Any:
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    from amanat.site.views import home

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    return home(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a loaded demo database (copied, not changed)")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="amanat-bench-home-"))
    try:
        db_path = workdir / "bench.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        setup_django(db_path, fresh=not args.db)
        from django.core.cache import cache

        from amanat.accounts.models import Role
        from amanat.geo.models import Kind
        from amanat.site.selectors import GAPS_CACHE_KEY

        clients = {
            "national": client_for("bench_national", Role.NATIONAL_ADMIN, Kind.COUNTRY, "IR"),
            "provincial": client_for("bench_tehran", Role.HQ_STAFF, Kind.PROVINCE, "23"),
            "county": client_for("bench_gharchak", Role.GOVERNOR, Kind.COUNTY, "2321"),
        }
        results: dict[str, Any] = {}
        for name, client in clients.items():
            def page(client: Any = client) -> None:
                assert client.get("/").status_code == 200
            results[f"home_{name}"] = summary(measure(page, args.repeat), queries_of(page))

        def cold(client: Any = clients["national"]) -> None:
            cache.delete(GAPS_CACHE_KEY)  # the readiness gaps counted again every time
            assert client.get("/").status_code == 200
        results["home_national_gaps_uncached"] = summary(measure(cold, args.repeat),
                                                         queries_of(cold))
        results["baseline_naive_rollup"] = summary(measure(naive_rollup, args.repeat),
                                                   queries_of(naive_rollup))
        results["baseline_figures_page"] = summary(measure(signed_out_figures, args.repeat),
                                                   queries_of(signed_out_figures))
        national = results["home_national"]["p95_ms"]
        results["target_p95_ms"] = TARGET_P95_MS
        results["national_within_target"] = national < TARGET_P95_MS
        results["repeat"] = args.repeat
        print(json.dumps(results, indent=2))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
