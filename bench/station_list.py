"""Benchmark: server time of the station list (/stations/) at national scale.

On a national database (the real geography, the example election and the ~59,000 demo
stations; built in a fresh temporary SQLite file, or ``--db`` a copy kept by
``bench/demo_load.py --keep``), a national observer signed in with 2FA (Django's test
Client, so no network or browser time) requests ~30 filtered, sorted and paginated pages,
``--repeat`` times each after one warm-up.  Reported: p50 and p95 of the server time over
all requests, the slowest pages, and each page's query count and SQL time.

Baseline, in the same run, for the same filters: the naive list (the filtered queryset
without ``select_related``/``only``, a page sliced with the same ``Paginator`` and each row's
county and unit read, one query per relation per row), and the database floor (just the
count and the page's ids for the filter).

    .venv/bin/python bench/station_list.py [--db PATH] [--repeat 5]

Prints JSON.
"""

from __future__ import annotations

import argparse
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

TARGET_P95_MS = 150.0


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
        from amanat.elections.demo import seed_example_election
        from amanat.geo.services import geo_import
        from amanat.stations.demo import seed_demo_stations

        geo_import()
        seed_demo_stations(election=seed_example_election())


def observer_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.models import Membership, Role
    from amanat.accounts.testing import sign_in
    from amanat.geo.models import AdminUnit, Kind

    user, _ = get_user_model().objects.get_or_create(username="bench_observer")
    Membership.objects.get_or_create(
        user=user, role=Role.OBSERVER, unit=AdminUnit.objects.get(kind=Kind.COUNTRY)
    )
    client = Client()
    sign_in(client, user)
    client.get("/")  # settle the session write outside the measurements
    return client, user


def pages() -> list[str]:
    """~30 query strings: scope filters, flags, readiness, sorts and deep pages."""
    from amanat.geo.models import AdminUnit, Kind
    from amanat.lib.persian import search_key

    def unit(kind: str, name: str) -> int:
        return AdminUnit.objects.get(kind=kind, name_key=search_key(name)).pk

    tehran, kerman = unit(Kind.PROVINCE, "تهران"), unit(Kind.PROVINCE, "کرمان")
    sistan = unit(Kind.PROVINCE, "سیستان وبلوچستان")
    tehran_county = AdminUnit.objects.get(kind=Kind.COUNTY, code="2301").pk
    small = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("-code").first()
    assert small is not None
    return [
        "", "page=2", "page=50", "page=600", "page=1180",
        "sort=name", "sort=-name", "sort=voters", "sort=-voters", "sort=county",
        "sort=-updated", "sort=-code&page=300",
        f"province={tehran}", f"province={tehran}&page=100", f"province={kerman}",
        f"province={sistan}&sort=name", f"county={tehran_county}",
        f"county={tehran_county}&page=40&sort=-voters", f"county={small.pk}",
        "sensitive=yes", "sensitive=yes&sort=-voters", "ready=no", "ready=yes&page=200",
        "cctv=none", "cctv=live&sort=name", "fibre=planned", "fibre=none&ready=no",
        f"province={tehran}&ready=no&cctv=none", f"province={kerman}&sensitive=yes",
        "status=active&evoting_planned=yes&page=20", "q=دبستان", "q=0001",
    ]


def measure(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up: caches, compiled templates, SQLite page cache
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def queries_of(fn: Callable[[], Any]) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured), round(sum(float(q["time"]) for q in captured) * 1000, 1)


def baselines(user: Any, query: str) -> dict[str, Callable[[], Any]]:
    """The naive list and the database floor for the filters in ``query``."""
    from django.core.paginator import Paginator
    from django.http import QueryDict

    from amanat.elections.models import Election
    from amanat.geo.models import Kind
    from amanat.stations import selectors
    from amanat.stations.forms import StationFilterForm

    election = Election.objects.current()
    assert election is not None
    form = StationFilterForm(
        QueryDict(query),
        provinces=list(selectors.scoped_units(user, Kind.PROVINCE)),
        counties=list(selectors.scoped_units(user, Kind.COUNTY)),
    )
    assert form.is_valid(), form.errors
    stations = selectors.filter_stations(
        selectors.stations_for_user(user, election), form.cleaned_data
    )
    order = selectors.SORTS[form.cleaned_data.get("sort") or selectors.DEFAULT_SORT]
    number = QueryDict(query).get("page") or 1

    def naive() -> None:
        page = Paginator(stations.order_by(*order), 50).get_page(number)
        for station in page:
            _ = (station.county.name, station.unit.name if station.unit_id else "")

    def floor() -> None:
        page = Paginator(stations.order_by(*order).values_list("pk", flat=True), 50)
        list(page.get_page(number))

    return {"naive": naive, "floor": floor}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return round(ordered[index], 1)


def run(repeat: int) -> dict[str, Any]:
    client, user = observer_client()
    per_page, ours, naive, floor = [], [], [], []
    for query in pages():
        url = f"/stations/?{query}" if query else "/stations/"

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        times = measure(get, repeat)
        count, sql_ms = queries_of(get)
        base = baselines(user, query)
        naive_times, floor_times = measure(base["naive"], repeat), measure(base["floor"], repeat)
        naive_count, _ = queries_of(base["naive"])
        ours += times
        naive += naive_times
        floor += floor_times
        per_page.append({
            "query": query or "(none)", "median_ms": round(statistics.median(times), 1),
            "max_ms": round(max(times), 1), "queries": count, "sql_ms": sql_ms,
            "naive_median_ms": round(statistics.median(naive_times), 1),
            "naive_queries": naive_count,
            "floor_median_ms": round(statistics.median(floor_times), 1),
        })
    return {
        "requests": len(ours),
        "ours_ms": {"p50": percentile(ours, 50), "p95": percentile(ours, 95),
                    "max": round(max(ours), 1)},
        "baseline_naive_ms": {"p50": percentile(naive, 50), "p95": percentile(naive, 95)},
        "baseline_floor_ms": {"p50": percentile(floor, 50), "p95": percentile(floor, 95)},
        "queries_per_page": sorted({p["queries"] for p in per_page}),
        "naive_queries_per_page": sorted({p["naive_queries"] for p in per_page}),
        "slowest_pages": sorted(per_page, key=lambda p: -p["median_ms"])[:8],
        "pages": per_page,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="a national database to copy and use")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        db_path = Path(tmp) / "list.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        start = time.perf_counter()
        setup_django(db_path, fresh=args.db is None)
        prepare = time.perf_counter() - start
        from amanat.stations.models import Station

        result = run(args.repeat)
        p95 = result["ours_ms"]["p95"]
        print(json.dumps({
            "benchmark": "station_list",
            "database": "sqlite (temporary file)",
            "stations": Station.objects.count(),
            "cpu_count": os.cpu_count(),
            "prepare_seconds": round(prepare, 1),
            "repeat": args.repeat,
            "viewer": "national observer (country membership, 2FA verified), Django test Client",
            **result,
            "load_average_at_end": os.getloadavg()[0],
            "targets": {"p95_ms_below": TARGET_P95_MS},
            "targets_met": p95 < TARGET_P95_MS,
        }, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
