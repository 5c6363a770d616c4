"""The factor catalogue in force: weights and parameters, versioned.

``atlas.factors`` keeps the catalogue's definitions (codes, names, normalisations) and
its default weights (version 0). A national administrator changes the weights and the two
normalisation parameters on ``/atlas/factors/`` (``services.catalogue_set``: a new
``FactorCatalogue`` version, audited before → after, then a recompute in the background);
the recompute reads ``current()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from amanat.atlas import factors as fx
from amanat.atlas import scoring
from amanat.atlas.models import FactorCatalogue


def _default_weights() -> dict[str, float]:
    return {f.code: f.weight for f in fx.CATALOGUE.values()}


@dataclass(frozen=True)
class Catalogue:
    version: int = 0
    weights: dict[str, float] = field(default_factory=_default_weights)
    station_mean: float = fx.STATION_MEAN_WEIGHT
    county_mean: float = fx.COUNTY_MEAN_WEIGHT
    incident_scale: float = fx.INCIDENT_SCALE
    over_capacity_span: float = fx.OVER_CAPACITY_SPAN

    def weight(self, code: str) -> float:
        return float(self.weights.get(code, fx.CATALOGUE[code].weight))

    def scoring_weights(self) -> scoring.Weights:
        def level(factors: tuple[fx.Factor, ...]) -> np.ndarray:
            return np.array([self.weight(f.code) for f in factors], dtype=np.float64)

        return scoring.Weights(station=level(fx.STATION_FACTORS),
                               county=level(fx.COUNTY_FACTORS),
                               province=level(fx.PROVINCE_FACTORS),
                               station_mean=self.station_mean, county_mean=self.county_mean)

    def as_dict(self) -> dict[str, object]:
        """The version's values as the audit trail records them."""
        return {"version": self.version,
                "weights": {code: self.weight(code) for code in fx.CATALOGUE},
                "station_mean_weight": self.station_mean, "county_mean_weight": self.county_mean,
                "incident_scale": self.incident_scale,
                "over_capacity_span": self.over_capacity_span}


DEFAULT = Catalogue()


def of(row: FactorCatalogue) -> Catalogue:
    return Catalogue(version=row.version,
                     weights={**_default_weights(),
                              **{k: float(v) for k, v in row.weights.items()
                                 if k in fx.CATALOGUE}},
                     station_mean=row.station_mean_weight, county_mean=row.county_mean_weight,
                     incident_scale=row.incident_scale,
                     over_capacity_span=row.over_capacity_span)


def current() -> Catalogue:
    """The version in force (the highest), or the defaults in code."""
    row = FactorCatalogue.objects.order_by("-version").first()
    return of(row) if row is not None else DEFAULT
