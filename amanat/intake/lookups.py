"""The report API's per-request lookups in plain SQL (README.md: why).

Each runs the very SELECT that the owning app's ORM reader runs (the text is the app's:
``elections.models.current_query``, ``incidents.selectors.station_query`` and
``category_query``), on ``amanat.intake.sql``, which builds the instances without
compiling a query.  So the rule (which election is current, which station a code
names, which category a code means) is written once, and read two ways.
"""

from __future__ import annotations

from amanat.elections.models import Election, current_query
from amanat.geo.models import AdminUnit
from amanat.incidents.models import Category
from amanat.incidents.selectors import (
    category_pick,
    category_query,
    station_placed,
    station_query,
    station_unit_ids,
)
from amanat.intake import sql
from amanat.stations.models import Station


def current_election() -> Election | None:
    """``Election.objects.current()``."""
    return sql.fetch_first(Election, *current_query())


def find_station(election: Election | None, text: str, *, within: list[str] | None = None
                 ) -> Station | None:
    """``incidents.selectors.find_station``."""
    query = station_query(election, text, within=within)
    if query is None or election is None:
        return None
    station = sql.fetch_first(Station, *query)
    if station is None:
        return None
    return station_placed(station, sql.by_ids(AdminUnit, station_unit_ids(station)), election)


def category_by_code(code: str) -> Category | None:
    """``incidents.selectors.category_by_code``."""
    return category_pick(sql.fetch(Category, *category_query(code)), code)
