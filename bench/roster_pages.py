"""Benchmark: the staffing roster pages at national scale (issue 14, "Scale and speed").

In a fresh temporary SQLite file: the real geography, the example election and its ~59,000
demo stations (the project's own loaders), then a synthetic national register of
``--people`` (default 450,000) ``staffing.Person`` rows spread over the counties in
proportion to their stations (posts, genders, mobiles, a home place among the county's
station places), ``--assignments`` (default ~410,000) ``staffing.Assignment`` rows (most
posts filled, one post per person) and a ``Roster`` per county, all through
``core.bulk.insert_rows``.  ``--scale`` takes a fraction of the people and assignments.

Pages timed through Django's test Client as signed-in users (server time, no network),
``--repeat`` times each after one warm-up; p50/p95 and the query count of each:

* the county list (``staffing:counties``) as the national administrator (448 counties)
  and as a province's governor (Tehran province);
* the county page (``staffing:county``) of the largest county and of a small one;
* the people list (``staffing:people``) of the largest and a small county, with and
  without a text search, and a deep page;
* a station's posts (``staffing:station``) in the largest county.

The query count of each page is compared between the small and the largest county (it
must not grow with the data).  Baseline in the same run: the pages with the selectors
swapped for the naive reads a first version would write (a count per county, a count per
station, each person's home place and each post's person read one by one).

    .venv/bin/python bench/roster_pages.py [--repeat 20] [--scale 1.0] [--db KEPT] [--keep]

Prints JSON on stdout (progress on stderr).  The machine is shared: compare with the
baseline of the same run and read the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
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
PEOPLE = 450_000
ASSIGNMENTS = 410_000

FIRST = ["علی", "مریم", "رضا", "زهرا", "حسین", "فاطمه", "محمد", "نرگس", "مهدی", "لیلا",
         "سارا", "امیر", "کاوه", "شیرین", "بهرام", "پریسا"]
LAST = ["احمدی", "کریمی", "حسینی", "رضایی", "موسوی", "صادقی", "افشار", "باقری", "نوری",
        "جعفری", "رحیمی", "اکبری", "شریفی", "قاسمی", "یزدانی", "امیری", "نظری", "صفری"]


def log(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), file=sys.stderr, flush=True)


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ["AMANAT_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(people_total: int, assignments_total: int, seed: int) -> dict[str, Any]:
    """The national world: geography, election, demo stations, people, posts, rosters."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from amanat.core.bulk import insert_rows
    from amanat.elections.demo import seed_example_election
    from amanat.geo.models import AdminUnit, Kind
    from amanat.geo.services import geo_import
    from amanat.lib.nationalid import with_check_digit
    from amanat.lib.persian import search_key
    from amanat.staffing.assignment import members_per_station, post_slots
    from amanat.staffing.models import Assignment, Person, Roster
    from amanat.stations.demo import seed_demo_stations
    from amanat.stations.models import Station, Status

    timings: dict[str, float] = {}
    started = time.perf_counter()
    geo_import()
    election = seed_example_election()
    seed_demo_stations(election=election)
    timings["geography_and_stations_s"] = round(time.perf_counter() - started, 1)
    log(stage="stations", elapsed_s=timings["geography_and_stations_s"])

    rng = random.Random(seed)
    counties = list(AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("code")
                    .values_list("pk", "path"))
    stations: dict[int, list[tuple[int, int, str]]] = {pk: [] for pk, _ in counties}
    for pk, county_id, unit_id, path in (Station.objects.filter(
            election=election, status=Status.ACTIVE).order_by("pk")
            .values_list("pk", "county_id", "unit_id", "unit_path")):
        stations.setdefault(county_id, []).append((pk, unit_id, path))
    station_total = sum(len(v) for v in stations.values())
    slots = post_slots(members_per_station(election))
    fill = min(1.0, assignments_total / max(1, station_total * len(slots)))
    post_kinds = ["member", "member", "member", "inspector", "member,representative",
                  "police", "member", "inspector,member"]

    # People: per county in proportion to its stations (a county without stations gets
    # a handful), homes among the county's station places.
    now = timezone.now()
    person_fields = ["county_id", "home_unit_id", "unit_path", "national_id", "first_name",
                     "last_name", "gender", "mobile", "employer", "posts", "available",
                     "search_text", "created_at", "updated_at"]
    weights = [len(stations[pk]) or 0.1 for pk, _ in counties]
    whole = sum(weights)
    shares = [math.floor(people_total * w / whole) for w in weights]
    shares[0] += people_total - sum(shares)

    def person_rows() -> Iterator[list[Any]]:
        n = 0
        for (county_id, county_path), share in zip(counties, shares, strict=True):
            places = stations[county_id]
            for _ in range(share):
                n += 1
                if places:
                    _sid, unit_id, unit_path = places[rng.randrange(len(places))]
                else:
                    unit_id, unit_path = county_id, county_path
                first, last = FIRST[n % len(FIRST)], f"{LAST[(n // 7) % len(LAST)]}{n % 89}"
                nid = with_check_digit(f"{400_000_000 + n:09d}")
                yield [county_id, unit_id, unit_path, nid, first, last,
                       "female" if n % 5 < 2 else "male", f"0912{n:07d}"[:11], "",
                       post_kinds[n % len(post_kinds)], n % 13 != 0,
                       "|".join(search_key(x) for x in (first, last, nid)), now, now]

    with transaction.atomic():
        insert_rows(Person, person_fields, person_rows())
    timings["people_s"] = round(time.perf_counter() - started - sum(timings.values()), 1)
    log(stage="people", elapsed_s=round(time.perf_counter() - started, 1))

    # Assignments: most posts of every station filled by the county's people, each
    # person once.
    people_of: dict[int, list[int]] = {}
    for pk, county_id in Person.objects.order_by("pk").values_list("pk", "county_id"):
        people_of.setdefault(county_id, []).append(pk)
    assignment_fields = ["election_id", "station_id", "county_id", "unit_path", "post",
                         "slot", "person_id", "pinned", "source", "distance_km",
                         "verification_code", "created_at", "created_by_id"]

    def assignment_rows() -> Iterator[list[Any]]:
        n = 0
        for county_id, _path in counties:
            pool = people_of.get(county_id, [])
            rng.shuffle(pool)
            for station_id, _unit_id, unit_path in stations[county_id]:
                for post, slot in slots:
                    if not pool or rng.random() >= fill:
                        continue
                    n += 1
                    yield [election.pk, station_id, county_id, unit_path, post, slot,
                           pool.pop(), post == "representative" and n % 9 == 0, "solver",
                           round(rng.uniform(0.2, 15.0), 2), f"B{n:011X}", now, None]

    with transaction.atomic():
        insert_rows(Assignment, assignment_fields, assignment_rows())
        insert_rows(Roster, ["election_id", "county_id", "unit_path", "state", "run_state",
                             "run_percent", "run_stage", "run_status", "run_filled",
                             "run_unfilled"],
                    ([election.pk, pk, path, "approved" if i % 4 == 0 else "draft", "done",
                      100, "", "OPTIMAL", 0, []] for i, (pk, path) in enumerate(counties)))
        # The stations' staffed flag, as staffing's staffed_sync keeps it.
        full = (Assignment.objects.filter(election=election).order_by().values("station_id")
                .annotate(n=Count("pk")).filter(n__gte=len(slots)).values("station_id"))
        Station.objects.filter(election=election, pk__in=full).update(staffed=True)
    timings["assignments_s"] = round(time.perf_counter() - started - sum(timings.values()), 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["total_s"] = round(time.perf_counter() - started, 1)
    log(stage="built", **timings)
    return timings


def counts() -> dict[str, int]:
    from amanat.geo.models import AdminUnit, Kind
    from amanat.staffing.models import Assignment, Person, Roster
    from amanat.stations.models import Station

    return {"counties": AdminUnit.objects.filter(kind=Kind.COUNTY).count(),
            "stations": Station.objects.count(), "people": Person.objects.count(),
            "assignments": Assignment.objects.count(), "rosters": Roster.objects.count()}


def client_for(username: str, role: str, unit: Any) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.models import Membership
    from amanat.accounts.testing import sign_in

    user, _ = get_user_model().objects.get_or_create(username=username)
    Membership.objects.get_or_create(user=user, role=role, unit=unit)
    client = Client()
    sign_in(client, user)
    client.get("/")  # settle the session write outside the measurements
    return client


def measure(fn: Callable[[], Any], repeat: int) -> tuple[list[float], list[float]]:
    fn()  # warm-up: compiled templates, SQLite page cache
    times, cpu = [], []
    for _ in range(repeat):
        start, c = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return times, cpu


def queries_of(fn: Callable[[], Any]) -> tuple[int, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured), round(sum(float(q["time"]) for q in captured) * 1000, 1)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)]


@contextlib.contextmanager
def naive() -> Iterator[None]:
    """The staffing selectors as a first version would write them: a count per county,
    a count per station, each person's home place and each post's person read alone."""
    from django.db.models import QuerySet

    from amanat.accounts import policy
    from amanat.accounts.access import scope_queryset
    from amanat.staffing import selectors
    from amanat.staffing.assignment import members_per_station, post_slots
    from amanat.staffing.models import Assignment, Person, Roster
    from amanat.stations.models import Station, Status

    def county_rows(election: Any, counties: Any) -> list[Any]:
        per_station = len(post_slots(members_per_station(election)))
        rows = []
        for county in counties:
            row = selectors.CountyRow(county=county)
            row.stations = Station.objects.filter(election=election, county=county,
                                                  status=Status.ACTIVE).count()
            row.posts = row.stations * per_station
            row.filled = Assignment.objects.filter(election=election, county=county).count()
            roster = Roster.objects.filter(election=election, county=county).first()
            if roster is not None:
                row.state, row.run_state = roster.get_state_display(), roster.run_state
            rows.append(row)
        return rows

    def station_rows(election: Any, stations: Any) -> list[Any]:
        per_station = len(post_slots(members_per_station(election)))
        return [selectors.StationRow(station=s, posts=per_station,
                                     filled=Assignment.objects.filter(station=s).count())
                for s in stations]

    def people_for_user(user: Any, county: Any = None) -> QuerySet[Any]:
        qs = scope_queryset(user, Person.objects.all(), action=policy.VIEW,
                            path_field="unit_path")
        return qs.filter(county=county) if county is not None else qs

    def station_slots(station: Any) -> list[Any]:
        from amanat.elections.posts import StationPost

        labels = dict(StationPost.choices)
        out = []
        for post, slot in post_slots(members_per_station(station.election)):
            held = Assignment.objects.filter(station=station, post=post, slot=slot).first()
            if held is not None:
                held.person  # noqa: B018 -- the naive read: one query per post's person
            out.append(selectors.Slot(post, slot, str(labels[post]), held))
        return out

    saved = {name: getattr(selectors, name) for name in
             ("county_rows", "station_rows", "people_for_user", "station_slots")}
    selectors.county_rows = county_rows
    selectors.station_rows = station_rows
    selectors.people_for_user = people_for_user
    selectors.station_slots = station_slots
    try:
        yield
    finally:
        for name, fn in saved.items():
            setattr(selectors, name, fn)


def pages() -> tuple[list[tuple[str, str, str]], dict[str, Any]]:
    """(label, client key, url) of every page measured, and what they are about."""
    from django.db.models import Count
    from django.urls import reverse

    from amanat.geo.models import AdminUnit, Kind
    from amanat.staffing.models import Assignment
    from amanat.stations.models import Station

    by_size = list(Station.objects.order_by().values_list("county_id")
                   .annotate(n=Count("pk")).order_by("-n", "county_id"))
    largest_id, largest_n = by_size[0]
    small_id, small_n = by_size[len(by_size) * 9 // 10]
    largest, small = AdminUnit.objects.get(pk=largest_id), AdminUnit.objects.get(pk=small_id)
    station = (Assignment.objects.filter(county_id=largest_id).order_by("station_id")
               .values_list("station_id", flat=True).first())
    small_station = (Assignment.objects.filter(county_id=small_id).order_by("station_id")
                     .values_list("station_id", flat=True).first())
    surname = "کریمی"
    about = {"largest_county": {"code": largest.code, "name": largest.name,
                                "stations": largest_n},
             "small_county": {"code": small.code, "name": small.name, "stations": small_n},
             "province": AdminUnit.objects.get(pk=largest.parent_id).name
             if largest.parent_id else "",
             "counties": AdminUnit.objects.filter(kind=Kind.COUNTY).count()}
    people_big = reverse("staffing:people", args=[largest_id])
    people_small = reverse("staffing:people", args=[small_id])
    return [
        ("counties_national", "national", reverse("staffing:counties")),
        ("counties_province", "province", reverse("staffing:counties")),
        ("county_largest", "national", reverse("staffing:county", args=[largest_id])),
        ("county_small", "national", reverse("staffing:county", args=[small_id])),
        ("people_largest", "national", people_big),
        ("people_largest_search", "national", f"{people_big}?q={surname}"),
        ("people_largest_page_40", "national", f"{people_big}?page=40"),
        ("people_largest_post", "national", f"{people_big}?post=inspector"),
        ("people_small", "national", people_small),
        ("people_small_search", "national", f"{people_small}?q={surname}"),
        ("station_largest", "national", reverse("staffing:station", args=[station])),
        ("station_small", "national", reverse("staffing:station", args=[small_station])),
    ], about


def bench(repeat: int, with_naive: bool) -> dict[str, Any]:
    from amanat.accounts.models import Role
    from amanat.geo.models import AdminUnit, Kind

    urls, about = pages()
    largest = AdminUnit.objects.get(kind=Kind.COUNTY, code=about["largest_county"]["code"])
    clients = {
        "national": client_for("bench_roster_admin", Role.NATIONAL_ADMIN,
                               AdminUnit.objects.get(kind=Kind.COUNTRY)),
        "province": client_for("bench_roster_governor", Role.GOVERNOR,
                               AdminUnit.objects.get(pk=largest.parent_id or 0)),
    }
    variants: dict[str, Callable[[], Any]] = {"pages": contextlib.nullcontext}
    if with_naive:
        variants["naive"] = naive
    out: dict[str, Any] = {label: {} for label in variants}
    for label, client_key, url in urls:
        client = clients[client_key]

        def get(url: str = url, client: Any = client) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        for variant, context in variants.items():
            # The naive county page of the largest county is thousands of queries a
            # request: a few repeats say enough.
            n = repeat if variant == "pages" else max(3, repeat // 4)
            with context():
                queries, sql_ms = queries_of(get)
                times, cpu = measure(get, n)
            out[variant][label] = {
                "url": url, "requests": n, "p50_ms": round(statistics.median(times), 1),
                "p95_ms": round(p95(times), 1), "max_ms": round(max(times), 1),
                "cpu_p95_ms": round(p95(cpu), 1), "queries": queries, "sql_ms": sql_ms}
            log(page=label, variant=variant, p95_ms=out[variant][label]["p95_ms"],
                queries=queries)
    mine = out["pages"]
    out["about"] = about
    out["target_p95_ms"] = TARGET_P95_MS
    out["missed"] = sorted(k for k, v in mine.items() if v["p95_ms"] >= TARGET_P95_MS)
    pairs = [("counties_national", "counties_province"), ("county_largest", "county_small"),
             ("people_largest", "people_small"),
             ("people_largest_search", "people_small_search"),
             ("station_largest", "station_small")]
    out["constant_queries"] = {f"{a} vs {b}": [mine[a]["queries"], mine[b]["queries"]]
                               for a, b in pairs}
    out["queries_constant"] = all(mine[a]["queries"] == mine[b]["queries"] for a, b in pairs)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the national people and assignments")
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--assignments", type=int, default=ASSIGNMENTS)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--db", type=Path, help="a database kept by an earlier --keep run")
    parser.add_argument("--keep", type=Path, help="copy the built database here")
    parser.add_argument("--no-naive", action="store_true", help="skip the naive baseline")
    args = parser.parse_args()
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="amanat-roster-") as tmp:
        db_path = Path(tmp) / "bench.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        setup_django(db_path)
        built: dict[str, Any] = {"reused": str(args.db)} if args.db else build(
            round(args.people * args.scale), round(args.assignments * args.scale), args.seed)
        if args.keep and not args.db:
            from django.db import connection

            connection.close()
            shutil.copy(db_path, args.keep)
        result = {"scale": args.scale, "data": counts(), "build": built,
                  "repeat": args.repeat, "cpus": os.cpu_count(),
                  "load_average_start": [round(x, 2) for x in load_start]}
        result.update(bench(args.repeat, not args.no_naive))
        result["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
