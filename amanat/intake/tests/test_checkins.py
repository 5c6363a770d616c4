"""Check-ins from field devices as served (``amanat.wsgi.application``, group commit on):
answers, idempotency, scope and token binding, windows, impossible numbers, quality
flags, the station's day, and concurrent check-ins sharing commits."""

from __future__ import annotations

import datetime
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amanat.accounts.services import api_token_issue
from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.core.models import IdempotencyRecord
from amanat.intake import checkins
from amanat.intake.groupcommit import GroupCommitter
from amanat.intake.tests.conftest import Answer, serve
from amanat.operations import services
from amanat.operations.models import Checkin, Flag, StationDay, Window
from amanat.operations.tests.conftest import Day, day  # noqa: F401  (a fixture)
from amanat.stations.models import TokenStation
from amanat.stations.tests.conftest import make_station

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]

CHECKINS = "/api/v1/operations/checkins"
OPENING = {"station": "2310-0042", "window": "O",
           "staff": {"representative": 1, "member": 4, "inspector": 1},
           "materials": True, "cameras": True, "network": True}
TURNOUT = {"station": "2310-0042", "window": "T1", "voters": 120}


@dataclass
class Field:
    day: Day
    personas: Any
    token: str  # the Gharchak inspector's, bound to no station

    def token_for(self, user: Any, *stations: Any) -> str:
        token, plaintext = api_token_issue(user=user, name="device", ttl_days=1, actor=user)
        for station in stations:
            TokenStation.objects.create(token=token, station=station)
        return plaintext


@pytest.fixture
def field(day: Day, personas: Any) -> Field:  # noqa: F811
    """The day with its windows open now, but T3 (later today)."""
    now = timezone.now()
    for window in Window.objects.filter(election=day.election):
        later = window.code == "T3"
        window.opens_at = now + datetime.timedelta(hours=2 if later else -1)
        window.closes_at = now + datetime.timedelta(hours=3 if later else 1)
        window.save()
    field = Field(day, personas, "")
    field.token = field.token_for(personas.inspector)
    return field


def post(token: str | None, body: dict[str, Any], key: str | None,
         language: str | None = None) -> Answer:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if key is not None:
        headers["Idempotency-Key"] = key
    if language:
        headers["Accept-Language"] = language
    return serve(CHECKINS, method="POST", body=json.dumps(body).encode(), headers=headers)


def station_day(token: str, code: str = "2310-0042") -> Answer:
    return serve(f"/api/v1/operations/stations/{code}/day",
                 headers={"Authorization": f"Bearer {token}"})


def test_an_opening_is_stored_by_the_writer_and_a_retry_replayed(
    field: Field, group_commit: GroupCommitter
) -> None:
    together = group_commit.together
    first = post(field.token, OPENING, "open-1")
    assert first.status == 201, first.content
    answer = first.json()
    checkin = Checkin.objects.get()
    assert answer["id"] == checkin.pk and answer["state"] == "accepted"
    assert answer["flags"] == [] and answer["kind"] == "opening"
    assert answer["station"] == "2310-0042" and answer["window"] == "O"
    # Stored with the batch's one INSERT per table, by the writer thread.
    assert group_commit.together == together + 1
    assert checkin.source == "api" and checkin.reporter == field.personas.inspector
    assert checkin.staff == {"representative": 1, "member": 4, "inspector": 1}
    assert checkin.client_key == f"api:{field.personas.inspector.pk}:open-1"
    again = post(field.token, OPENING, "open-1")
    assert again.status == 201 and again.json() == answer
    assert again.header("Idempotent-Replayed") == "true"
    other = post(field.token, {**OPENING, "cameras": False}, "open-1")
    assert other.status == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert Checkin.objects.count() == 1
    record = IdempotencyRecord.objects.get()
    assert record.status_code == 201 and record.response_body == answer
    event = Event.objects.get(action="operations.checkin.receive")
    assert event.object_id == str(checkin.pk) and event.actor_id == field.personas.inspector.pk
    assert audit_chain_problem() is None
    day_row = StationDay.objects.get(station=field.day.gharchak_station)
    assert day_row.opened_at == checkin.received_at == day_row.last_heard_at
    assert day_row.last_kind == "opening" and day_row.silent_since is None
    assert "set-cookie" not in first.headers


def test_turnout_above_the_register_is_quarantined_and_not_published(field: Field) -> None:
    assert post(field.token, TURNOUT, "t1-a").status == 201
    over = post(field.token, {**TURNOUT, "window": "T2", "voters": 900}, "t2-a")
    assert over.status == 201, over.content
    assert over.json()["state"] == "quarantined"
    assert over.json()["flags"] == ["turnout-above-registered"]
    flag = Flag.objects.get()
    assert flag.checkin_id == over.json()["id"] and flag.values == {"registered": 800,
                                                                     "voters": 900}
    day_row = StationDay.objects.get(station=field.day.gharchak_station)
    assert day_row.voters == 120 and day_row.flagged == 1
    assert day_row.last_kind == "turnout"
    # The station's day as the device reads it: the published figure only.
    read = station_day(field.token)
    assert read.status == 200, read.content
    assert read.json()["voters"] == 120 and read.json()["flagged"] == 1
    assert [c["state"] for c in read.json()["checkins"]] == ["quarantined", "accepted"]
    assert audit_chain_problem() is None


def test_two_reporters_who_disagree_are_flagged_and_one_reporter_is_not(field: Field
                                                                        ) -> None:
    """Another reporter's turnout for the same station and window is read with the
    window and the station's day, in one statement: the reporter's own earlier figure
    does not count, another's does, and a check-in without voters reads none."""
    first = post(field.token, TURNOUT, "t1-a")
    assert first.json()["flags"] == []
    again = post(field.token, {**TURNOUT, "voters": 200}, "t1-b")
    assert again.status == 201 and again.json()["flags"] == []
    governor = field.token_for(field.personas.gharchak_governor)
    other = post(governor, {**TURNOUT, "voters": 300}, "t1-c")
    assert other.status == 201, other.content
    assert other.json()["flags"] == ["reporters-disagree"]
    assert other.json()["state"] == "quarantined"
    assert post(governor, {**TURNOUT, "window": "T2", "voters": 310}, "t2-c"
                ).json()["flags"] == []  # another window: nobody else reported
    opening = post(governor, {**OPENING, "window": "O"}, "o-c")
    assert opening.status == 201 and opening.json()["flags"] == []
    assert Flag.objects.filter(checkin_id=other.json()["id"]).count() == 1
    # The other reporter's figures are disputed too (ckrules, attack F6).
    assert set(Flag.objects.exclude(checkin_id=other.json()["id"]).values_list(
        "checkin_id", flat=True)) == {first.json()["id"], again.json()["id"]}


def test_a_checkin_costs_its_request_four_statements(field: Field) -> None:
    """The request thread's round trips (the writes are the writer's, with its batch):
    the token with its user, memberships, station bindings and the key's record; the
    station with its county, unit and the current election; the window with the
    station's day and another reporter's turnout; the quality rules' key.  Each is CPU
    on the election-day hot path (docs/benchmarks.md, "Election day: check-ins")."""
    assert post(field.token, OPENING, "warm-up").status == 201  # marks the token used
    with CaptureQueriesContext(connection) as logged:
        answer = post(field.token, TURNOUT, "counted")
    assert answer.status == 201, answer.content
    statements = [query["sql"] for query in logged.captured_queries]
    assert len(statements) == 4, statements
    assert all(table in statements[1] for table in (
        "stations_station", "geo_adminunit", "elections_election"))
    assert all(table in statements[2] for table in (
        "operations_window", "operations_stationday", "operations_checkin"))
    # A retry: the same reads, the stored answer, nothing written.
    with CaptureQueriesContext(connection) as logged:
        again = post(field.token, TURNOUT, "counted")
    assert again.status == 201 and again.header("Idempotent-Replayed") == "true"
    assert again.json() == answer.json() and len(logged.captured_queries) == 4
    assert Checkin.objects.count() == 2


def test_refusals_are_specific_and_nothing_is_stored(field: Field) -> None:
    personas = field.personas
    # Outside its window: what the window is and when it opens, Persian first.
    closed = post(field.token, {**TURNOUT, "window": "T3"}, "late")
    assert closed.status == 422 and closed.json()["errors"][0]["code"] == "window_closed"
    message = closed.json()["errors"][0]["message"]
    # The window's clock times, in Persian digits (with the date when a time is on
    # another day than now: these windows are set around the moment the test runs).
    assert "فقط از" in message and re.search("از (\\S+ )?[۰-۹]{2}:[۰-۹]{2} تا", message), message
    english = post(field.token, {**TURNOUT, "window": "T3"}, "late-en", language="en")
    assert re.search(r"accepted from (\S+ )?\d\d:\d\d to (\S+ )?\d\d:\d\d only",
                     english.json()["errors"][0]["message"])
    unknown = post(field.token, {**TURNOUT, "window": "X9"}, "x9")
    assert unknown.json()["errors"][0]["code"] == "unknown_window"
    # Impossible numbers: a typing error is refused, not flagged.
    huge = post(field.token, {**TURNOUT, "voters": 10**6}, "huge")
    # The schema's limit is the service's (user review 2, F9): refused as the document
    # says, like a negative number (greater_than_equal).
    assert huge.status == 422 and huge.json()["errors"][0]["code"] == "less_than_equal"
    negative = post(field.token, {**TURNOUT, "voters": -5}, "negative")
    assert negative.status == 422 and negative.json()["errors"][0]["field"] == "voters"
    staff = post(field.token, {**OPENING, "staff": {"member": 99}}, "staff")
    assert staff.status == 422
    no_staff = post(field.token, {**OPENING, "staff": None}, "no-staff")
    assert no_staff.json()["errors"][0]["code"] == "required"
    text_number = post(field.token, {**TURNOUT, "voters": "120"}, "text")
    assert text_number.status == 422
    extra = post(field.token, {**TURNOUT, "priority": "high"}, "extra")
    assert [e["field"] for e in extra.json()["errors"]] == ["priority"]
    # Another county's station cannot be told from one that does not exist.
    kerman = post(field.token, {**TURNOUT, "station": "815-0007"}, "kerman")
    missing = post(field.token, {**TURNOUT, "station": "2310-9999"}, "missing")
    assert kerman.status == missing.status == 422
    assert kerman.json()["errors"][0]["code"] == missing.json()["errors"][0]["code"] \
        == "unknown_station"
    # A role that does not check stations in (the police officer at Gharchak).
    police = post(field.token_for(personas.police), TURNOUT, "police")
    assert police.status == 422 and police.json()["errors"][0]["code"] == "unknown_station"
    # A token bound to another station: the same answer as a station that does not
    # exist (user review 2026-12 F11).
    other = make_station(field.day.election, field.day.gharchak_station.county, "0043",
                         unit=field.day.gharchak_station.unit)
    bound = post(field.token_for(personas.inspector, other), TURNOUT, "bound")
    assert bound.status == 422 and bound.json()["errors"][0]["code"] == "unknown_station"
    assert post(None, TURNOUT, "anonymous").status == 401
    no_key = post(field.token, TURNOUT, None)
    assert no_key.status == 400 and no_key.json()["errors"][0]["code"] == "key_missing"
    assert Checkin.objects.count() == 0 and Flag.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0
    assert not Event.objects.filter(action="operations.checkin.receive").exists()
    day_row = StationDay.objects.get(station=field.day.gharchak_station)
    assert day_row.last_heard_at is None
    # The token bound to its own station checks it in.
    own = post(field.token_for(personas.inspector, field.day.gharchak_station), TURNOUT, "own")
    assert own.status == 201, own.content


def test_a_station_day_is_read_within_scope(field: Field) -> None:
    personas = field.personas
    assert station_day(field.token).status == 200
    assert station_day(field.token, "815-0007").status == 404
    assert station_day(field.token_for(personas.kerman_governor)).status == 404
    assert station_day(field.token_for(personas.kerman_governor), "815-0007").status == 200
    other = make_station(field.day.election, field.day.gharchak_station.county, "0043",
                         unit=field.day.gharchak_station.unit)
    assert station_day(field.token_for(personas.inspector, other)).status == 404
    assert station_day(field.token_for(personas.police)).status == 404


def test_a_station_without_its_day_row_goes_the_ordinary_way(
    field: Field, group_commit: GroupCommitter
) -> None:
    StationDay.objects.filter(station=field.day.gharchak_station).delete()
    together = group_commit.together
    answer = post(field.token, TURNOUT, "no-day")
    assert answer.status == 201, answer.content
    assert group_commit.together == together  # checkin_store, not the batch
    day_row = StationDay.objects.get(station=field.day.gharchak_station)
    assert day_row.voters == 120 and day_row.registered == 800
    assert post(field.token, TURNOUT, "no-day").json() == answer.json()
    assert audit_chain_problem() is None


def _post(token: str, key: str, body: dict[str, Any], answers: list[tuple[str, Answer]]
          ) -> None:
    try:
        answers.append((key, post(token, body, key)))
    finally:
        connections.close_all()


def test_concurrent_checkins_and_retries_share_commits(
    field: Field, group_commit: GroupCommitter
) -> None:
    jobs = group_commit.jobs
    # Both stations, several check-ins each (so a batch may hold one station twice), and
    # one check-in sent three times at once with the same key.
    token = field.token_for(field.personas.admin)
    # (The same figures: one a moment later but smaller would be flagged as going down.)
    calls = [(f"g-{n}", {**TURNOUT, "note": f"{n}"}) for n in range(5)]
    calls += [(f"k-{n}", {**TURNOUT, "station": "815-0007", "voters": 50, "note": f"{n}"})
              for n in range(4)]
    calls += [("open", OPENING)] * 3
    calls.append(("bad", {**TURNOUT, "voters": 10**6}))
    answers: list[tuple[str, Answer]] = []
    threads = [threading.Thread(target=_post, args=(token, key, data, answers))
               for key, data in calls]
    # The in-memory SQLite test database takes one request at a time (see test_reports).
    one_at_a_time = connection.vendor == "sqlite" and connection.is_in_memory_db()
    for thread in threads:
        thread.start()
        if one_at_a_time:
            thread.join(timeout=60)
    for thread in threads:
        thread.join(timeout=60)

    statuses = {key: answer.status for key, answer in answers}
    assert len(answers) == len(calls)
    assert statuses.pop("bad") == 422
    assert set(statuses.values()) == {201}, [a.content for _, a in answers]
    assert len({answer.json()["id"] for key, answer in answers if key == "open"}) == 1
    stored = Checkin.objects.all()
    assert stored.count() == 10
    assert set(stored.values_list("pk", flat=True)) == {
        answer.json()["id"] for _, answer in answers if answer.status == 201}
    events = Event.objects.filter(action="operations.checkin.receive")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in stored.values_list("pk", flat=True))
    assert audit_chain_problem() is None
    assert IdempotencyRecord.objects.count() == 10
    gharchak = StationDay.objects.get(station=field.day.gharchak_station)
    kerman = StationDay.objects.get(station=field.day.kerman_station)
    # Every check-in moved its station's day on, whichever batch or round it was in.
    assert gharchak.voters == 120 and kerman.voters == 50
    assert gharchak.opened_at is not None and gharchak.last_heard_at == max(
        stored.filter(station=field.day.gharchak_station).values_list(
            "received_at", flat=True))
    assert Flag.objects.count() == 0
    assert group_commit.jobs - jobs >= 10


def test_a_batch_with_one_station_twice_moves_its_day_in_order(field: Field) -> None:
    """One statement may not touch a row twice (PostgreSQL refuses): the days go in
    rounds of distinct stations, in the batch's order."""
    stations = field.day
    windows = {w.code: w for w in Window.objects.filter(election=stations.election)}
    now = timezone.now()

    def prepared(station: Any, code: str, values: services.Values, key: str,
                 seconds: int) -> checkins.Ready:
        ready = services.checkin_prepare(
            station=station, window=windows[code], values=values, source="api",
            actor=field.personas.admin, client_key=key,
            at=now + datetime.timedelta(seconds=seconds))
        return checkins.ready(ready, StationDay.objects.get(station=station))

    batch = [
        prepared(stations.gharchak_station, "O", services.Values(staff={"member": 5}), "b1", 0),
        prepared(stations.kerman_station, "T1", services.Values(voters=40), "b2", 1),
        prepared(stations.gharchak_station, "T1", services.Values(voters=70), "b3", 2),
        prepared(stations.gharchak_station, "T2", services.Values(voters=900), "b4", 3),
    ]
    checkins.store_many(batch)
    gharchak = StationDay.objects.get(station=stations.gharchak_station)
    assert gharchak.opened_at == now and gharchak.last_heard_at == now + datetime.timedelta(
        seconds=3)
    assert gharchak.voters == 70 and gharchak.flagged == 1 and gharchak.last_kind == "turnout"
    assert StationDay.objects.get(station=stations.kerman_station).voters == 40
    assert Checkin.objects.count() == 4 and Flag.objects.get().checkin.client_key == "b4"
    assert audit_chain_problem() is None


def test_a_batch_that_failed_leaves_no_dispute_on_the_retried_checkins_event(
        field: Field, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer stores a batch together; when that fails it stores each check-in
    again on its own.  What the failed attempt wrote on a check-in's audit event (a
    dispute, a superseded figure) was rolled back with it and must not reach the event
    the retry stores, if the retry finds otherwise (review fo500: the events' extra
    kept the attempt's keys)."""
    post(field.token, TURNOUT, "t1-a")
    governor = field.token_for(field.personas.gharchak_governor)
    seen = {"disputes": 0, "appends": 0}
    disputes, append_many = services.checkin_disputes, checkins.audit.append_many

    def disputes_once(*args: Any, **kwargs: Any) -> list[int]:
        seen["disputes"] += 1
        found = disputes(*args, **kwargs)
        return found if seen["disputes"] == 1 else []  # the retry finds none

    def fails_once(*args: Any, **kwargs: Any) -> Any:
        seen["appends"] += 1
        if seen["appends"] == 1:
            raise RuntimeError("the batch's attempt failed")
        return append_many(*args, **kwargs)

    monkeypatch.setattr(services, "checkin_disputes", disputes_once)
    monkeypatch.setattr(checkins.audit, "append_many", fails_once)
    other = post(governor, {**TURNOUT, "voters": 300}, "t1-c")
    assert other.status == 201, other.content
    assert seen["disputes"] >= 2 and seen["appends"] >= 1
    event = Event.objects.get(action="operations.checkin.receive",
                              object_id=str(other.json()["id"]))
    assert "disputed" not in (event.extra or {})
    assert audit_chain_problem() is None
