"""The report API's per-request lookups in plain SQL (README.md: why).

Each runs the very SELECT that the owning app's ORM reader runs (the text is the app's:
``elections.models.current_query``, ``incidents.selectors.station_query`` and
``category_query``), on ``amanat.intake.sql``, which builds the instances without
compiling a query.  So the rule (which election is current, which station a code
names, which category a code means) is written once, and read two ways.
"""

from __future__ import annotations

from typing import Any

from amanat.elections.models import Election, current_query
from amanat.geo.models import AdminUnit
from amanat.incidents.models import Category
from amanat.incidents.selectors import (
    category_pick,
    category_query,
    station_placed,
    station_query,
)
from amanat.intake import sql
from amanat.operations.models import QualityRule, StationDay, Window
from amanat.stations.models import Station


def current_election() -> Election | None:
    """``Election.objects.current()``."""
    return sql.fetch_first(Election, *current_query())


def find_station(election: Election | None, text: str, *, within: list[str] | None = None
                 ) -> Station | None:
    """``incidents.selectors.find_station``."""
    query = station_query(election, text, within=within, with_units=True)
    if query is None or election is None:
        return None
    found = sql.fetch_joined((Station, AdminUnit, AdminUnit), *query)
    if not found:
        return None
    station, county, unit = found[0]
    units = {county.pk: county}
    if unit.pk is not None:  # a station with no unit below its county: all NULL
        units[unit.pk] = unit
    return station_placed(station, units, election)


def category_by_code(code: str) -> Category | None:
    """``incidents.selectors.category_by_code``."""
    return category_pick(sql.fetch(Category, *category_query(code)), code)


# --- election day (operations): the field API's check-ins ---------------------------------


def window_by_code(election: Election, code: str) -> Window | None:
    """``Window.objects.filter(election=…, code=…).first()`` (``operations.services.
    window_for``), on the (election, code) unique index."""
    return sql.fetch_first(
        Window, "SELECT * FROM operations_window WHERE election_id = %s AND code = %s",
        [election.pk, code.strip().upper()])


def station_day(station: Station) -> StationDay | None:
    """The station's day row, as ``operations.services.checkin_prepare`` reads it."""
    return sql.fetch_first(
        StationDay,
        "SELECT * FROM operations_stationday WHERE election_id = %s AND station_id = %s",
        [station.election_id, station.pk])


_rules: tuple[list[tuple[Any, ...]], list[QualityRule]] | None = None
# Every column a rule's evaluation or its flag's words read: the cache's key is their
# contents, so any edit (on the page, in the admin, a bulk UPDATE that leaves
# ``updated_at`` alone, an expression of the same length) is seen at once (attack F8).
_RULE_KEY = ("SELECT id, code, name_fa, name_en, description, kinds, expression, active,"
             " updated_at FROM operations_qualityrule WHERE active ORDER BY code, id")


def quality_rules() -> list[QualityRule]:
    """The active rules, as ``checkin_prepare`` reads them.

    Kept by the process while the rules' rows are as they were: one look at their
    contents (a handful of short rows) instead of building every rule's instance for
    every check-in.
    """
    global _rules
    key = [tuple(row) for row in sql.values(_RULE_KEY)]
    cached = _rules
    if cached is not None and cached[0] == key:
        return cached[1]
    rules = sql.fetch(QualityRule,
                      "SELECT * FROM operations_qualityrule WHERE active ORDER BY code, id")
    _rules = (key, rules)
    return rules


def other_voters(station: Station, window: Window, user_id: int) -> int | None:
    """``operations.services._other_voters`` for a signed-in reporter: another
    reporter's turnout for the same station and window."""
    found = sql.values(
        "SELECT voters FROM operations_checkin WHERE station_id = %s AND window_id = %s"
        " AND voters IS NOT NULL AND (reporter_id IS NULL OR reporter_id <> %s)"
        " AND state <> 'superseded' LIMIT 1",
        [station.pk, window.pk, user_id])
    return int(found[0][0]) if found else None
