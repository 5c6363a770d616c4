"""A batch of the field API's check-ins, stored by the group-commit writer with one
statement each for the check-ins, their flags, the stations' days and the audit events
(README.md).

The checks, the quality rules, the row and the audit event are ``operations.services.
checkin_prepare``'s, as for every channel; only how the writer stores a batch of them is
the intake's.  A check-in that cannot go with the batch (a key taken meanwhile, a station
without its day row) goes through ``operations.services.checkin_store`` instead, which
handles those cases; ``stationday_move`` is what the day upsert here does in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from amanat.intake import audit, sql
from amanat.operations.models import CheckinState, Flag, Kind, StationDay
from amanat.operations.services import PreparedCheckin, disputes_quarantine, supersede_many


@dataclass(frozen=True)
class Ready:
    """A prepared check-in with its INSERT values and its station's day values, worked
    out in the request thread: outside the shared write transaction, where time is
    serial."""

    prepared: PreparedCheckin
    row: list[Any]
    day: list[Any]
    # The station had open flags when the request read its day: a resent figure may
    # supersede the reporter's held one (``supersede``).
    held: bool = False


class NotStoredTogether(Exception):
    """``store_many`` could not store the lot as it is; store each on its own."""


# The day row's columns in the upsert, in order.
DAY_COLUMNS = ("election_id", "station_id", "county_id", "province_id", "unit_path",
               "registered", "last_heard_at", "last_kind", "opened_at", "closed_at", "voters",
               "total", "flagged")


def ready(prepared: PreparedCheckin, day: StationDay) -> Ready:
    """``day``: the station's day row as read by the request (it exists: a station
    without one is stored by ``checkin_store``, which makes it)."""
    checkin = prepared.checkin
    at = sql.db_datetime(checkin.received_at)
    published = checkin.state != CheckinState.QUARANTINED
    values = [
        day.election_id, day.station_id, day.county_id, day.province_id, day.unit_path,
        day.registered, at, checkin.kind,
        at if checkin.kind == Kind.OPENING else None,
        at if checkin.kind == Kind.CLOSING else None,
        # Published figures from the kinds that carry them only (services.FIGURE_OF).
        checkin.voters if published and checkin.kind == Kind.TURNOUT else None,
        checkin.total if published and checkin.kind == Kind.CLOSING else None,
        len(prepared.fired),
    ]
    return Ready(prepared, sql.row_values(checkin), values, held=day.flagged > 0)


def store_many(items: Sequence[Ready]) -> None:
    """Write many prepared check-ins, their flags, their stations' days and their audit
    events: one INSERT each (the days: one upsert per round of distinct stations).

    All or nothing: if a check-in's key is stored already this raises
    ``NotStoredTogether`` having written nothing that the caller's savepoint does not
    undo.
    """
    if any(not item.prepared.checkin.client_key for item in items):
        raise NotStoredTogether("a check-in without a key is stored on its own")
    # What this attempt adds to the events (a dispute, a superseded figure) is undone
    # with it if it fails: each check-in is then stored on its own, and works that out
    # again (review fo500: a retry that found no dispute kept the attempt's).
    extras = [item.prepared.event.extra for item in items]
    try:
        _store_together(items)
    except BaseException:
        for item, extra in zip(items, extras, strict=True):
            item.prepared.event.extra = extra
        raise


def _store_together(items: Sequence[Ready]) -> None:
    with transaction.atomic(savepoint=False):
        checkins = [item.prepared.checkin for item in items]
        if sql.insert_many(checkins, match="client_key", skip_conflicts=True,
                           rows=[item.row for item in items]) != len(checkins):
            raise NotStoredTogether("a check-in's key is taken")
        flags = [Flag(checkin_id=item.prepared.checkin.pk, rule=fired.rule,
                      election_id=checkin.election_id, station_id=checkin.station_id,
                      county_id=checkin.county_id, unit_path=checkin.unit_path,
                      values=fired.values, created_at=checkin.received_at)
                 for item in items for checkin in [item.prepared.checkin]
                 for fired in item.prepared.fired]
        if flags:
            sql.insert_many(flags)
        for rows in _rounds(items):
            sql.execute(_day_upsert(len(rows)), [value for row in rows for value in row])
        for item in items:
            # Two reporters disagree: the other's published figure is disputed too.
            if item.prepared.fired:
                disputes_quarantine(item.prepared)
        superseding = supersede(items)
        for item in items:
            item.prepared.event.object_id = str(item.prepared.checkin.pk)
        audit.append_many([item.prepared.event for item in items] + superseding)


def supersede(items: Sequence[Ready]) -> list[Any]:
    """A reporter's resent figure supersedes their own held one
    (``operations.services.checkins_supersede``, user review 2 F16): asked only for the
    check-ins of stations that had open flags when read, or that a check-in earlier in
    the batch flagged; then one SELECT for the batch.  Returns the audit events to
    append with the batch's."""
    flagged: set[int] = set()
    candidates = []
    for item in items:
        station = item.prepared.checkin.station_id
        if item.held or station in flagged:
            candidates.append(item.prepared)
        if item.prepared.fired:
            flagged.add(station)
    return supersede_many(candidates) if candidates else []


def _rounds(items: Sequence[Ready]) -> list[list[list[Any]]]:
    """The days' values in rounds of distinct stations, in order: one statement may not
    touch a row twice (PostgreSQL refuses; the second check-in must see the first)."""
    rounds: list[tuple[set[int], list[list[Any]]]] = []
    for item in items:
        station = item.day[1]
        # After the last round that has this station, so that its check-ins stay in order.
        last = max((n for n, (seen, _) in enumerate(rounds) if station in seen), default=-1)
        if last + 1 == len(rounds):
            rounds.append((set(), []))
        seen, rows = rounds[last + 1]
        seen.add(station)
        rows.append(item.day)
    return [rows for _, rows in rounds]


_UPSERTS: dict[tuple[str, int], str] = {}


def _day_upsert(rows: int) -> str:
    """``stationday_move`` for ``rows`` check-ins of distinct stations, in one statement:
    each SET reads the row as it is now, so check-ins stored meanwhile by another
    process or path count too."""
    key = (connection.vendor, rows)
    if key not in _UPSERTS:
        quote = connection.ops.quote_name
        table = quote(StationDay._meta.db_table)

        def now(column: str) -> str:
            return f"{table}.{quote(column)}"

        def new(column: str) -> str:
            return f"excluded.{quote(column)}"

        later = (f"{now('last_heard_at')} IS NULL"
                 f" OR {now('last_heard_at')} <= {new('last_heard_at')}")
        sets = {
            "last_heard_at": f"CASE WHEN {later} THEN {new('last_heard_at')}"
                             f" ELSE {now('last_heard_at')} END",
            "last_kind": f"CASE WHEN {later} THEN {new('last_kind')} ELSE {now('last_kind')} END",
            "opened_at": f"COALESCE({now('opened_at')}, {new('opened_at')})",
            "closed_at": f"COALESCE({new('closed_at')}, {now('closed_at')})",
            "voters": f"COALESCE({new('voters')}, {now('voters')})",
            "total": f"COALESCE({new('total')}, {now('total')})",
            "flagged": f"{now('flagged')} + {new('flagged')}",
            "silent_since": "NULL",
        }
        marks = ", ".join([f"({', '.join(['%s'] * len(DAY_COLUMNS))})"] * rows)
        columns = ", ".join(quote(column) for column in DAY_COLUMNS)
        assignments = ", ".join(f"{quote(column)} = {value}" for column, value in sets.items())
        # Only names from the model's metadata and %s marks go into the text.
        _UPSERTS[key] = (
            f"INSERT INTO {table} ({columns}) VALUES {marks}"  # noqa: S608
            f" ON CONFLICT ({quote('election_id')}, {quote('station_id')})"
            f" DO UPDATE SET {assignments}")
    return _UPSERTS[key]
