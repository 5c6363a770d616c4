"""The report API as served (``amanat.wsgi.application``, group commit on): answers,
idempotency, scope, and concurrent submissions sharing commits, each report with its
audit event in the verified chain."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.core.models import IdempotencyRecord
from amanat.incidents.models import Report
from amanat.intake.groupcommit import GroupCommitter
from amanat.intake.tests.conftest import Answer, World, post_report, token_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]

BODY = {"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"}


def test_a_report_is_stored_by_the_writer_and_a_retry_replayed(
    world: World, group_commit: GroupCommitter
) -> None:
    token = token_for(world.personas.inspector)
    jobs, together = group_commit.jobs, group_commit.together
    first = post_report(token, BODY, "key-1")
    assert first.status == 201, first.content
    reference = first.json()["reference"]
    assert reference.startswith("R-") and len(reference) == 12
    # The writer thread stored it, with the batch's one INSERT per table.
    assert group_commit.together == together + 1 and group_commit.jobs > jobs
    again = post_report(token, BODY, "key-1")
    assert again.status == 201 and again.json()["reference"] == reference
    assert again.header("Idempotent-Replayed") == "true"
    other = post_report(token, {**BODY, "text": "متن دیگر"}, "key-1")
    assert other.status == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    report = Report.objects.get()
    assert report.channel == "api" and report.submitted_by == world.personas.inspector
    event = Event.objects.get(action="incidents.report.receive")
    assert event.object_id == str(report.pk) and event.actor_id == world.personas.inspector.pk
    assert IdempotencyRecord.objects.get().status_code == 201
    assert audit_chain_problem() is None
    # The API's own chain: no session cookie, no CSP, the security headers kept.
    assert "set-cookie" not in first.headers and "content-security-policy" not in first.headers
    assert first.header("X-Content-Type-Options") == "nosniff"


def test_a_report_needs_an_idempotency_key(world: World) -> None:
    response = post_report(token_for(world.personas.inspector), BODY, None)
    assert response.status == 400
    error = response.json()["errors"][0]
    assert error["code"] == "key_missing" and "Idempotency-Key" in error["message"]
    assert Report.objects.count() == 0


def test_errors_are_specific_and_scoped(world: World) -> None:
    token = token_for(world.personas.inspector)
    unknown = post_report(token, {**BODY, "station_code": "2310-9999"}, "k2")
    assert unknown.status == 422
    assert unknown.json()["errors"][0]["field"] == "station_code"
    category = post_report(token, {**BODY, "category": "ZZ"}, "k3")
    assert category.json()["errors"][0]["field"] == "category"
    # A Gharchak inspector cannot report for a Kerman station, and cannot tell it from
    # one that does not exist: the same answer, and a Kerman place by id likewise.
    outside = post_report(token, {**BODY, "station_code": "815-0007"}, "k4")
    assert outside.status == 422
    assert outside.json()["errors"] == [{**unknown.json()["errors"][0],
                                         "message": "شعبه «815-0007» در حوزه شما یافت نشد"}]
    kerman = world.kerman_station.unit or world.kerman_station.county
    for unit_id in (kerman.pk, 10**6):
        place = post_report(token, {**BODY, "station_code": None, "unit_id": unit_id},
                            f"u{unit_id}")
        assert place.status == 422 and place.json()["errors"][0]["field"] == "unit_id"
    assert post_report(None, BODY, "k5").status == 401
    assert Report.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0  # a refusal is not stored


def test_a_report_by_place_is_stored(world: World) -> None:
    unit = world.gharchak_station.unit or world.gharchak_station.county
    answer = post_report(token_for(world.personas.inspector),
                         {**BODY, "station_code": None, "unit_id": unit.pk}, "by-place")
    assert answer.status == 201, answer.content
    report = Report.objects.get()
    assert report.station is None and report.unit_id == unit.pk


def _post(token: str, key: str, body: dict[str, Any], answers: list[tuple[str, Answer]]
          ) -> None:
    try:
        answers.append((key, post_report(token, body, key)))
    finally:
        connections.close_all()


def test_concurrent_reports_and_retries_share_commits(
    world: World, group_commit: GroupCommitter
) -> None:
    token = token_for(world.personas.inspector)
    jobs = group_commit.jobs
    # Ten distinct reports, and one report sent three times at once with the same key.
    calls = [(f"key-{n}", {**BODY, "text": f"گزارش {n}"}) for n in range(10)]
    calls += [("same-key", BODY)] * 3
    calls.append(("bad-station", {**BODY, "station_code": "2310-9999"}))
    answers: list[tuple[str, Answer]] = []
    threads = [threading.Thread(target=_post, args=(token, key, data, answers))
               for key, data in calls]
    # SQLite's in-memory test database shares one cache between connections, with table
    # locks that refuse a read beside a write (a real file in WAL mode does not; the
    # benchmark covers that): there the requests go one at a time, still through the
    # writer thread.  On PostgreSQL they run concurrently.
    one_at_a_time = connection.vendor == "sqlite" and connection.is_in_memory_db()
    for thread in threads:
        thread.start()
        if one_at_a_time:
            thread.join(timeout=60)
    for thread in threads:
        thread.join(timeout=60)

    statuses = {key: answer.status for key, answer in answers}
    assert len(answers) == len(calls)
    assert statuses.pop("bad-station") == 422
    assert set(statuses.values()) == {201}
    same = {answer.json()["reference"] for key, answer in answers if key == "same-key"}
    assert len(same) == 1
    reports = Report.objects.all()
    assert reports.count() == 11
    assert set(reports.values_list("reference", flat=True)) == {
        answer.json()["reference"] for _, answer in answers if answer.status == 201}
    events = Event.objects.filter(action="incidents.report.receive")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in reports.values_list("pk", flat=True))
    assert audit_chain_problem() is None
    assert IdempotencyRecord.objects.filter(status_code=0).count() == 0
    assert IdempotencyRecord.objects.count() == 11
    assert group_commit.jobs - jobs >= 11  # every report went through the writer


def test_an_unknown_field_is_refused_not_dropped(world: World) -> None:
    token = token_for(world.personas.inspector)
    refused = post_report(token, {**BODY, "priority": "high"}, "extra-1")
    assert refused.status == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["priority"]
    assert Report.objects.count() == 0


def test_every_error_answer_carries_its_list_of_errors(world: World) -> None:
    """ErrorOut.errors is required: a generated client iterates it without a check."""
    token = token_for(world.personas.inspector)
    unknown = post_report(token, {**BODY, "station_code": "9999-9999"}, "e-1")
    assert unknown.status == 422 and unknown.json()["errors"]
    assert post_report(None, BODY, "e-2").json()["errors"][0]["field"] == "Authorization"


@pytest.mark.parametrize("field", ["text", "category", "station_code"])
def test_a_nul_character_is_refused_by_name_and_nothing_is_stored(world: World,
                                                                  field: str) -> None:
    """PostgreSQL cannot store NUL: the device hears which field, nothing is written."""
    token = token_for(world.personas.inspector)
    refused = post_report(token, {**BODY, field: BODY[field] + "\x00"}, f"nul-{field}")
    assert refused.status == 422, refused.content
    assert [(e["field"], e["code"]) for e in refused.json()["errors"]] == [(field, "nul")]
    assert Report.objects.count() == 0
    assert not IdempotencyRecord.objects.exists()


def test_a_report_costs_its_request_two_statements(world: World) -> None:
    """The request thread's round trips (the writes are the writer's, with its batch):
    the token with its user, memberships, station bindings and the idempotency key's
    record; the current election with the station, its county and unit, and the
    category.  On PostgreSQL each is a wait for the server and CPU on both sides
    (docs/benchmarks.md, "PostgreSQL: intake at its causes" and after)."""
    token = token_for(world.personas.inspector)
    assert post_report(token, BODY, "warm-up").status == 201  # marks the token used
    with CaptureQueriesContext(connection) as logged:
        answer = post_report(token, {**BODY, "text": "دوم"}, "counted")
    assert answer.status == 201, answer.content
    statements = [query["sql"] for query in logged.captured_queries]
    assert len(statements) == 2, statements
    assert all(table in statements[0] for table in (
        "accounts_membership", "stations_tokenstation", "core_idempotencyrecord"))
    assert all(table in statements[1] for table in (
        "elections_election", "stations_station", "geo_adminunit", "incidents_category"))
    # A retry: replayed from the record read with the token (the same reads, none more).
    with CaptureQueriesContext(connection) as logged:
        again = post_report(token, {**BODY, "text": "دوم"}, "counted")
    assert again.status == 201 and again.header("Idempotent-Replayed") == "true"
    assert again.json()["reference"] == answer.json()["reference"]
    assert len(logged.captured_queries) == 2
