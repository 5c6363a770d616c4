"""``amanat operations-verify``: the election-day tables against the audit log.

The audit chain protects the log; nothing protects a table's rows from someone with
database rights (``UPDATE operations_checkin SET voters = …``).  The log holds every
check-in's values as received (``operations.checkin.receive``) and every later audited
change (a quality flag verified or corrected, a turnout taken back into quarantine by
another reporter's disagreeing figure), so a table can be compared with it:

* every check-in: its stored values against its receive event and the later events (the
  last audited value wins); a check-in in the table with no receive event, and one in
  the log missing from the table;
* every station's day: its published figures (the latest turnout and closing total not
  in quarantine, as ``services.stationday_republish`` computes them) against its
  check-ins; a station with check-ins and no day row.

Both passes stream: the rows and the events are read in key order, in chunks, and merged
(``merge_by_key``), so memory does not grow with the day (only the disputes, a few
hundred, are held).  A difference is read again before it is reported: a check-in
stored or corrected while the pass ran is not taken for tampering (``confirm``).

``merge_by_key`` and ``log_values`` are the reusable part: any table whose rows the log
describes fully (each row's creation with its values, every change with its new values)
can be reconciled the same way (docs/operations.md lists the candidates).
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist
from django.db.models import BigIntegerField, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from amanat.audit.models import Event
from amanat.audit.services import jsonable
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit
from amanat.geo.paths import under
from amanat.operations import services
from amanat.operations.models import (
    PUBLISHED_STATES,
    Checkin,
    CheckinState,
    DaySettings,
    Flag,
    FlagState,
    Kind,
    QualityRule,
    StationDay,
    Window,
)
from amanat.stations.models import Station

CHUNK = 2000
CHECKIN = "operations.checkin"
RECEIVE = "operations.checkin.receive"
# The events that change a stored check-in's values: a person verified or corrected its
# figures (``after``: state, voters, total), or the same reporter's resend superseded
# its held figure (``after``: state).
CHANGES = ("operations.flag.verify", "operations.flag.correct", "operations.checkin.supersede")
# The fields a receive event holds (services.CHECKIN_AUDIT_FIELDS; a field an older
# event does not hold is not compared).
FIELDS = ("station_id", "window_id", "kind", "source", "staff", "materials", "cameras",
          "network", "voters", "total", "incidents", "state", "received_at", "simulated")
DAY_FIELDS = ("voters", "total")
# A day's registered voters (which the register rules read) and the station registry's
# figure it was copied from (audited with every edit of the station): a day row raised
# behind the log's back would switch the rules off for its station (attack review 3, F1).
REGISTER_FIELDS = ("registered", "station__expected_voters")


class Problem:
    """What a mismatch is (its ``kind``)."""

    CHANGED = "changed"            # a stored value differs from the log's last value
    MISSING = "missing"            # in the log, not in the table
    UNLOGGED = "unlogged"          # in the table, no receive event in the log
    DAY = "day"                    # a station's published figure differs
    NO_DAY = "no_day"              # check-ins and no day row
    WINDOW = "window"              # a window's times or the day's settings differ
    UNFLAGGED = "unflagged"        # held for review with no open flag: nobody decides it
    REGISTER = "register"          # a day's registered voters differ from the station's
    RULE = "rule"                  # a quality rule differs from the log (or is missing)


@dataclass(frozen=True)
class Mismatch:
    kind: str
    table: str
    pk: int
    station_id: int | None
    window_id: int | None
    field: str = ""
    table_value: Any = None
    log_value: Any = None
    seq: int | None = None   # the event the log value comes from

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Mismatch:
        """A mismatch as ``as_json`` wrote it (an ``operations.verify`` event names them)."""
        return cls(str(data.get("kind", "")), str(data.get("table", "")),
                   int(data.get("id") or 0), data.get("station_id"), data.get("window_id"),
                   str(data.get("field") or ""), data.get("table_value"),
                   data.get("log_value"), data.get("seq"))

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "table": self.table, "id": self.pk,
                "station_id": self.station_id, "window_id": self.window_id,
                "field": self.field, "table_value": jsonable(self.table_value),
                "log_value": jsonable(self.log_value), "seq": self.seq}


@dataclass
class Summary:
    checkins: int = 0
    events: int = 0
    days: int = 0
    mismatches: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def count(self, mismatch: Mismatch) -> None:
        self.mismatches += 1
        self.by_kind[mismatch.kind] = self.by_kind.get(mismatch.kind, 0) + 1


# -- the reusable part -------------------------------------------------------------------

R = TypeVar("R")
E = TypeVar("E")


def grouped(items: Iterable[E], key: Callable[[E], int]) -> Iterator[tuple[int, list[E]]]:
    """Consecutive items with the same key, as (key, items): the events of one object."""
    current: int | None = None
    bunch: list[E] = []
    for item in items:
        k = key(item)
        if k != current:
            if current is not None:
                yield current, bunch
            current, bunch = k, []
        bunch.append(item)
    if current is not None:
        yield current, bunch


@dataclass
class Merged(Generic[R, E]):
    key: int
    row: R | None
    events: list[E]


def merge_by_key(rows: Iterable[tuple[int, R]],
                 groups: Iterable[tuple[int, list[E]]]) -> Iterator[Merged[R, E]]:
    """Merge two streams ordered by the same integer key (a table's rows by primary key,
    the log's events of each row grouped by object id): each key once, with its row (or
    None) and its events (or none).  Constant memory."""
    row_it, group_it = iter(rows), iter(groups)
    row = next(row_it, None)
    group = next(group_it, None)
    while row is not None or group is not None:
        if group is None or (row is not None and row[0] < group[0]):
            assert row is not None
            yield Merged(row[0], row[1], [])
            row = next(row_it, None)
        elif row is None or group[0] < row[0]:
            yield Merged(group[0], None, group[1])
            group = next(group_it, None)
        else:
            yield Merged(row[0], row[1], group[1])
            row, group = next(row_it, None), next(group_it, None)


@dataclass(frozen=True)
class Logged:
    """One event of an object, as the reconciliation reads it."""

    seq: int
    action: str
    object_id: int
    after: dict[str, Any] | None


def object_events(object_type: str, actions: Sequence[str], *, up_to: int | None = None,
                  ids: Iterable[int] | None = None) -> Iterator[Logged]:
    """The log's events of one object type, ordered by object id (as a number) then seq,
    read in chunks."""
    events = Event.objects.filter(object_type=object_type, action__in=actions)
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    if ids is not None:
        events = events.filter(object_id__in=[str(pk) for pk in ids])
    ordered = (events.annotate(number=Cast("object_id", BigIntegerField()))
               .order_by("number", "seq")
               .values_list("seq", "action", "number", "after"))
    for seq, action, number, after in ordered.iterator(chunk_size=CHUNK):
        yield Logged(seq, action, number, after)


def log_values(events: Sequence[Logged], *, created: str, fields: Sequence[str],
               extra: Sequence[tuple[int, dict[str, Any]]] = ()
               ) -> tuple[dict[str, tuple[Any, int]], bool]:
    """The values the log says an object has now: its creation event's ``after`` first
    (whatever its place in the chain: a batch's events may name one another), then every
    later change's ``after`` (and ``extra``: changes recorded in other objects' events,
    as (seq, values)) in seq order; the last wins.  Returns {field: (value, seq)} and
    whether the creation event was found."""
    values: dict[str, tuple[Any, int]] = {}
    born = [event for event in events if event.action == created]
    if born:
        first = born[0]
        for name in fields:
            if first.after and name in first.after:
                values[name] = (first.after[name], first.seq)
    changes = sorted([(event.seq, event.after or {}) for event in events
                      if event.action != created] + list(extra), key=lambda pair: pair[0])
    for seq, after in changes:
        for name in fields:
            if name in after:
                values[name] = (after[name], seq)
    return values, bool(born)


# -- check-ins --------------------------------------------------------------------------

def _scope(election: Election, county: AdminUnit | None) -> Q:
    scope = Q(election=election)
    if county is not None:
        scope &= under("unit_path", county.path)
    return scope


def _disputes(up_to: int | None = None,
              among: Iterable[int] | None = None) -> dict[int, list[int]]:
    """The check-ins taken back into quarantine by another reporter's disagreeing figure
    (named in that check-in's receive event, ``extra.disputed``): {check-in: [seq]}."""
    events = Event.objects.filter(action__in=(RECEIVE, "operations.checkin.bulk"),
                                  extra__has_key="disputed")
    if up_to is not None:
        events = events.filter(seq__lte=up_to)
    if among is not None:
        events = events.filter(object_type=CHECKIN, object_id__in=[str(pk) for pk in among])
    found: dict[int, list[int]] = {}
    for seq, extra in events.values_list("seq", "extra").iterator(chunk_size=CHUNK):
        for pk in (extra or {}).get("disputed") or []:
            if isinstance(pk, int):
                found.setdefault(pk, []).append(seq)
    return found


def _row_values(row: Sequence[Any]) -> dict[str, Any]:
    return {name: jsonable(value) for name, value in zip(FIELDS, row, strict=True)}


def _checkin_rows(scope: Q, ids: Iterable[int] | None = None
                  ) -> Iterator[tuple[int, dict[str, Any]]]:
    rows = Checkin.objects.filter(scope)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    for pk, *values in (rows.order_by("pk").values_list("pk", *FIELDS)
                        .iterator(chunk_size=CHUNK)):
        yield pk, _row_values(values)


def _compare_checkin(merged: Merged[dict[str, Any], Logged],
                     disputes: dict[int, list[int]]) -> list[Mismatch]:
    row, events = merged.row, merged.events
    extra = [(seq, {"state": CheckinState.QUARANTINED.value})
             for seq in disputes.get(merged.key, [])]
    logged, born = log_values(events, created=RECEIVE, fields=FIELDS, extra=extra)
    station = logged.get("station_id", (None, 0))[0]
    window = logged.get("window_id", (None, 0))[0]
    if row is None:
        if not born:
            return []   # only changes of a check-in out of scope (or never stored)
        return [Mismatch(Problem.MISSING, CHECKIN, merged.key, station, window,
                         seq=logged["station_id"][1] if "station_id" in logged else None)]
    if not born:
        return [Mismatch(Problem.UNLOGGED, CHECKIN, merged.key, row["station_id"],
                         row["window_id"])]
    found = []
    for name in FIELDS:
        if name not in logged:
            continue
        value, seq = logged[name]
        if row[name] != value:
            found.append(Mismatch(Problem.CHANGED, CHECKIN, merged.key, row["station_id"],
                                  row["window_id"], name, row[name], value, seq))
    return found


def checkin_mismatches(election: Election, county: AdminUnit | None = None,
                       summary: Summary | None = None) -> Iterator[Mismatch]:
    """Every check-in of the election (in the county) against the log."""
    summary = summary if summary is not None else Summary()
    scope = _scope(election, county)
    up_to = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    disputes = _disputes(up_to)
    # Every check-in's events (events carry no election): one outside the scope shows
    # as missing from the table here and is dropped below by its station.
    events = object_events(CHECKIN, (RECEIVE, *CHANGES), up_to=up_to)

    def counted_rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for item in _checkin_rows(scope):
            summary.checkins += 1
            yield item

    def counted_events() -> Iterator[Logged]:
        for event in events:
            summary.events += 1
            yield event

    stations: dict[int | None, bool] = {}
    for merged in merge_by_key(counted_rows(), grouped(counted_events(),
                                                       lambda e: e.object_id)):
        found = _compare_checkin(merged, disputes)
        if found and merged.row is None:
            # In the log, not in the table: this election's (or county's) only.
            station = found[0].station_id
            if station not in stations:
                stations[station] = Station.objects.filter(
                    Q(pk=station) & _scope(election, county)).exists()
            if not stations[station]:
                continue
        if found:
            found = _confirm_checkin(merged.key)
        for mismatch in found:
            summary.count(mismatch)
            yield mismatch


def _confirm_checkin(pk: int) -> list[Mismatch]:
    """The check-in compared again from fresh reads (its row, all its events, the
    disputes that name it): a check-in stored or corrected while the pass ran is not
    reported."""
    rows = list(_checkin_rows(Q(), ids=[pk]))
    events = list(object_events(CHECKIN, (RECEIVE, *CHANGES), ids=[pk]))
    # The disputes that name it are in receive events of the same station and window.
    disputes: dict[int, list[int]] = {}
    if rows:
        neighbours = Checkin.objects.filter(
            station_id=rows[0][1]["station_id"], window_id=rows[0][1]["window_id"])
        disputes = _disputes(among=list(neighbours.values_list("pk", flat=True)))
    merged: Merged[dict[str, Any], Logged] = Merged(
        pk, rows[0][1] if rows else None, events)
    return _compare_checkin(merged, disputes)


# -- the stations' days -------------------------------------------------------------------

def _published(checkins: Iterable[Sequence[Any]]) -> dict[str, int | None]:
    """The published figures from a station's check-ins in (received_at, pk) order: the
    latest turnout and closing total not in quarantine (``stationday_republish``)."""
    figures: dict[str, int | None] = {"voters": None, "total": None}
    for kind, state, voters, total in checkins:
        if state not in PUBLISHED_STATES:
            continue
        if kind == Kind.TURNOUT and voters is not None:
            figures["voters"] = voters
        elif kind == Kind.CLOSING and total is not None:
            figures["total"] = total
    return figures


def day_mismatches(election: Election, county: AdminUnit | None = None,
                   summary: Summary | None = None) -> Iterator[Mismatch]:
    """Every station's day of the election (in the county): its published figures against
    its check-ins."""
    summary = summary if summary is not None else Summary()
    scope = _scope(election, county)
    days = (StationDay.objects.filter(scope).order_by("station_id")
            .values_list("station_id", "pk", *DAY_FIELDS, *REGISTER_FIELDS)
            .iterator(chunk_size=CHUNK))
    checkins = (Checkin.objects.filter(scope).order_by("station_id", "received_at", "pk")
                .values_list("station_id", "kind", "state", "voters", "total")
                .iterator(chunk_size=CHUNK))

    def day_rows() -> Iterator[tuple[int, tuple[Any, ...]]]:
        for station_id, *rest in days:
            summary.days += 1
            yield station_id, tuple(rest)

    for merged in merge_by_key(day_rows(), grouped(checkins, lambda row: row[0])):
        found = _compare_day(merged.key, merged.row,
                             [row[1:] for row in merged.events])
        if found:
            found = _confirm_day(election, merged.key)
        for mismatch in found:
            summary.count(mismatch)
            yield mismatch


def _compare_day(station_id: int, day: tuple[Any, ...] | None,
                 checkins: list[tuple[Any, ...]]) -> list[Mismatch]:
    if day is None:
        if not checkins:
            return []
        return [Mismatch(Problem.NO_DAY, "operations.stationday", station_id, station_id,
                         None)]
    pk, *stored, registered, expected = day
    figures = _published(checkins)
    found = [Mismatch(Problem.DAY, "operations.stationday", pk, station_id, None, name,
                      value, figures[name])
             for name, value in zip(DAY_FIELDS, stored, strict=True)
             if value != figures[name]]
    if registered != expected:
        found.append(Mismatch(Problem.REGISTER, "operations.stationday", pk, station_id,
                              None, "registered", registered, expected))
    return found


def _confirm_day(election: Election, station_id: int) -> list[Mismatch]:
    day = (StationDay.objects.filter(election=election, station_id=station_id)
           .values_list("pk", *DAY_FIELDS, *REGISTER_FIELDS).first())
    checkins = list(Checkin.objects.filter(election=election, station_id=station_id)
                    .order_by("received_at", "pk")
                    .values_list("kind", "state", "voters", "total"))
    return _compare_day(station_id, day, checkins)


# -- the held check-ins and their flags ----------------------------------------------------

def unflagged_mismatches(election: Election, county: AdminUnit | None = None,
                         summary: Summary | None = None) -> Iterator[Mismatch]:
    """Every check-in held for review (quarantined) must have an open flag: the flags
    page is where a person is asked to decide it.  One whose flags were deleted or
    closed in the table (``DELETE FROM operations_flag``) is never published nor
    decided, unnoticed by the other passes (attack att16c F6).  Every audited path
    keeps the two together (a correction that still breaks a rule opens new flags, a
    dispute adds one, a supersession moves the check-in out of quarantine)."""
    summary = summary if summary is not None else Summary()
    open_flag = Flag.objects.filter(checkin_id=OuterRef("pk"), state=FlagState.OPEN)
    held = (Checkin.objects.filter(_scope(election, county), state=CheckinState.QUARANTINED)
            .exclude(Exists(open_flag)).order_by("pk")
            .values_list("pk", "station_id", "window_id").iterator(chunk_size=CHUNK))
    for pk, station_id, window_id in held:
        # Read again: a check-in stored meanwhile has its flags in the same transaction.
        if not Checkin.objects.filter(pk=pk, state=CheckinState.QUARANTINED).exclude(
                Exists(open_flag)).exists():
            continue
        mismatch = Mismatch(Problem.UNFLAGGED, "operations.flag", pk, station_id, window_id,
                            "state", CheckinState.QUARANTINED.value, None)
        summary.count(mismatch)
        yield mismatch


# -- the windows and the day's settings ---------------------------------------------------

# The windows' events that hold every window's times and the day's settings.
WINDOW_SNAPSHOTS = ("operations.windows.update", "operations.windows.retime",
                    "operations.windows.restore")
SETTINGS = ("silent_after_minutes", "escalate_after_minutes")


def window_mismatches(election: Election, summary: Summary | None = None
                      ) -> Iterator[Mismatch]:
    """The election's windows (times to the minute) and the day's settings against the
    last windows event that holds them all; before any, the default windows of
    ``operations.windows.create``.  A moved window refuses the check-ins of its real
    hours; a longer quiet period hides silent stations."""
    summary = summary if summary is not None else Summary()
    last = (Event.objects.filter(action__in=WINDOW_SNAPSHOTS, object_type="elections.election",
                                 object_id=str(election.pk))
            .order_by("-seq").values_list("seq", "after").first())
    windows = list(Window.objects.filter(election=election))
    settings = DaySettings.objects.filter(election=election).first()
    if last is not None:
        seq, logged = last[0], dict(last[1] or {})
    else:
        created = (Event.objects.filter(action="operations.windows.create",
                                        object_type="elections.election",
                                        object_id=str(election.pk))
                   .order_by("seq").values_list("seq", flat=True).first())
        if created is None:
            return
        seq = created
        logged = {"windows": services.default_windows_snapshot(election),
                  **{name: getattr(DaySettings(), name) for name in SETTINGS}}
    table = services.day_snapshot(windows, settings or DaySettings(election=election))
    by_code = {w.code: w for w in windows}
    found = []
    logged_windows = dict(logged.get("windows") or {})
    # A window in the table that the log never held (an INSERT: check-ins taken at
    # hours nobody set) is a difference too, with no log value (attack att16c F4).
    for code in sorted(set(table["windows"]) - set(logged_windows)):
        logged_windows[code] = None
    for code, times in sorted(logged_windows.items()):
        window = by_code.get(code)
        mine = table["windows"].get(code)
        for n, name in enumerate(("opens_at", "closes_at")):
            if times is None:
                found.append(Mismatch(Problem.WINDOW, "operations.window",
                                      window.pk if window else 0, None,
                                      window.pk if window else None, name,
                                      mine[n] if mine else None, None, seq))
            elif mine is None or mine[n] != times[n]:
                found.append(Mismatch(Problem.WINDOW, "operations.window",
                                      window.pk if window else 0, None,
                                      window.pk if window else None, name,
                                      mine[n] if mine else None, times[n], seq))
    for name in SETTINGS:
        if name in logged and table[name] != logged[name]:
            found.append(Mismatch(Problem.WINDOW, "operations.daysettings",
                                  settings.pk if settings else 0, None, None, name,
                                  table[name], logged[name], seq))
    for mismatch in found:
        summary.count(mismatch)
        yield mismatch


# -- the quality rules ----------------------------------------------------------------------

RULE = "operations.qualityrule"
RULE_CREATE = "operations.qualityrule.create"
# What decides what a rule flags (its names are for people): a rule switched off, its
# expression or its kinds changed behind the log's back stops flagging (attack review 3, F2).
RULE_FIELDS = ("code", "kinds", "expression", "active")
# The migrations that seed the default rules (no event: they come with the software).
RULE_SEEDS = ("0002_default_quality_rules", "0003_register_unknown_rule", "0006_closing_rules")


def default_rules() -> dict[str, dict[str, Any]]:
    """The default rules as the migrations seed them, by code."""
    found: dict[str, dict[str, Any]] = {}
    for name in RULE_SEEDS:
        module = importlib.import_module(f"amanat.operations.migrations.{name}")
        seeded = getattr(module, "RULES", None) or [module.RULE]
        for code, _fa, _en, _description, kinds, expression in seeded:
            found[code] = {"code": code, "kinds": kinds, "expression": expression,
                           "active": True}
    return found


def rule_mismatches(summary: Summary | None = None) -> Iterator[Mismatch]:
    """Every quality rule against the log: its creation event (or, for a default rule,
    the migration's row) and every later change; a rule in the table that is neither
    logged nor a default, and a logged or default rule missing from the table."""
    summary = summary if summary is not None else Summary()
    defaults = default_rules()
    rows = {pk: dict(zip(RULE_FIELDS, values, strict=True)) for pk, *values in
            QualityRule.objects.order_by("pk").values_list("pk", *RULE_FIELDS)}
    events: dict[int, list[Logged]] = {}
    for event in object_events(RULE, (RULE_CREATE, "operations.qualityrule.update")):
        events.setdefault(event.object_id, []).append(event)
    found = []
    for pk in sorted(set(rows) | set(events)):
        row, logged_events = rows.get(pk), events.get(pk, [])
        logged, born = log_values(logged_events, created=RULE_CREATE, fields=RULE_FIELDS)
        if not born:
            code = row["code"] if row else None
            base = defaults.get(code) if code else None
            if base is None:
                if row is not None:
                    found.append(Mismatch(Problem.RULE, RULE, pk, None, None, "",
                                          row["code"], None))
                continue
            logged = {**{name: (base[name], 0) for name in RULE_FIELDS}, **logged}
        if row is None:
            found.append(Mismatch(Problem.RULE, RULE, pk, None, None, "", None,
                                  logged.get("code", (None, None))[0],
                                  logged.get("code", (None, None))[1]))
            continue
        found += [Mismatch(Problem.RULE, RULE, pk, None, None, name, row[name], value, seq or None)
                  for name, (value, seq) in logged.items() if row[name] != value]
    present = {row["code"] for row in rows.values()}
    found += [Mismatch(Problem.RULE, RULE, 0, None, None, "", None, code)
              for code in sorted(set(defaults) - present)
              if not any(e.action == RULE_CREATE for pks in events.values() for e in pks
                         if (e.after or {}).get("code") == code)]
    for mismatch in found:
        summary.count(mismatch)
        yield mismatch


# -- both ---------------------------------------------------------------------------------

def operations_verify(election: Election, county: AdminUnit | None = None,
                      summary: Summary | None = None) -> Iterator[Mismatch]:
    """Every mismatch between the election-day tables and the log: the check-ins, the
    stations' days, then the windows and the day's settings (national: not with a
    county)."""
    summary = summary if summary is not None else Summary()
    yield from checkin_mismatches(election, county, summary)
    yield from day_mismatches(election, county, summary)
    yield from unflagged_mismatches(election, county, summary)
    if county is None:
        yield from window_mismatches(election, summary)
        yield from rule_mismatches(summary)


def verify_run(*, election: Election, actor: Any) -> Event:
    """Check the election's tables against the log and record the run (what the page's
    button starts, in a task)."""
    summary = Summary()
    named: list[dict[str, Any]] = []
    for mismatch in operations_verify(election, None, summary):
        if len(named) < services.VERIFY_NAMED:
            named.append(mismatch.as_json())
    return services.verify_record(election=election, county_id=None, summary=summary,
                                  named=named, actor=actor)


@dataclass(frozen=True)
class Place:
    """A mismatch's station and window as people read them."""

    station: str
    window: str


def places(mismatches: Sequence[Mismatch], labels: bool = False) -> dict[int, Place]:
    """The station (county code-station code, name) and window code of each mismatch, by
    its position: one query per model for a page of mismatches.  ``labels``: the window
    as the pages name it («مشارکت · ۱۴:۰۰», not its SMS code «T3»; user review 3, F4)."""
    stations = {pk: f"{county}-{code} {name}".strip() for pk, county, code, name in
                Station.objects.filter(pk__in={m.station_id for m in mismatches
                                               if m.station_id is not None})
                .values_list("pk", "county__code", "code", "name")}
    found = Window.objects.filter(pk__in={m.window_id for m in mismatches
                                          if m.window_id is not None})
    windows = ({w.pk: f"{w.get_kind_display()} · {w.shown_label}" for w in found} if labels
               else dict(found.values_list("pk", "code")))
    return {n: Place(stations.get(m.station_id, str(m.station_id or "")) if m.station_id
                     else "", windows.get(m.window_id, "") if m.window_id else "")
            for n, m in enumerate(mismatches)}


# -- how a mismatch reads -----------------------------------------------------------------

def _field_name(model: type[Any], name: str) -> str:
    try:
        found = model._meta.get_field(name.removesuffix("_id"))
    except FieldDoesNotExist:  # shown as it is
        return name
    return str(getattr(found, "verbose_name", name))


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def describe(mismatch: Mismatch, place: Place) -> str:
    """One mismatch as a sentence in the active language: what, where (station, window),
    which field, the table's value and the log's."""
    where = {"id": mismatch.pk, "station": place.station or "?",
             "window": place.window or "?"}
    if mismatch.kind == Problem.CHANGED:
        return str(_("check-in %(id)s, station %(station)s, window %(window)s: %(field)s is "
                     "%(table)s in the table, %(log)s in the log (event %(seq)s)") % {
            **where, "field": _field_name(Checkin, mismatch.field),
            "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value),
            "seq": mismatch.seq})
    if mismatch.kind == Problem.MISSING:
        return str(_("check-in %(id)s, station %(station)s, window %(window)s: in the log "
                     "(event %(seq)s) but missing from the table") % {
            **where, "seq": mismatch.seq})
    if mismatch.kind == Problem.UNLOGGED:
        return str(_("check-in %(id)s, station %(station)s, window %(window)s: in the table "
                     "with no receive event in the log") % where)
    if mismatch.kind == Problem.UNFLAGGED:
        return str(_("check-in %(id)s, station %(station)s, window %(window)s: held for "
                     "review with no open flag in the table: nobody is asked to decide "
                     "it") % where)
    if mismatch.kind == Problem.DAY:
        return str(_("station %(station)s: the published %(field)s is %(table)s, its "
                     "check-ins give %(log)s") % {
            **where, "field": _field_name(StationDay, mismatch.field),
            "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value)})
    if mismatch.kind == Problem.REGISTER:
        return str(_("station %(station)s: the day's registered voters are %(table)s, the "
                     "station registry says %(log)s") % {
            **where, "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value)})
    if mismatch.kind == Problem.RULE:
        if not mismatch.field and mismatch.log_value is None:
            return str(_("quality rule %(id)s (%(code)s): in the table, neither in the log "
                         "nor a default rule") % {"id": mismatch.pk,
                                                  "code": mismatch.table_value})
        if not mismatch.field:
            return str(_("quality rule %(code)s: in the log or a default rule, missing from "
                         "the table") % {"code": mismatch.log_value})
        return str(_("quality rule %(id)s: %(field)s is %(table)s in the table, %(log)s in "
                     "the log") % {
            "id": mismatch.pk, "field": _field_name(QualityRule, mismatch.field),
            "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value)})
    if mismatch.kind == Problem.WINDOW:
        if mismatch.table == "operations.daysettings":
            return str(_("the day's settings: %(field)s is %(table)s in the table, %(log)s "
                         "in the log (event %(seq)s)") % {
                "field": _field_name(DaySettings, mismatch.field),
                "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value),
                "seq": mismatch.seq})
        return str(_("window %(window)s: %(field)s is %(table)s in the table, %(log)s in the "
                     "log (event %(seq)s)") % {
            **where, "field": _field_name(Window, mismatch.field),
            "table": _shown(mismatch.table_value), "log": _shown(mismatch.log_value),
            "seq": mismatch.seq})
    return str(_("station %(station)s: it has check-ins but no row for the day") % where)


# -- the recorded runs (the page) ---------------------------------------------------------

@dataclass
class Run:
    """A recorded run of the check (an ``operations.verify`` event), as the page shows it."""

    seq: int
    time: Any
    actor: str
    clean: bool
    mismatches: int
    checkins: int
    days: int
    by_kind: dict[str, int]
    named: list[str]


def runs(election: Election, limit: int = 10) -> list[Run]:
    """The latest recorded runs for the election, newest first, their named mismatches as
    sentences in the active language."""
    events = list(Event.objects.filter(action="operations.verify",
                                       object_type="elections.election",
                                       object_id=str(election.pk)).order_by("-seq")[:limit])
    found = []
    for event in events:
        after, extra = event.after or {}, event.extra or {}
        named = [Mismatch.from_json(item) for item in extra.get("named") or []
                 if isinstance(item, dict)]
        where = places(named, labels=True)
        found.append(Run(event.seq, event.time, event.actor_name,
                         bool(after.get("clean")), int(after.get("mismatches") or 0),
                         int(extra.get("checkins") or 0), int(extra.get("days") or 0),
                         dict(extra.get("by_kind") or {}),
                         [describe(m, where[n]) for n, m in enumerate(named)]))
    return found
