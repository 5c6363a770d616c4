"""Distances on the Earth and how far a unit's places reach, Django-free."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
# A point may lie this much beyond a unit's furthest known place (places are towns and
# villages, not the border), and never less than AREA_FLOOR_KM from its centre: a county
# with few placed villages must not shrink to a dot.
AREA_MARGIN = 1.25
AREA_SLACK_KM = 20.0
AREA_FLOOR_KM = 50.0


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlam = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Area:
    """A unit as a circle: its own point and the distance its known places reach."""

    name: str
    latitude: float
    longitude: float
    reach_km: float  # the furthest known place from the centre

    @property
    def limit_km(self) -> float:
        """How far from the centre a point of the unit may plausibly lie."""
        return max(AREA_FLOOR_KM, self.reach_km * AREA_MARGIN + AREA_SLACK_KM)

    def distance_km(self, lat: float, lon: float) -> float:
        return distance_km(self.latitude, self.longitude, lat, lon)


def area_of(
    name: str, centre: tuple[float, float] | None, places: Iterable[tuple[float, float]]
) -> Area | None:
    """The Area of a unit from its point (else the mean of its places) and its places'
    points; None when nothing is placed."""
    points = list(places)
    if centre is None:
        if not points:
            return None
        centre = (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))
    lat, lon = centre
    reach = max((distance_km(lat, lon, p[0], p[1]) for p in points), default=0.0)
    return Area(name, lat, lon, reach)
