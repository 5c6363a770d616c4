"""The report API's per-request lookups in plain SQL (README.md: why).

Each runs the very SELECT, or the very conditions, that the owning app's ORM reader
runs (the texts are the apps': ``elections.models.current_query``,
``incidents.selectors.station_match`` and ``category_match``), on ``amanat.intake.sql``,
which builds the instances without compiling a query.  So the rule (which election is
current, which station a code names, which category a code means) is written once, and
read two ways.
"""

from __future__ import annotations

from typing import Any

from amanat.elections.models import Election, current_query
from amanat.geo.models import AdminUnit
from amanat.incidents.models import Category
from amanat.incidents.selectors import (
    category_match,
    category_pick,
    station_match,
    station_placed,
)
from amanat.intake import sql
from amanat.operations.models import QualityRule, StationDay, Window
from amanat.stations.models import Station


def report_lookups(station_text: str | None, *, within: list[str] | None = None,
                   category: str | None = None
                   ) -> tuple[Election | None, Station | None, Category | None]:
    """``Election.objects.current()``, then ``incidents.selectors.find_station(election,
    station_text, within=…)`` (None without ``station_text``) and ``category_by_code(
    category)`` (None without it), in ONE SELECT: the current election
    (``current_query``'s text, as a derived table) joined with the station, its county
    and unit (``station_match``'s conditions) and the category (``category_match``'s).
    One round trip where there were three: on PostgreSQL each costs the app and the
    server CPU on the same cores (docs/benchmarks.md, "PostgreSQL: intake CPU per
    report, election, station and category in one SELECT")."""
    election_sql, params = current_query()
    # Each table's columns written out, never ``x.*`` (``sql.columns`` says why).
    columns = [sql.columns(Election, "e")]
    models_: list[type[Any]] = [Election]
    joins = [f"LEFT JOIN ({election_sql}) e ON 1 = 1"]
    station = station_match(station_text, within=within) if station_text else None
    if station is not None:
        conditions, station_params = station
        columns += [sql.columns(Station, "s"), sql.columns(AdminUnit, "c"),
                    sql.columns(AdminUnit, "u")]
        models_ += [Station, AdminUnit, AdminUnit]
        joins.append("LEFT JOIN (stations_station s JOIN geo_adminunit c ON c.id = s.county_id"
                     " LEFT JOIN geo_adminunit u ON u.id = s.unit_id)"
                     f" ON s.election_id = e.id AND {conditions}")
        params += station_params
    if category is not None:
        condition, category_params = category_match(category)
        columns.append(sql.columns(Category, "k"))
        models_.append(Category)
        joins.append(f"LEFT JOIN incidents_category k ON {condition}")
        params += category_params
    # Only the owning apps' texts and %s marks go into the statement.  Every part is
    # LEFT JOINed: one that is missing is None (no instance built for it).
    rows = sql.fetch_joined(
        models_, f"SELECT {', '.join(columns)} FROM (SELECT 1 AS one) o {' '.join(joins)}",  # noqa: S608
        params, optional=range(len(models_)))
    first = rows[0]  # the election's derived table is joined to one row: never empty
    election: Election | None = first[0]
    found: Station | None = None
    if station is not None and election is not None and first[1] is not None:
        found, county, unit = first[1:4]
        units = {county.pk: county}
        if unit is not None:  # a station with no unit below its county
            units[unit.pk] = unit
        found = station_placed(found, units, election)
    categories: Category | None = None
    if category is not None:
        # Up to two categories match (one by its code, one by its SMS code), each
        # repeated on every station row.
        matched = {row[-1].pk: row[-1] for row in rows if row[-1] is not None}
        categories = category_pick(matched.values(), category)
    return election, found, categories


# --- election day (operations): the field API's check-ins ---------------------------------


# The window by its code (on the (election, code) unique index) with the station's day
# row and another reporter's turnout for that window: ``window_for``'s look-up, the day
# ``checkin_prepare`` reads and ``services._other_voters`` for a signed-in reporter.
_WINDOW_DAY = (
    "SELECT {window}, {day}, (SELECT c.voters FROM operations_checkin c"
    " WHERE c.station_id = %s AND c.window_id = w.id AND c.voters IS NOT NULL"
    " AND (c.reporter_id IS NULL OR c.reporter_id <> %s)"
    # A superseded figure is nobody's to disagree with (branch ckfix's state: no row
    # has it before that merges).
    " AND c.state <> 'superseded' LIMIT 1)"
    " FROM operations_window w LEFT JOIN operations_stationday d"
    " ON d.election_id = %s AND d.station_id = %s"
    " WHERE w.election_id = %s AND w.code = %s")


_WINDOW_DAYS: dict[str, str] = {}


def _window_day() -> str:
    """``_WINDOW_DAY`` with the window's and the day's columns written out (never
    ``w.*``: ``sql.columns`` says why), once per database vendor."""
    vendor = sql.vendor()
    if vendor not in _WINDOW_DAYS:
        _WINDOW_DAYS[vendor] = _WINDOW_DAY.format(window=sql.columns(Window, "w"),
                                                  day=sql.columns(StationDay, "d"))
    return _WINDOW_DAYS[vendor]


def window_and_day(election: Election, station: Station, code: str, user_id: int
                   ) -> tuple[Window | None, StationDay | None, int | None]:
    """The window named ``code`` (``Window.objects.filter(election=…, code=…).first()``,
    as ``operations.services.window_for``), the station's day row (None if it has
    none) and another reporter's turnout for the same station and window (None if
    nobody else reported one), in one round trip; (None, None, None) for no such
    window."""
    found = sql.fetch_joined(
        (Window, StationDay), _window_day(),
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
