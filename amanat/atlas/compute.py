"""Load the atlas inputs from the database, score them, write the results.

Full recompute: one ``values_list`` query for the stations of the election, one each for
counties, provinces, histories, assessments, national tiers, thresholds and incident
load; vectorised factors and roll-ups (``np.bincount``); explanations serialised once per
*distinct* factor vector (station factors take few values, so a few hundred JSON strings
serve 59,000 stations); results replaced with a DELETE and one bulk insert
(``core.bulk``) per table, in one transaction. The province of one changed station is
recomputed the same way, restricted to its province, writing only the rows that can
have changed (the station, its county, its province).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
from django.db import connection, transaction
from django.utils import timezone

from amanat.atlas import catalogue, scoring
from amanat.atlas import factors as fx
from amanat.atlas.models import (
    Assessment,
    CountyHistory,
    NationalTier,
    StationScore,
    TierThreshold,
    UnitLevel,
    UnitScore,
)
from amanat.core import bulk
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.limits import INT_MAX
from amanat.stations.models import Station, Status
from amanat.stations.validation import MAX_VOTERS


@dataclass
class Loaded:
    """The inputs of one recompute plus the ids that map array rows back to rows."""

    inputs: scoring.AtlasInputs
    station_ids: list[int]
    county_ids: list[int]
    province_ids: list[int]


def thresholds_for(election: Election) -> tuple[float, float, float]:
    row = TierThreshold.objects.filter(election=election).first()
    return row.as_tuple() if row else scoring.DEFAULT_THRESHOLDS


def latest_assessments(election: Election, county_ids: list[int] | None = None
                       ) -> dict[int, dict[int, int]]:
    """{county id: {agency id: score}} of the latest assessment per agency."""
    qs = Assessment.objects.filter(election=election)
    if county_ids is not None:
        qs = qs.filter(county_id__in=county_ids)
    latest: dict[int, dict[int, int]] = defaultdict(dict)
    # Oldest first, so a later assessment of the same agency overwrites an earlier one.
    rows = qs.order_by("assessed_on", "created_at", "pk").values_list(
        "county_id", "agency_id", "score")
    for county_id, agency_id, score in rows:
        latest[county_id][agency_id] = score
    return latest


def _station_arrays(rows: list[tuple[Any, ...]], county_ids: list[int],
                    load: dict[int, float], cat: catalogue.Catalogue = catalogue.DEFAULT
                    ) -> tuple[Any, Any, Any, list[int]]:
    """Station factor values, voters, county index and ids from the numeric rows of
    ``_station_rows`` (one numpy conversion, no per-row Python)."""
    k = len(fx.STATION_FACTORS)
    if not rows:
        return np.zeros((0, k)), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), []
    table = np.array(rows, dtype=np.float64)
    ids = table[:, 0].astype(np.int64)
    order = np.argsort(np.array(county_ids, dtype=np.int64))
    sorted_ids = np.array(county_ids, dtype=np.int64)[order]
    county = table[:, 1].astype(np.int64)
    pos = np.clip(np.searchsorted(sorted_ids, county), 0, len(sorted_ids) - 1)
    keep = sorted_ids[pos] == county  # stations of counties outside the tree are skipped
    table, ids, index = table[keep], ids[keep], order[pos[keep]]
    # Counts outside the plausible range (stored before input was checked, or by hand)
    # are read as its nearest end: one such row must neither overflow the county's sum
    # of voters nor stop the recompute for everyone.
    table[:, 6:8] = np.clip(np.nan_to_num(table[:, 6:8]), 0, MAX_VOTERS)
    station_ids = ids.tolist()
    incidents = (np.array([load.get(i, 0.0) for i in station_ids]) if load
                 else np.zeros(len(station_ids)))
    # Columns 0 and 1 are the id and county id, then station_sql_columns() in its order.
    named = {name: table[:, 2 + i] for i, name in enumerate(fx.station_sql_columns())}
    cols = fx.StationColumns.from_columns(named, incidents)
    values = fx.station_factor_values(cols, incident_scale=cat.incident_scale,
                                      over_capacity_span=cat.over_capacity_span)
    return (values, cols.expected_voters.astype(np.int64),
            index.astype(np.int64), station_ids)


def _station_rows(election: Election, province: AdminUnit | None) -> list[tuple[Any, ...]]:
    """(id, county id, then the StationColumns inputs as numbers) of active stations."""
    stations = Station.objects.filter(election=election, status=Status.ACTIVE)
    if province is not None:
        stations = stations.filter(under("unit_path", province.path))
    # Prefixed: an annotation may not take the name of a model field.
    columns = {f"in_{name}": sql for name, sql in fx.station_sql_columns().items()}
    qs = stations.annotate(**columns).values_list("pk", "county_id", *columns)
    return _fetch(qs)


def load(election: Election, *, province: AdminUnit | None = None) -> Loaded:
    """The inputs for the whole election, or for one province only."""
    units = AdminUnit.objects.filter(kind__in=[Kind.PROVINCE, Kind.COUNTY])
    if province is not None:
        units = units.filter(under("path", province.path))
    provinces: list[tuple[int, int | None]] = []
    counties: list[tuple[int, int | None]] = []
    for pk, kind, parent_id in units.order_by("path").values_list("pk", "kind", "parent_id"):
        (provinces if kind == Kind.PROVINCE else counties).append((pk, parent_id))
    province_index = {pk: i for i, (pk, _) in enumerate(provinces)}
    county_ids = [pk for pk, _ in counties]
    cat = catalogue.current()  # the weights and parameters in force
    values, voters, station_county, station_ids = _station_arrays(
        _station_rows(election, province), county_ids, fx.incident_load(election), cat)
    scope = None if province is None else county_ids
    inputs = scoring.AtlasInputs(
        station_values=values, station_voters=voters, station_county=station_county,
        county_values=_county_values(election, county_ids, scope),
        county_floor=_floors(election, county_ids, scope),
        county_province=np.array([province_index.get(parent or 0, 0) for _, parent in counties],
                                 dtype=np.int64),
        n_provinces=len(provinces), thresholds=thresholds_for(election),
        weights=cat.scoring_weights(),
        province_floor=_floors(election, [pk for pk, _ in provinces],
                               None if province is None else [province.pk]),
    )
    return Loaded(inputs, station_ids, county_ids, [pk for pk, _ in provinces])


def _fetch(qs: Any) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` query straight from the cursor: 59,000 rows without
    Django's per-row conversion (booleans stay 0/1, which numpy reads the same)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _floors(election: Election, unit_ids: list[int], scope: list[int] | None
            ) -> npt.NDArray[np.int64]:
    """The national tier (0 for none) of each of ``unit_ids``, counties or provinces."""
    tiers = NationalTier.objects.filter(election=election)
    if scope is not None:
        tiers = tiers.filter(county_id__in=scope)
    by_unit = dict(tiers.values_list("county_id", "tier"))
    return np.array([by_unit.get(pk, 0) for pk in unit_ids], dtype=np.int64)


def _county_values(election: Election, county_ids: list[int], scope: list[int] | None
                   ) -> dict[str, Any]:
    """The county factors read from the database, by code (the high-risk share is
    computed from the station tiers in scoring)."""
    histories = CountyHistory.objects.filter(election=election, annulled=True)
    if scope is not None:
        histories = histories.filter(county_id__in=scope)
    annulled = set(histories.values_list("county_id", flat=True))
    assessed = latest_assessments(election, scope)
    floors = _floors(election, county_ids, scope)
    history, assessments = np.zeros(len(county_ids)), np.zeros(len(county_ids))
    for i, pk in enumerate(county_ids):
        history[i] = 1.0 if pk in annulled else 0.0
        scores = assessed.get(pk)
        if scores:
            assessments[i] = sum(fx.assessment_value(s) for s in scores.values()) / len(scores)
    return {"annulled_history": history, "assessments": assessments,
            "national_tier": fx.national_tier_value(floors)}


# --- writing ----------------------------------------------------------------------------


def _station_explanations(level: scoring.LevelScores) -> list[str]:
    """One JSON string per station, serialised once per distinct factor vector (station
    factors take few distinct values). The row's value and tier are columns, so the
    station explanation keeps only the factors (and the computed tier, always the tier)."""
    cache: dict[tuple[float, ...], str] = {}
    texts = []
    for row, key in enumerate(map(tuple, level.values.tolist())):
        text = cache.get(key)
        if text is None:
            explained = scoring.explanation(level, row)
            text = cache[key] = json.dumps({"factors": explained["factors"]},
                                           ensure_ascii=False)
        texts.append(text)
    return texts


def _station_params(election_id: int, loaded: Loaded, result: scoring.AtlasResult,
                    now: Any, only: set[int] | None = None) -> list[tuple[Any, ...]]:
    level = result.stations
    texts = _station_explanations(level)
    county_ids = np.array(loaded.county_ids, dtype=np.int64)
    counties = (county_ids[loaded.inputs.station_county].tolist()
                if len(county_ids) else [])
    rows = zip(repeat(election_id), loaded.station_ids, counties, level.score.tolist(),
               level.tier.tolist(), texts, repeat(now))
    if only is None:
        return list(rows)
    return [row for row in rows if row[1] in only]


def _unit_params(election_id: int, ids: list[int], level: scoring.LevelScores, kind: str,
                 now: Any, only: set[int] | None = None) -> list[tuple[Any, ...]]:
    return [
        (election_id, pk, kind, float(level.score[i]), int(level.tier[i]),
         int(level.computed_tier[i]), bool(level.floor_applied[i]),
         json.dumps(scoring.explanation(level, i), ensure_ascii=False),
         min(int(level.voters[i]), INT_MAX), int(level.members[i]), now)
        for i, pk in enumerate(ids) if only is None or pk in only
    ]


_STATION_FIELDS = ("election_id", "station_id", "county_id", "value", "tier", "explanation",
                   "computed_at")
_UNIT_FIELDS = ("election_id", "unit_id", "level", "value", "tier", "computed_tier",
                "floor_applied", "explanation", "voters", "members", "computed_at")
# Explanations are serialised once per distinct vector and the time stamp adapted once.
_READY = ("explanation", "computed_at")


def _scores_lock(election: Election) -> None:
    """Take the election's scores for this transaction (the election's row, FOR NO KEY
    UPDATE: rows that only reference the election are not held up).

    Recomputes delete a province's or the country's unit rows and insert them again; two
    at once on PostgreSQL (the task workers of two app servers, each after a station of
    the same province changed) would each delete the old rows, and the second, blocked
    until the first committed, would then insert rows the first had just inserted: a
    unique violation and a failed task (found by the user review of the national layout).
    Taken in turn, the second one's delete sees the first one's rows. SQLite's writers
    already take turns."""
    list(Election.objects.select_for_update(no_key=True).filter(pk=election.pk)
         .values_list("pk", flat=True))


def _write(stations: list[tuple[Any, ...]], units: list[tuple[Any, ...]]) -> None:
    bulk.insert_rows(StationScore, _STATION_FIELDS, stations, ready=_READY)
    bulk.insert_rows(UnitScore, _UNIT_FIELDS, units, ready=_READY)


@dataclass
class RecomputeCounts:
    stations: int
    counties: int
    provinces: int


def _now() -> Any:
    """The time stamp of a recompute, adapted for the database once rather than per row."""
    return connection.ops.adapt_datetimefield_value(timezone.now())


def recompute_all(election: Election) -> RecomputeCounts:
    """Replace every score of ``election`` (the caller audits)."""
    loaded = load(election)
    result = scoring.compute(loaded.inputs)
    now = _now()
    stations = _station_params(election.pk, loaded, result, now)
    units = (_unit_params(election.pk, loaded.county_ids, result.counties, UnitLevel.COUNTY, now)
             + _unit_params(election.pk, loaded.province_ids, result.provinces,
                            UnitLevel.PROVINCE, now))
    with transaction.atomic():
        _scores_lock(election)
        StationScore.objects.filter(election=election).delete()
        UnitScore.objects.filter(election=election).delete()
        _write(stations, units)
    return RecomputeCounts(len(stations), len(loaded.county_ids), len(loaded.province_ids))


def recompute_province(election: Election, province: AdminUnit, *, station_ids: set[int] | None,
                       county_ids: set[int] | None) -> None:
    """Recompute ``province`` and write the given stations (None: all), counties (None:
    all) and the province itself. A listed station that no longer scores (closed, moved
    away) loses its row."""
    loaded = load(election, province=province)
    result = scoring.compute(loaded.inputs)
    now = _now()
    stations = _station_params(election.pk, loaded, result, now, station_ids)
    units = (_unit_params(election.pk, loaded.county_ids, result.counties, UnitLevel.COUNTY, now,
                          county_ids)
             + _unit_params(election.pk, loaded.province_ids, result.provinces,
                            UnitLevel.PROVINCE, now))
    with transaction.atomic():
        _scores_lock(election)
        old_stations = StationScore.objects.filter(election=election)
        if station_ids is None:
            old_stations = old_stations.filter(county_id__in=loaded.county_ids)
        else:
            old_stations = old_stations.filter(station_id__in=station_ids)
        old_stations.delete()
        UnitScore.objects.filter(election=election, unit_id__in=[row[1] for row in units]
                                 ).delete()
        _write(stations, units)
