"""Benchmark: the station-staff assignment through the application (``roster_assign``,
what ``amanat staff-assign`` runs), county by county: peak memory (RSS) and seconds.

``bench/staff_assign.py`` times the Django-free solver (``amanat.lib.assign``) on an
in-memory population; this one runs the whole county run as the command does: reading
the people and stations, the conflict rules (``staffing.rules.Checker``), the refused
(person, station) pairs, the solver, the checks and the writes, against an SQLite file
loaded with ``amanat load-demo`` and a synthetic national register of people on top.

* **Population** (once per file, skipped when it is there): ``--people`` (450,000)
  ``staffing.Person`` rows over the counties that have none yet, in proportion to their
  active stations (each county's share jittered ×0.85–1.25).  Homes are administrative
  units, as in the application: 80% the unit of one of the county's stations, 20% any
  city or village of the county.  Posts, independently: member 85%, representative 15%,
  inspector 20%, police 15% (someone with none becomes a member); 97% available;
  women 40%, men 55%, unknown 5%.  Each post's course is completed (``training``
  ``Completion`` rows) by 90% of the people who may take it.  Inserted with
  ``core.bulk.insert_rows``.
* **Runs**: each county (``--counties`` codes, or ``--largest N``, or ``--all``) is
  assigned in a fresh Python process (``--child``), as one ``staff-assign --county``
  would be, with its address space capped at ``--cap-gb`` (4) so that a run that
  explodes fails with MemoryError instead of taking the shared machine down.  The
  child reports its peak RSS (``getrusage``: interpreter and Django included), the RSS
  before the run, the run's seconds, status, filled and unfilled posts, and (with
  ``--trace``) tracemalloc's peak and the lines holding the most memory when the solver
  starts.
* **Baseline in the same run** (``--baseline-ref REV``, e.g. the commit before the
  memory fix): the same counties with ``amanat/staffing/assignment.py`` and
  ``amanat/lib/assign.py`` as they were at REV (read with ``git show``), each in its own
  capped process too.

    AMANAT_SQLITE_PATH=/tmp/staffmem.sqlite3 PYTHONPATH=$PWD \\
        .venv/bin/python bench/staff_assign_memory.py --largest 3 [--baseline-ref REV]

Prints JSON on stdout (a line per county on stderr as it goes).  The machine is shared:
compare with the baseline of the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PEOPLE = 450_000
KIND_RATES = {"member": 0.85, "representative": 0.15, "inspector": 0.20, "police": 0.15}
TRAINED = 0.90
AVAILABLE = 0.97
FIRST = ["علی", "مریم", "رضا", "زهرا", "حسین", "فاطمه", "محمد", "نرگس", "مهدی", "لیلا"]
LAST = ["احمدی", "کریمی", "حسینی", "رضایی", "موسوی", "صادقی", "افشار", "باقری", "نوری"]


def log(**fields: Any) -> None:
    print(json.dumps(fields, ensure_ascii=False), file=sys.stderr, flush=True)


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()


def rss_mb() -> float:
    """The current resident set (Linux /proc), in MB."""
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the population --------------------------------------------------------------------------


def populate(total: int, seed: int) -> dict[str, Any]:
    """The national register of people and their completions, once (idempotent)."""
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from amanat.core.bulk import insert_rows
    from amanat.elections.models import Election
    from amanat.elections.posts import StationPost
    from amanat.geo.models import AdminUnit, Kind
    from amanat.lib.nationalid import with_check_digit
    from amanat.lib.persian import search_key
    from amanat.staffing.models import Person
    from amanat.stations.models import Station, Status
    from amanat.training.models import Completion
    from amanat.training.selectors import course_for_post

    started = time.perf_counter()
    election = Election.objects.order_by("pk").first()
    assert election is not None, "load the demo first: amanat load-demo"
    if Person.objects.filter(national_id=with_check_digit(f"{600_000_001:09d}")).exists():
        return {"people": "already there", "total_people": Person.objects.count()}
    courses = {post: course_for_post(election, post) for post in StationPost.values}
    missing = [p for p, c in courses.items() if c is None]
    assert not missing, f"no course for {missing}: load the demo first"
    rng = random.Random(seed)
    has_people = set(Person.objects.values_list("county_id", flat=True).distinct())
    station_units: dict[int, list[tuple[int, str]]] = {}
    for county_id, unit_id, path in (Station.objects.filter(
            election=election, status=Status.ACTIVE).order_by("pk")
            .values_list("county_id", "unit_id", "unit_path")):
        station_units.setdefault(county_id, []).append((unit_id, path))
    places: dict[int, list[tuple[int, str]]] = {}
    counties = dict(AdminUnit.objects.filter(kind=Kind.COUNTY).values_list("path", "pk"))
    for pk, path in (AdminUnit.objects.filter(kind__in=[Kind.CITY, Kind.VILLAGE])
                     .values_list("pk", "path")):
        county_path = "/".join(path.split("/")[:3]) + "/"
        if county_path in counties:
            places.setdefault(counties[county_path], []).append((pk, path))
    chosen = [c for c in sorted(station_units) if c not in has_people]
    weights = [len(station_units[c]) * rng.uniform(0.85, 1.25) for c in chosen]
    whole = sum(weights)
    shares = [math.floor(total * w / whole) for w in weights]
    shares[0] += total - sum(shares)
    county_paths = {pk: path for path, pk in counties.items()}
    now = timezone.now()
    trained: dict[str, list[tuple[str, str, int]]] = {p: [] for p in StationPost.values}

    def person_rows() -> Iterator[list[Any]]:
        n = 0
        for county_id, share in zip(chosen, shares, strict=True):
            at_stations, anywhere = station_units[county_id], places.get(county_id) or [
                (county_id, county_paths[county_id])]
            for _ in range(share):
                n += 1
                pool = at_stations if rng.random() < 0.8 else anywhere
                unit_id, unit_path = pool[rng.randrange(len(pool))]
                posts = sorted(k for k, rate in KIND_RATES.items() if rng.random() < rate)
                posts = posts or ["member"]
                gender = rng.choices(("female", "male", ""), (0.40, 0.55, 0.05))[0]
                first, last = FIRST[n % len(FIRST)], f"{LAST[(n // 7) % len(LAST)]}{n % 89}"
                nid = with_check_digit(f"{600_000_000 + n:09d}")
                for post in posts:
                    if rng.random() < TRAINED:
                        trained[post].append((nid, f"{first} {last}", county_id))
                yield [county_id, unit_id, unit_path, nid, first, last, gender,
                       f"0915{n:07d}"[:11], "", ",".join(posts), rng.random() < AVAILABLE,
                       "|".join(search_key(x) for x in (first, last, nid)), now, now]

    fields = ["county_id", "home_unit_id", "unit_path", "national_id", "first_name",
              "last_name", "gender", "mobile", "employer", "posts", "available",
              "search_text", "created_at", "updated_at"]
    with transaction.atomic():
        people = insert_rows(Person, fields, person_rows())
        completions = 0
        for post, rows in trained.items():
            course = courses[post]
            assert course is not None
            completions += insert_rows(
                Completion, ["course_id", "unit_id", "national_id", "full_name",
                             "completed_at", "code"],
                ([course.pk, county_id, nid, name, now, f"B{post[:2].upper()}-{nid}"]
                 for nid, name, county_id in rows))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    per_county = dict(Person.objects.values_list("county__code").annotate(n=Count("pk")))
    return {"people": people, "completions": completions, "counties": len(chosen),
            "largest_county_people": max(per_county.values()),
            "seconds": round(time.perf_counter() - started, 1)}


# --- one county in a child process -----------------------------------------------------------


def _module_at(ref: str, path: str, name: str) -> types.ModuleType:
    """``path`` as it was at git revision ``ref``, as a module (not in sys.modules)."""
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True,
                            capture_output=True, text=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="staff-assign-baseline-"))
    (folder / f"{name}.py").write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def child(code: str, ref: str, trace: bool, time_limit: float) -> dict[str, Any]:
    setup_django()
    from amanat.elections.models import Election
    from amanat.geo.models import AdminUnit, Kind
    from amanat.staffing import assignment
    from amanat.staffing.models import Assignment

    if ref:
        old_lib = _module_at(ref, "amanat/lib/assign.py", "bench_old_assign")
        module = _module_at(ref, "amanat/staffing/assignment.py", "bench_old_assignment")
        module.assign = old_lib  # type: ignore[attr-defined]
        run = module.roster_assign
        lib = old_lib
    else:
        from amanat.lib import assign as lib

        run = assignment.roster_assign
    election = Election.objects.order_by("pk").first()
    county = AdminUnit.objects.get(kind=Kind.COUNTY, code=code)
    out: dict[str, Any] = {"county": code, "name": county.name, "code_at": ref or "worktree"}
    top: list[str] = []
    if trace:
        import tracemalloc

        tracemalloc.start()
        solve = lib.solve

        def traced(*args: Any, **kwargs: Any) -> Any:
            if not top:  # the first solver call: the inputs are all built
                snapshot = tracemalloc.take_snapshot()
                for stat in snapshot.statistics("lineno")[:6]:
                    frame = stat.traceback[0]
                    top.append(f"{Path(frame.filename).name}:{frame.lineno} "
                               f"{stat.size / 2**20:.0f} MB in {stat.count} blocks")
            return solve(*args, **kwargs)

        lib.solve = traced  # type: ignore[attr-defined]
    # Every variant starts from no proposal (the code before the fix refused, on a second
    # run, everyone the first had placed).
    Assignment.objects.filter(election=election, county=county, pinned=False).delete()
    out["rss_before_mb"] = round(rss_mb(), 1)
    started = time.perf_counter()
    try:
        roster = run(election=election, county=county, time_limit_s=time_limit)
    except MemoryError:
        out.update(error="MemoryError", seconds=round(time.perf_counter() - started, 2))
    else:
        out.update(
            seconds=round(time.perf_counter() - started, 2), status=roster.run_status,
            filled=roster.run_filled, total_km=roster.run_total_km,
            unfilled=sum(int(r["count"]) for r in roster.run_unfilled))
    out["peak_rss_mb"] = round(peak_mb(), 1)
    if trace:
        import tracemalloc

        out["traced_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        out["top_at_solve"] = top
    return out


def run_child(code: str, ref: str, cap_gb: float, trace: bool, time_limit: float
              ) -> dict[str, Any]:
    cap = int(cap_gb * 2**30)
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)  # under a shell's ulimit -v already

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    command = [sys.executable, __file__, "--child", code, "--time-limit", str(time_limit)]
    if ref:
        command += ["--code-at", ref]
    if trace:
        command.append("--trace")
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, preexec_fn=limit,
                          env=os.environ.copy())
    wall = round(time.perf_counter() - started, 2)
    if done.returncode != 0 or not done.stdout.strip():
        return {"county": code, "code_at": ref or "worktree", "error": "exit "
                f"{done.returncode}: {done.stderr.strip().splitlines()[-1:]}",
                "wall_seconds": wall}
    row: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    row["wall_seconds"] = wall
    return row


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in rows if "error" not in r]
    return {
        "counties": len(rows), "failed": len(rows) - len(ok),
        "peak_rss_mb_max": max((r["peak_rss_mb"] for r in ok), default=None),
        "peak_rss_mb_max_county": max(ok, key=lambda r: r["peak_rss_mb"])["county"]
        if ok else None,
        "seconds_sum": round(sum(r["seconds"] for r in ok), 1),
        "seconds_max": max((r["seconds"] for r in ok), default=None),
        "filled": sum(r["filled"] for r in ok), "unfilled": sum(r["unfilled"] for r in ok),
        "total_km": round(sum(r["total_km"] for r in ok), 1),
        "statuses": sorted({r["status"] for r in ok}),
    }


def compare(baseline: list[dict[str, Any]], ours: list[dict[str, Any]]) -> dict[str, Any]:
    """On the counties both variants finished: the same result, and the figures side by
    side; and the counties the baseline did not finish."""
    both = [(b, o) for b, o in zip(baseline, ours, strict=True)
            if "error" not in b and "error" not in o]
    return {
        "counties_both_finished": len(both),
        "same_filled_unfilled_km": all(
            (b["filled"], b["unfilled"], b["total_km"]) == (o["filled"], o["unfilled"],
                                                           o["total_km"]) for b, o in both),
        "peak_rss_mb_max": {"baseline": max((b["peak_rss_mb"] for b, _o in both), default=0),
                            "ours": max((o["peak_rss_mb"] for _b, o in both), default=0)},
        "peak_rss_mb_sum": {"baseline": round(sum(b["peak_rss_mb"] for b, _o in both)),
                            "ours": round(sum(o["peak_rss_mb"] for _b, o in both))},
        "seconds_sum": {"baseline": round(sum(b["seconds"] for b, _o in both), 1),
                        "ours": round(sum(o["seconds"] for _b, o in both), 1)},
        "baseline_not_finished": [
            {"county": b["county"], "error": b["error"], "peak_rss_mb": b.get("peak_rss_mb"),
             "ours_peak_rss_mb": o.get("peak_rss_mb"), "ours_seconds": o.get("seconds")}
            for b, o in zip(baseline, ours, strict=True) if "error" in b],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=PEOPLE)
    parser.add_argument("--seed", type=int, default=14)
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--counties", default="", help="comma list of county codes")
    which.add_argument("--largest", type=int, default=0, help="the N largest counties")
    which.add_argument("--all", action="store_true", help="every county with people")
    parser.add_argument("--baseline-ref", default="",
                        help="git revision whose assignment code runs as the baseline")
    parser.add_argument("--cap-gb", type=float, default=4.0,
                        help="address-space cap of each county's process")
    parser.add_argument("--trace", action="store_true", help="tracemalloc in each child")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--child", default="", help=argparse.SUPPRESS)
    parser.add_argument("--code-at", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.code_at, args.trace, args.time_limit),
                         ensure_ascii=False))
        return
    setup_django()
    from django.db import connections
    from django.db.models import Count

    from amanat.staffing.models import Person, Roster, RosterState

    built = populate(args.people, args.seed)
    log(stage="population", **built)
    sizes = dict(Person.objects.values_list("county__code").annotate(n=Count("pk")))
    locked = set(Roster.objects.filter(state=RosterState.APPROVED)
                 .values_list("county__code", flat=True))
    if args.counties:
        codes = args.counties.split(",")
    else:
        codes = sorted((c for c in sizes if c not in locked), key=lambda c: -sizes[c])
        if args.largest:
            codes = codes[:args.largest]
    connections.close_all()
    started = time.perf_counter()
    variants = [("baseline", args.baseline_ref)] if args.baseline_ref else []
    variants.append(("ours", ""))
    results: dict[str, list[dict[str, Any]]] = {name: [] for name, _ref in variants}
    for code in codes:
        for name, ref in variants:
            row = run_child(code, ref, args.cap_gb, args.trace, args.time_limit)
            row["people"] = sizes.get(code, 0)
            results[name].append(row)
            log(variant=name, **row)
    out: dict[str, Any] = {
        "cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "cap_gb": args.cap_gb, "population": built, "wall_seconds":
        round(time.perf_counter() - started, 1),
        **{f"{name}_summary": summary(rows) for name, rows in results.items()},
        "counties": results,
    }
    if args.baseline_ref:
        out["ours_vs_baseline"] = compare(results["baseline"], results["ours"])
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
