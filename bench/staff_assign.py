"""Benchmark: the national station-staff assignment (issue 14), county by county.

No database: ``amanat.lib.assign`` is Django-free, so the national population is built in
memory from the project's geography file (``amanat/geo/data/iran_units.csv.gz``: 448
counties with their cities and villages, their points and GeoNames populations):

* **Stations** (``--stations``, 59,000 at scale 1) as in the demo registry
  (``amanat.stations.demo``), simplified: 75% urban, split among counties by their urban
  population and within a county among its cities by population; 25% rural, by rural
  population among counties and drawn among villages by population.  A city of
  population p spreads its stations around its point (σ = min(15, 1 + 0.004·√p) km:
  Tehran's 8.7 million ≈ 13 km), a village's sit within ~0.5 km of its point.  Tehran
  county gets 5,678 stations (9.6%: its share of the population).
* **Posts**: 7 per station, as issue 14 counts them: 1 governor's representative,
  5 members, 1 inspector (police are assigned by the police, not modelled).  0.5% of the
  representative posts are pinned by hand to an eligible person of the county.
* **People** (``--people``, 450,000 at scale 1) split among counties like the stations,
  each county's share jittered by ×0.85–1.25 (some counties are short of people).  A home
  is an administrative unit's point, as in the application: 80% the place (city or
  village) of a station of the county, 20% any place of the county by population.  Kinds:
  member 85%, representative 15%, inspector 20% (independently; someone with none becomes
  a member): about 1.1 representatives, 6.5 members and 1.5 inspectors per station for
  1, 5 and 1 posts, so representatives are tight.  Gender: 40% f, 55% m, 5% unknown.
* **Conflicts**: 2% of the people refuse the 3 stations nearest their home (an inspector
  in their own neighbourhood, a relative standing there).

Each county is solved by ``solve`` (min-cost flow) with gender balance (unless
``--no-gender-balance``) and without it, and by the ``greedy`` nearest-pair-first baseline
on the same input, in a pool of
``--workers`` processes (2 by default: the machine's cores), largest counties first.
Every result is checked (each person at most once, kinds, refusals, pinned posts kept).
Reported: wall time, per-county seconds (max, p95), the largest county, statuses,
filled and unfilled posts by reason, total and mean km, stations with a woman and a man.

    .venv/bin/python bench/staff_assign.py [--scale 1.0] [--workers 2] [--seed 14]

Prints JSON (a line per 50 counties to stderr as it goes).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import math
import os
import random
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from amanat.lib.assign import Person, Post, Result, greedy, solve  # noqa: E402

GEO = ROOT / "amanat" / "geo" / "data" / "iran_units.csv.gz"
TARGET_TOTAL_S = 600.0
TARGET_COUNTY_S = 60.0
URBAN_SHARE = 0.75
CITY_DEFAULT_POPULATION = 10_000
VILLAGE_DEFAULT_POPULATION = 180
POSTS = ("representative",) + ("member",) * 5 + ("inspector",)
KIND_RATES = {"member": 0.85, "representative": 0.15, "inspector": 0.20}
PIN_RATE = 0.005
CONFLICT_RATE = 0.02
CONFLICT_STATIONS = 3


@dataclass
class Place:
    lat: float
    lon: float
    population: int
    urban: bool


@dataclass
class County:
    code: str
    name: str
    places: list[Place] = field(default_factory=list)
    urban_stations: int = 0
    rural_stations: int = 0
    people: int = 0


def load_counties() -> list[County]:
    counties: dict[str, County] = {}
    places: list[tuple[str, Place]] = []
    with gzip.open(GEO, "rt", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["kind"] == "county":
                counties[row["code"]] = County(row["code"], row["name"])
            elif row["kind"] in ("city", "village") and row["latitude"]:
                urban = row["kind"] == "city"
                population = int(row["population"] or 0) or (
                    CITY_DEFAULT_POPULATION if urban else VILLAGE_DEFAULT_POPULATION)
                places.append((row["code"][:4], Place(
                    float(row["latitude"]), float(row["longitude"]), population, urban)))
    for code, place in places:
        if code in counties:
            counties[code].places.append(place)
    return [c for c in counties.values() if c.places]


def apportion(total: int, weights: list[float]) -> list[int]:
    """Largest remainder."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    shares = [math.floor(q) for q in quotas]
    order = sorted(range(len(weights)), key=lambda i: shares[i] - quotas[i])
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def allocate(counties: list[County], stations: int, people: int, rng: random.Random) -> None:
    urban = apportion(round(stations * URBAN_SHARE),
                      [sum(p.population for p in c.places if p.urban) for c in counties])
    rural = apportion(stations - sum(urban),
                      [sum(p.population for p in c.places if not p.urban) for c in counties])
    for county, u, r in zip(counties, urban, rural, strict=True):
        county.urban_stations, county.rural_stations = u, r
        if u + r == 0:
            county.rural_stations = 1
    weights = [(c.urban_stations + c.rural_stations) * rng.uniform(0.85, 1.25)
               for c in counties]
    for county, n in zip(counties, apportion(people, weights), strict=True):
        county.people = n


def build_county(county: County, seed: int, first_post: int, first_person: int,
                 first_station: int) -> dict[str, Any]:
    """The posts, people and refusals of one county (deterministic for the seed)."""
    rng = random.Random(f"{seed}/{county.code}")
    nprng = np.random.default_rng(rng.randrange(2**32))
    cities = [p for p in county.places if p.urban] or county.places
    villages = [p for p in county.places if not p.urban] or county.places
    points: list[tuple[float, float, int]] = []  # station lat, lon, place index
    index_of = {id(p): i for i, p in enumerate(county.places)}
    for n, pool, urban in ((county.urban_stations, cities, True),
                           (county.rural_stations, villages, False)):
        if not n:
            continue
        if urban:
            counts = apportion(n, [p.population for p in pool])
        else:
            picks = Counter(rng.choices(range(len(pool)), [p.population for p in pool], k=n))
            counts = [picks.get(i, 0) for i in range(len(pool))]
        for place, k in zip(pool, counts, strict=True):
            sigma = min(15.0, 1 + 0.004 * math.sqrt(place.population)) if urban else 0.5
            for _ in range(k):
                dy, dx = nprng.normal(0, sigma, 2)
                points.append((place.lat + dy / 111.2,
                               place.lon + dx / (111.2 * math.cos(math.radians(place.lat))),
                               index_of[id(place)]))
    posts: list[Post] = []
    station_ids = []
    for s, (lat, lon, _) in enumerate(points):
        station = first_station + s
        station_ids.append(station)
        for kind in POSTS:
            posts.append(Post(first_post + len(posts), station, kind, lat, lon))
    # People: homes at place points.
    station_places = [p for _, _, p in points]
    place_weights = [p.population for p in county.places]
    people: list[Person] = []
    for i in range(county.people):
        if station_places and rng.random() < 0.8:
            place = county.places[rng.choice(station_places)]
        else:
            place = rng.choices(county.places, place_weights)[0]
        kinds = frozenset(k for k, rate in KIND_RATES.items() if rng.random() < rate)
        gender = rng.choices(("f", "m", ""), (0.40, 0.55, 0.05))[0]
        people.append(Person(first_person + i, place.lat, place.lon,
                             kinds or frozenset({"member"}), gender))
    # Refusals: the stations nearest the home.
    forbidden: set[tuple[int, int]] = set()
    if points:
        s_lat = np.array([p[0] for p in points])
        s_lon = np.array([p[1] for p in points])
        for person in people:
            if rng.random() < CONFLICT_RATE:
                d2 = (s_lat - person.lat) ** 2 + (
                    (s_lon - person.lon) * math.cos(math.radians(person.lat))) ** 2
                for s in np.argsort(d2)[:CONFLICT_STATIONS].tolist():
                    forbidden.add((person.id, station_ids[s]))
    # Pinned representative posts: an eligible person of the county, used once.
    reps = [p for p in people if "representative" in p.kinds]
    rng.shuffle(reps)
    pinned = []
    for i, post in enumerate(posts):
        if post.kind == "representative" and reps and rng.random() < PIN_RATE:
            who = reps.pop()
            pinned.append(i)
            posts[i] = Post(post.id, post.station, post.kind, post.lat, post.lon, who.id)
    return {"posts": posts, "people": people, "forbidden": frozenset(forbidden),
            "stations": len(points), "pinned": len(pinned)}


def check(data: dict[str, Any], result: Result) -> None:
    """Every rule of issue 14 on a result; raises on a breach."""
    people = {p.id: p for p in data["people"]}
    posts = {p.id: p for p in data["posts"]}
    used = list(result.assignment.values())
    assert len(used) == len(set(used)), "a person on two posts"
    assert set(result.assignment) | set(result.unfilled) == set(posts)
    for post_id, person_id in result.assignment.items():
        post = posts[post_id]
        if post.pinned is not None:
            assert post.pinned == person_id, "pinned post changed"
            continue
        assert post.kind in people[person_id].kinds, "kind not allowed"
        assert (person_id, post.station) not in data["forbidden"], "refused pair used"


def run_county(county: County, seed: int, offsets: tuple[int, int, int],
               gender_balance: bool, neighbours: int) -> dict[str, Any]:
    data = build_county(county, seed, *offsets)
    out: dict[str, Any] = {"county": county.code, "name": county.name,
                           "stations": data["stations"], "posts": len(data["posts"]),
                           "people": len(data["people"]), "pinned": data["pinned"],
                           "forbidden": len(data["forbidden"])}
    for label, run, balance in (("solve", solve, gender_balance),
                                ("solve_no_balance", solve, False),
                                ("greedy", greedy, False)):
        kwargs: dict[str, Any] = {"forbidden_stations": data["forbidden"],
                                  "neighbours": neighbours}
        if run is solve:
            kwargs["gender_balance"] = balance
        result = run(data["posts"], data["people"], **kwargs)
        check(data, result)
        kind_of = {p.id: p.kind for p in data["posts"]}
        out[label] = {
            "unfilled_by_kind": Counter(kind_of[p] for p in result.unfilled),
            "seconds": result.seconds, "status": result.status,
            "filled": len(result.assignment), "unfilled": Counter(result.unfilled.values()),
            "km": result.total_km, "arcs": result.arcs,
            "balanced": result.balanced_stations, "balance_stations": result.balance_stations,
            "phases": result.extra,
        }
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)] if ordered else 0.0


def summary(rows: list[dict[str, Any]], label: str) -> dict[str, Any]:
    parts = [r[label] for r in rows]
    seconds = [p["seconds"] for p in parts]
    filled = sum(p["filled"] for p in parts)
    unfilled: Counter[str] = Counter()
    by_kind: Counter[str] = Counter()
    for p in parts:
        unfilled.update(p["unfilled"])
        by_kind.update(p["unfilled_by_kind"])
    largest = max(rows, key=lambda r: r["posts"])
    slowest = max(rows, key=lambda r: r[label]["seconds"])
    km = sum(p["km"] for p in parts)
    return {
        "county_seconds_sum": round(sum(seconds), 1),
        "county_seconds_max": round(max(seconds), 2),
        "county_seconds_p95": round(pct(seconds, 0.95), 3),
        "county_seconds_p50": round(pct(seconds, 0.50), 3),
        "largest_county": {"county": largest["county"], "name": largest["name"],
                           "stations": largest["stations"], "people": largest["people"],
                           "seconds": round(largest[label]["seconds"], 2),
                           "arcs": largest[label]["arcs"],
                           "phases": {k: round(v, 2)
                                      for k, v in largest[label]["phases"].items()}},
        "slowest_county": {"county": slowest["county"],
                           "seconds": round(slowest[label]["seconds"], 2)},
        "statuses": dict(Counter(p["status"] for p in parts)),
        "filled": filled, "unfilled": dict(unfilled), "unfilled_total": sum(unfilled.values()),
        "unfilled_by_kind": dict(by_kind),
        "total_km": round(km), "mean_km": round(km / filled, 2) if filled else None,
        "arcs": sum(p["arcs"] for p in parts),
        "stations_with_woman_and_man": sum(p["balanced"] for p in parts),
        "stations_with_2_members": sum(p["balance_stations"] for p in parts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0,
                        help="fraction of the country (stations and people)")
    parser.add_argument("--stations", type=int, default=59_000)
    parser.add_argument("--people", type=int, default=450_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--neighbours", type=int, default=40)
    parser.add_argument("--no-gender-balance", action="store_true")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    started = time.perf_counter()
    counties = load_counties()
    allocate(counties, round(args.stations * args.scale), round(args.people * args.scale), rng)
    # Disjoint id ranges per county, as in one database.
    jobs = []
    post_id = person_id = station_id = 1
    for county in counties:
        n = county.urban_stations + county.rural_stations
        jobs.append((county, (post_id, person_id, station_id)))
        post_id += n * len(POSTS)
        station_id += n
        person_id += county.people
    jobs.sort(key=lambda j: -(j[0].urban_stations + j[0].rural_stations))  # largest first
    rows: list[dict[str, Any]] = []
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        futures = [pool.submit(run_county, county, args.seed, offsets,
                               not args.no_gender_balance, args.neighbours)
                   for county, offsets in jobs]
        for future in as_completed(futures):
            rows.append(future.result())
            if len(rows) % 50 == 0 or len(rows) == 1:
                print(json.dumps({"done": len(rows), "of": len(jobs),
                                  "elapsed_s": round(time.perf_counter() - started, 1)}),
                      file=sys.stderr, flush=True)
    wall = time.perf_counter() - started
    solved, base = summary(rows, "solve"), summary(rows, "greedy")
    plain = summary(rows, "solve_no_balance")
    out = {
        "scale": args.scale, "workers": args.workers, "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "note": "machine shared with other engineers; wall time includes building the "
                "synthetic population and the greedy baseline",
        "gender_balance": not args.no_gender_balance, "neighbours": args.neighbours,
        "counties": len(rows), "stations": sum(r["stations"] for r in rows),
        "posts": sum(r["posts"] for r in rows), "people": sum(r["people"] for r in rows),
        "pinned": sum(r["pinned"] for r in rows),
        "forbidden_pairs": sum(r["forbidden"] for r in rows),
        "wall_seconds": round(wall, 1),
        "checks": "ok",
        "solve": solved, "solve_no_balance": plain, "greedy": base,
        "solve_vs_greedy": {
            "more_filled": solved["filled"] - base["filled"],
            "km_ratio": round(solved["total_km"] / base["total_km"], 4)
            if base["total_km"] else None,
            "mean_km_ratio": round(solved["mean_km"] / base["mean_km"], 4)
            if base["mean_km"] else None,
        },
        "solve_no_balance_vs_greedy": {
            "more_filled": plain["filled"] - base["filled"],
            "km_ratio": round(plain["total_km"] / base["total_km"], 4)
            if base["total_km"] else None,
        },
        "targets": {"total_s": TARGET_TOTAL_S, "county_s": TARGET_COUNTY_S,
                    "solve_county_seconds_sum_met": solved["county_seconds_sum"] < TARGET_TOTAL_S,
                    "wall_met": wall < TARGET_TOTAL_S,
                    "largest_county_met": solved["county_seconds_max"] < TARGET_COUNTY_S},
    }
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
