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
    # A station with no unit below its county: the unit's columns all NULL (None).
    found = sql.fetch_joined((Station, AdminUnit, AdminUnit), *query, optional=(2,))
    if not found:
        return None
    station, county, unit = found[0]
    units = {county.pk: county}
    if unit is not None:
        units[unit.pk] = unit
    return station_placed(station, units, election)


def current_station(text: str, *, within: list[str] | None = None
                    ) -> tuple[Election | None, Station | None]:
    """``current_election`` and ``find_station`` in it, in one round trip: (the current
    election, the station), or (None, None) when no station of the current election
    (or no election) matches."""
    query = station_query(None, text, within=within, with_units=True,
                          election_query=current_query(columns="id"))
    if query is None:
        return None, None
    # A station with no unit below its county: the unit's columns all NULL (None).
    found = sql.fetch_joined((Station, AdminUnit, AdminUnit, Election), *query,
                             optional=(2,))
    if not found:
        return None, None
    station, county, unit, election = found[0]
    units = {county.pk: county}
    if unit is not None:
        units[unit.pk] = unit
    return election, station_placed(station, units, election)


def category_by_code(code: str) -> Category | None:
    """``incidents.selectors.category_by_code``."""
    return category_pick(sql.fetch(Category, *category_query(code)), code)


# --- election day (operations): the field API's check-ins ---------------------------------


# The window by its code (on the (election, code) unique index) with the station's day
# row and another reporter's turnout for that window: ``window_for``'s look-up, the day
# ``checkin_prepare`` reads and ``services._other_voters`` for a signed-in reporter.
_WINDOW_DAY = (
    "SELECT w.*, d.*, (SELECT c.voters FROM operations_checkin c"
    " WHERE c.station_id = %s AND c.window_id = w.id AND c.voters IS NOT NULL"
    " AND (c.reporter_id IS NULL OR c.reporter_id <> %s)"
    # A superseded figure is nobody's to disagree with (branch ckfix's state: no row
    # has it before that merges).
    " AND c.state <> 'superseded' LIMIT 1)"
    " FROM operations_window w LEFT JOIN operations_stationday d"
    " ON d.election_id = %s AND d.station_id = %s"
    " WHERE w.election_id = %s AND w.code = %s")


def window_and_day(election: Election, station: Station, code: str, user_id: int
                   ) -> tuple[Window | None, StationDay | None, int | None]:
    """The window named ``code`` (``Window.objects.filter(election=…, code=…).first()``,
    as ``operations.services.window_for``), the station's day row (None if it has
    none) and another reporter's turnout for the same station and window (None if
    nobody else reported one), in one round trip; (None, None, None) for no such
    window."""
    found = sql.fetch_joined(
        (Window, StationDay), _WINDOW_DAY,
        [station.pk, user_id, station.election_id, station.pk, election.pk,
         code.strip().upper()], extra=1, optional=(1,))
    if not found:
        return None, None, None
    window, day, other = found[0]
    return window, day, None if other is None else int(other)


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
