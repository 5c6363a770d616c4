"""Recomputing scores: the whole election, or one station's or county's province.

The background tasks (``atlas.tasks``) run these; ``atlas.services`` enqueues the tasks.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db import transaction

from amanat.accounts.access import AnyUser
from amanat.atlas import compute
from amanat.audit.services import audit_record
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.stations.models import Station


@dataclass
class RecomputeResult:
    stations: int
    counties: int
    provinces: int
    seconds: float


def atlas_recompute(*, election: Election, actor: AnyUser | None = None,
                    actor_name: str | None = None) -> RecomputeResult:
    """Recompute every station, county and province score of ``election``."""
    started = time.perf_counter()
    with transaction.atomic():
        counts = compute.recompute_all(election)
        seconds = time.perf_counter() - started
        audit_record(action="atlas.recompute", actor=actor, actor_name=actor_name,
                     object_type="elections.election", object_id=election.pk,
                     extra={"stations": counts.stations, "counties": counts.counties,
                      "provinces": counts.provinces})
    return RecomputeResult(counts.stations, counts.counties, counts.provinces, seconds)


def _province_of(county: AdminUnit) -> AdminUnit | None:
    if county.parent_id is None:
        return None
    return AdminUnit.objects.filter(pk=county.parent_id, kind=Kind.PROVINCE).first()


def atlas_station_changed(*, station_id: int) -> bool:
    """Recompute one station, its county and its province; False if it no longer exists.

    A station that was closed loses its score row, and its county and province are
    recomputed without it."""
    station = Station.objects.select_related("county", "election").filter(pk=station_id).first()
    if station is None:
        return False
    province = _province_of(station.county)
    if province is None:
        return False
    compute.recompute_province(station.election, province, station_ids={station.pk},
                               county_ids={station.county_id})
    return True


def atlas_county_changed(*, election: Election, county: AdminUnit) -> None:
    """Recompute a county and its province after a county input changed (station scores
    depend on station factors only, so they stay)."""
    province = _province_of(county)
    if province is None:
        return
    compute.recompute_province(election, province, station_ids=set(), county_ids={county.pk})


def atlas_province_changed(*, election: Election, province: AdminUnit) -> None:
    """Recompute a province after its own input (its national tier) changed: only its
    row can change."""
    if province.kind != Kind.PROVINCE:
        return
    compute.recompute_province(election, province, station_ids=set(), county_ids=set())
