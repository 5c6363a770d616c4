"""Indicator values: one number per county, computed from Amanat's own data.

Each kind is one grouped query over the whole country, whatever the number of counties
(docs/plans.md lists the definitions; bench/indicators.py measures them).  Rows whose
unit lies below a county (a village, a city) are counted for the county whose path
prefixes theirs.  No indicator reads personal data: they count cases, reports, stations
and measures by place, time and category, never who sent or who is named
(``tests/test_indicators.py`` checks the columns read).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils import timezone

from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents.models import Case, Report
from amanat.operations.models import StationDay
from amanat.plans.models import Indicator, IndicatorKind, Measure
from amanat.stations.models import Station, Status, ready_q

# The columns each kind reads (checked by a test: none is personal).
COLUMNS_READ: dict[str, tuple[str, ...]] = {
    IndicatorKind.OPEN_SERIOUS_CASES: ("incidents_case.unit_path", "incidents_case.status",
                                       "incidents_case.severity", "incidents_case.election_id",
                                       "incidents_case.category_id"),
    IndicatorKind.REPORTS_PER_HOUR: ("incidents_report.unit_path",
                                     "incidents_report.received_at",
                                     "incidents_report.category_id",
                                     "incidents_report.election_id"),
    IndicatorKind.READINESS_GAPS: ("stations_station.county_id", "stations_station.status",
                                   "stations_station.cctv", "stations_station.power_backup",
                                   "stations_station.evoting_planned",
                                   "stations_station.fibre", "stations_station.evoting_ready",
                                   "stations_station.election_id"),
    IndicatorKind.OVERDUE_MEASURES: ("plans_measure.unit_path", "plans_measure.status",
                                     "plans_measure.due_on", "plans_measure.election_id"),
    IndicatorKind.SILENT_STATIONS: ("operations_stationday.county_id",
                                    "operations_stationday.silent_since",
                                    "operations_stationday.election_id"),
}


def county_paths() -> dict[int, str]:
    """{county id: path} for every county (448 rows nationally)."""
    return dict(AdminUnit.objects.filter(kind=Kind.COUNTY).values_list("pk", "path"))


def county_prefix(path: str) -> str:
    """The county part of a materialised path ("I-IR/P23/C2310/…" → "I-IR/P23/C2310/")."""
    parts = path.split("/")
    return "/".join(parts[:3]) + "/" if len(parts) > 3 else ""


def by_county(rows: Iterable[tuple[str, int]], counties: dict[str, int]) -> dict[int, float]:
    """Sum (unit path, count) rows per county id."""
    totals: dict[int, float] = defaultdict(float)
    for path, n in rows:
        county = counties.get(county_prefix(path))
        if county is not None:
            totals[county] += n
    return dict(totals)


class IndicatorValues:
    """Values per county of an election at ``now``, each query made once per run."""

    def __init__(self, *, election: Election, now: datetime.datetime) -> None:
        self.election, self.now = election, now
        self._paths: dict[str, int] | None = None
        self._cache: dict[tuple[str, int | None, int], dict[int, float]] = {}

    @property
    def paths(self) -> dict[str, int]:
        if self._paths is None:
            self._paths = {path: pk for pk, path in county_paths().items()}
        return self._paths

    def of(self, indicator: Indicator) -> dict[int, float]:
        key = (indicator.kind, indicator.category_id, indicator.window_minutes)
        if key not in self._cache:
            self._cache[key] = self.compute(indicator.kind, indicator.category_id,
                                            indicator.window_minutes)
        return self._cache[key]

    def compute(self, kind: str, category_id: int | None, window_minutes: int
                ) -> dict[int, float]:
        category = Q(category_id=category_id) if category_id else Q()
        if kind == IndicatorKind.OPEN_SERIOUS_CASES:
            cases = (Case.objects.open().serious().filter(category, election=self.election)
                    .values_list("unit_path").annotate(n=Count("pk")).order_by())
            return by_county(cases, self.paths)
        if kind == IndicatorKind.REPORTS_PER_HOUR:
            since = self.now - datetime.timedelta(minutes=window_minutes)
            reports = (Report.objects.filter(category, received_at__gte=since,
                                          received_at__lte=self.now)
                    .filter(Q(election=self.election) | Q(election__isnull=True))
                    .values_list("unit_path").annotate(n=Count("pk")).order_by())
            hours = window_minutes / 60
            return {k: v / hours for k, v in by_county(reports, self.paths).items()}
        if kind == IndicatorKind.READINESS_GAPS:
            stations = (Station.objects.filter(election=self.election, status=Status.ACTIVE)
                    .exclude(ready_q()).values_list("county_id").annotate(n=Count("pk"))
                    .order_by())
            return {county: float(n) for county, n in stations}
        if kind == IndicatorKind.OVERDUE_MEASURES:
            today = timezone.localtime(self.now).date()
            measures = (Measure.objects.overdue(today).filter(election=self.election)
                    .values_list("unit_path").annotate(n=Count("pk")).order_by())
            return by_county(measures, self.paths)
        if kind == IndicatorKind.SILENT_STATIONS:
            # The watch (operations.watch) keeps silent_since on the stations' day rows.
            silent = (StationDay.objects.filter(election=self.election,
                                                silent_since__isnull=False)
                      .values_list("county_id").annotate(n=Count("pk")).order_by())
            return {county: float(n) for county, n in silent}
        raise ValueError(f"unknown indicator kind {kind!r}")
