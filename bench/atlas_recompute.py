"""Benchmark: full atlas recompute for ~59,000 stations, 448 counties, 31 provinces.

In a fresh temporary SQLite file (or a copy of ``--db``, e.g. one kept by
``bench/demo_load.py --keep``): import the national geography, seed the example election,
the ~59,000 demo stations and the demo atlas inputs (assessments, national tiers,
Gharchak's annulled history). Then, on the same data in the same run:

1. ``atlas_recompute`` (numpy: one values_list query, vectorised factors, np.bincount
   roll-ups, DELETE + executemany INSERT in one transaction), ``--runs`` times;
2. the baseline: a straightforward per-object ORM implementation (iterate Station
   objects, compute each station's factors in Python, ``StationScore.objects.create`` per
   station, then per county and per province query its stations' scores, history,
   assessments and national tier and ``UnitScore.objects.create``), in one transaction;
   its results are checked against the fast path's (same values to 1e-9);
3. one station update propagated (``atlas_station_changed``: the station, its county
   and its province) for a station in the largest province, ``--runs`` times.

    .venv/bin/python bench/atlas_recompute.py [--runs 5] [--db PATH]

Prints JSON. Targets: full recompute under 1 s and at least 20× the baseline.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare() -> Any:
    from amanat.atlas.demo import seed_demo_atlas
    from amanat.elections.demo import seed_example_election
    from amanat.geo.models import AdminUnit
    from amanat.geo.services import geo_import
    from amanat.stations.demo import seed_demo_stations

    if not AdminUnit.objects.exists():
        geo_import()
    election = seed_example_election()
    seed_demo_stations(election=election)
    seed_demo_atlas(election)
    return election


# --- the baseline: per-object ORM ------------------------------------------------------------


def naive_station(station: Any, load: dict[int, float]) -> list[float]:
    from amanat.atlas import factors as fx

    over = 0.0
    if station.capacity:
        over = (station.expected_voters - station.capacity) / (station.capacity * 0.5)
    return [
        1.0 if station.sensitive else 0.0,
        fx.CCTV_VALUE.get(station.cctv, 1.0),
        fx.FIBRE_VALUE.get(station.fibre, 1.0) if station.evoting_planned else 0.0,
        min(max(over, 0.0), 1.0),
        1.0 if station.kind == "mobile" else (0.5 if "/V" in station.unit_path else 0.0),
        1.0 - math.exp(-max(load.get(station.pk, 0.0), 0.0) / fx.INCIDENT_SCALE),
    ]


def _tier(score: float, thresholds: tuple[float, float, float]) -> int:
    return 1 if score >= thresholds[0] else 2 if score >= thresholds[1] else (
        3 if score >= thresholds[2] else 4)


def _explain(codes: tuple[str, ...], values: list[float], contributions: list[float]
             ) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"code": c, "value": v, "contribution": x}
        for c, v, x in zip(codes, values, contributions, strict=True) if x > 0
    ]
    items.sort(key=lambda i: -float(i["contribution"]))
    return {"score": sum(contributions), "factors": items}


def naive_recompute(election: Any) -> None:
    from django.db import transaction
    from django.utils import timezone

    from amanat.atlas import factors as fx
    from amanat.atlas.compute import thresholds_for
    from amanat.atlas.models import (
        Assessment,
        CountyHistory,
        NationalTier,
        StationScore,
        UnitScore,
    )
    from amanat.geo.models import AdminUnit
    from amanat.stations.models import Station

    weights = [f.weight for f in fx.STATION_FACTORS]
    thresholds = thresholds_for(election)
    load = fx.incident_load(election)
    now = timezone.now()
    with transaction.atomic():
        StationScore.objects.filter(election=election).delete()
        UnitScore.objects.filter(election=election).delete()
        for station in Station.objects.filter(election=election, status="active"):
            values = naive_station(station, load)
            contributions = [100 * w * v / sum(weights) for w, v in zip(weights, values,
                                                                        strict=True)]
            score = sum(contributions)
            StationScore.objects.create(
                election=election, station=station, county_id=station.county_id, value=score,
                tier=_tier(score, thresholds),
                explanation=_explain(fx.STATION_CODES, values, contributions), computed_at=now)
        county_rows = {}
        for county in AdminUnit.objects.filter(kind="county"):
            county_rows[county.pk] = naive_county(election, county, thresholds, now,
                                                  StationScore, CountyHistory, Assessment,
                                                  NationalTier, UnitScore)
        for province in AdminUnit.objects.filter(kind="province"):
            naive_province(election, province, county_rows, thresholds, now, UnitScore)


def naive_county(election: Any, county: Any, thresholds: Any, now: Any, StationScore: Any,
                 CountyHistory: Any, Assessment: Any, NationalTier: Any, UnitScore: Any
                 ) -> tuple[Any, ...]:
    from amanat.atlas import factors as fx

    codes = fx.STATION_CODES
    sums_v, sums_c, total, high, count, voters = [0.0] * 6, [0.0] * 6, 0.0, 0, 0, 0
    for row in StationScore.objects.filter(election=election, county=county).select_related(
            "station"):
        weight = max(row.station.expected_voters, 1)
        by_code = {f["code"]: f for f in row.explanation["factors"]}
        for j, code in enumerate(codes):
            if code in by_code:
                sums_v[j] += weight * by_code[code]["value"]
                sums_c[j] += weight * by_code[code]["contribution"]
        total += weight
        voters += row.station.expected_voters
        count += 1
        high += row.tier <= 2
    history = CountyHistory.objects.filter(election=election, county=county).first()
    latest: dict[int, int] = {}
    for a in Assessment.objects.filter(election=election, county=county).order_by(
            "assessed_on", "created_at", "pk"):
        latest[a.agency_id] = a.score
    national = NationalTier.objects.filter(election=election, county=county).first()
    floor = national.tier if national else 0
    own = [high / count if count else 0.0, 1.0 if history and history.annulled else 0.0,
           (sum((s - 1) / 4 for s in latest.values()) / len(latest)) if latest else 0.0,
           (4 - floor) / 3 if floor else 0.0]
    own_w = [f.weight for f in fx.COUNTY_FACTORS]
    total_w = fx.STATION_MEAN_WEIGHT + sum(own_w)
    values = [s / total if total else 0.0 for s in sums_v] + own
    contributions = ([fx.STATION_MEAN_WEIGHT * (s / total if total else 0.0) / total_w
                      for s in sums_c] + [100 * w * v / total_w for w, v in zip(own_w, own,
                                                                                 strict=True)])
    score = sum(contributions)
    computed = _tier(score, thresholds)
    tier = min(computed, floor) if floor else computed
    UnitScore.objects.create(
        election=election, unit=county, level="county", value=score, tier=tier,
        computed_tier=computed, floor_applied=tier < computed,
        explanation=_explain(fx.COUNTY_CODES, values, contributions), voters=voters,
        members=count, computed_at=now)
    return (county.parent_id, values, contributions, voters, tier)


def naive_province(election: Any, province: Any, county_rows: dict[int, Any], thresholds: Any,
                   now: Any, UnitScore: Any) -> None:
    from amanat.atlas import factors as fx

    rows = [r for r in county_rows.values() if r[0] == province.pk]
    k = len(fx.COUNTY_CODES)
    sums_v, sums_c, total = [0.0] * k, [0.0] * k, 0.0
    for _, values, contributions, voters, _ in rows:
        weight = max(voters, 1)
        total += weight
        for j in range(k):
            sums_v[j] += weight * values[j]
            sums_c[j] += weight * contributions[j]
    share = sum(1 for r in rows if r[4] <= 2) / len(rows) if rows else 0.0
    total_w = fx.COUNTY_MEAN_WEIGHT + fx.PROVINCE_FACTORS[0].weight
    contributions = [fx.COUNTY_MEAN_WEIGHT * (s / total if total else 0.0) / total_w
                     for s in sums_c] + [100 * fx.PROVINCE_FACTORS[0].weight * share / total_w]
    values = [s / total if total else 0.0 for s in sums_v] + [share]
    score = sum(contributions)
    tier = _tier(score, thresholds)
    UnitScore.objects.create(
        election=election, unit=province, level="province", value=score, tier=tier,
        computed_tier=tier, explanation=_explain(fx.PROVINCE_CODES, values, contributions),
        voters=sum(r[3] for r in rows), members=len(rows), computed_at=now)


# --- measuring --------------------------------------------------------------------------------


def snapshot_values(election: Any) -> dict[tuple[str, int], float]:
    from amanat.atlas.models import StationScore, UnitScore

    out = {("s", s): v for s, v in StationScore.objects.filter(election=election)
           .values_list("station_id", "value")}
    out |= {("u", u): v for u, v in UnitScore.objects.filter(election=election)
            .values_list("unit_id", "value")}
    return out


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--db", type=Path, help="start from a copy of this SQLite database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        db_path = Path(tmp) / "atlas.sqlite3"
        if args.db:
            shutil.copy(args.db, db_path)
        setup_django(db_path)
        from amanat.atlas.models import StationScore
        from amanat.atlas.recompute import atlas_recompute, atlas_station_changed
        from amanat.geo.models import AdminUnit
        from amanat.stations.models import Station

        start = time.perf_counter()
        election = prepare()
        prepare_seconds = time.perf_counter() - start
        fast = [timed(lambda: atlas_recompute(election=election)) for _ in range(args.runs)]
        fast_values = snapshot_values(election)
        naive = timed(lambda: naive_recompute(election))
        naive_values = snapshot_values(election)
        mismatches = sum(1 for k, v in fast_values.items()
                         if abs(naive_values.get(k, -1.0) - v) > 1e-9)
        atlas_recompute(election=election)
        provinces: defaultdict[str, int] = defaultdict(int)
        for path in Station.objects.filter(election=election).values_list("unit_path", flat=True):
            provinces[path.split("/")[1]] += 1
        largest = max(provinces, key=lambda p: provinces[p])
        station = Station.objects.filter(election=election,
                                         unit_path__startswith=f"I-IR/{largest}/").first()
        assert station is not None
        one = [timed(lambda: atlas_station_changed(station_id=station.pk))
               for _ in range(args.runs)]
        best = min(fast)
        result = {
            "benchmark": "atlas_recompute",
            "database": "sqlite (temporary file)",
            "cpu_count": os.cpu_count(),
            "stations": StationScore.objects.filter(election=election).count(),
            "counties": AdminUnit.objects.filter(kind="county").count(),
            "provinces": AdminUnit.objects.filter(kind="province").count(),
            "prepare_seconds": round(prepare_seconds, 1),
            "full_recompute_seconds": {"runs": [round(x, 3) for x in fast],
                                       "best": round(best, 3),
                                       "median": round(statistics.median(fast), 3)},
            "baseline_per_object_orm_seconds": round(naive, 2),
            "baseline_results_match": mismatches == 0,
            "baseline_mismatches": mismatches,
            "speedup_best": round(naive / best, 1),
            "speedup_median": round(naive / statistics.median(fast), 1),
            "one_station_update": {
                "province_stations": provinces[largest],
                "runs_ms": [round(x * 1000, 1) for x in one],
                "median_ms": round(statistics.median(one) * 1000, 1),
            },
            "load_average_at_end": os.getloadavg()[0],
            "targets": {"full_recompute_below_seconds": 1.0, "speedup_at_least": 20},
            "targets_met": best < 1.0 and naive / best >= 20,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
