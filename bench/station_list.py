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
import contextlib
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
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
        "status=active&page=20", "q=دبستان", "q=0001",
    ]


# CPU milliseconds of this process per request, next to wall time: the database is
# in-process SQLite, so it is nearly all of the server's work, and unlike wall time it
# does not grow when other jobs share the machine's two cores.
CPU_MS: dict[str, list[float]] = {}


def measure(fn: Callable[[], Any], repeat: int, label: str = "") -> list[float]:
    fn()  # warm-up: caches, compiled templates, SQLite page cache
    times = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        CPU_MS.setdefault(label, []).append((time.process_time() - cpu) * 1000)
    return times


def queries_of(fn: Callable[[], Any]) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured), round(sum(float(q["time"]) for q in captured) * 1000, 1)


@contextlib.contextmanager
def naive_rows() -> Iterator[None]:
    """The list as a first version would write it: the filtered queryset in order, no
    ``select_related``/``only`` (the template's county and unit names then cost a query
    per row)."""
    from amanat.stations import selectors

    original = selectors.station_rows

    def naive(stations: Any, sort: str) -> Any:
        return stations.order_by(*selectors.SORTS.get(sort, selectors.SORTS["code"]))

    selectors.station_rows = naive
    try:
        yield
    finally:
        selectors.station_rows = original


@contextlib.contextmanager
def root_scope_unfiltered() -> Iterator[None]:
    """PROPOSED change, measured here only: a scope path that is the tree's root (the
    country) adds no condition, since every unit lies below it.  The range on
    ``unit_path`` otherwise steers SQLite onto the (election, unit_path) index, which
    reads and sorts every station for every page a national user opens."""
    from amanat.accounts import access
    from amanat.stations import selectors

    original = selectors.scope_queryset

    def scope(user: Any, qs: Any, *, action: str, path_field: str = "unit__path",
              model_label: str | None = None) -> Any:
        label = model_label or qs.model._meta.label_lower
        if any(path.count("/") == 1 for path in access.scope_paths(user, label, action)):
            return qs
        return original(user, qs, action=action, path_field=path_field,
                        model_label=model_label)

    selectors.scope_queryset = scope
    try:
        yield
    finally:
        selectors.scope_queryset = original


def floor_for(user: Any, query: str) -> Callable[[], Any]:
    """The database floor for the filters in ``query``: the count and the page's ids."""
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

    def floor() -> None:
        page = Paginator(stations.order_by(*order).values_list("pk", flat=True), 50)
        list(page.get_page(number))

    return floor


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return round(ordered[rank - 1], 1)


VARIANTS: dict[str, Callable[[], contextlib.AbstractContextManager[None]]] = {
    "ours": contextlib.nullcontext,
    "baseline_naive": naive_rows,
    "proposed_root_scope_unfiltered": root_scope_unfiltered,
}


def run(repeat: int) -> dict[str, Any]:
    client, user = observer_client()
    times: dict[str, list[float]] = {name: [] for name in [*VARIANTS, "baseline_floor"]}
    per_page = []
    for query in pages():
        url = f"/stations/?{query}" if query else "/stations/"

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        row: dict[str, Any] = {"query": query or "(none)"}
        for name, variant in VARIANTS.items():
            with variant():
                measured = measure(get, repeat, name)
                count, sql_ms = queries_of(get)
            times[name] += measured
            row[name] = {"median_ms": round(statistics.median(measured), 1),
                         "queries": count, "sql_ms": sql_ms}
        measured = measure(floor_for(user, query), repeat, "baseline_floor")
        times["baseline_floor"] += measured
        row["baseline_floor_median_ms"] = round(statistics.median(measured), 1)
        per_page.append(row)
    summary: dict[str, dict[str, Any]] = {
        name: {"p50_ms": percentile(values, 50), "p95_ms": percentile(values, 95),
               "max_ms": round(max(values), 1),
               "cpu_p50_ms": percentile(CPU_MS[name], 50),
               "cpu_p95_ms": percentile(CPU_MS[name], 95)}
        for name, values in times.items()
    }
    for name in VARIANTS:
        summary[name]["queries_per_page"] = sorted({p[name]["queries"] for p in per_page})
    return {
        "requests_per_variant": len(times["ours"]),
        "summary": summary,
        "slowest_pages_ours": sorted(
            ({"query": p["query"], **p["ours"]} for p in per_page),
            key=lambda p: -p["median_ms"],
        )[:6],
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
        p95 = result["summary"]["ours"]["p95_ms"]
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
