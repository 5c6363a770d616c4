"""The report API with group commit on (as served under load, docs/intake-load.md):
concurrent submissions share commits, retries with the same key give one report, and
every report has its audit event in the verified chain."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, connections
from django.test import Client

from amanat.accounts.services import api_token_issue
from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.core import groupcommit
from amanat.core.models import IdempotencyRecord
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World

# The root conftest empties the append-only tables and re-seeds agencies and categories
# around every transactional test.
pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/incidents/reports"


@pytest.fixture(autouse=True)
def _group_commit(settings: Any) -> Iterator[None]:
    settings.AMANAT_GROUP_COMMIT = True
    yield
    groupcommit.committer.stop()


def _post(token: str, key: str, body: dict[str, Any], answers: list[Any]) -> None:
    try:
        response = Client().post(API, data=body, content_type="application/json",
                                 headers={"Authorization": f"Bearer {token}",
                                          "Idempotency-Key": key})
        answers.append((key, response.status_code, response.json()))
    finally:
        connections.close_all()


def test_concurrent_reports_and_retries_under_group_commit(world: World) -> None:
    _, token = api_token_issue(user=world.personas.inspector, name="device", ttl_days=1,
                               actor=world.personas.inspector)
    body = {"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"}
    # Ten distinct reports, and one report sent three times at once with the same key.
    calls = [(f"key-{n}", {**body, "text": f"گزارش {n}"}) for n in range(10)]
    calls += [("same-key", body)] * 3
    calls.append(("bad-station", {**body, "station_code": "2310-9999"}))
    answers: list[Any] = []
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

    statuses = {key: status for key, status, _ in answers}
    assert len(answers) == len(calls)
    assert statuses.pop("bad-station") == 422
    assert set(statuses.values()) == {201}
    same = {body["reference"] for key, _, body in answers if key == "same-key"}
    assert len(same) == 1
    reports = Report.objects.all()
    assert reports.count() == 11
    assert set(reports.values_list("reference", flat=True)) == {
        body["reference"] for key, status, body in answers if status == 201}
    events = Event.objects.filter(action="incidents.report.receive")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(pk) for pk in reports.values_list("pk", flat=True))
    assert audit_chain_problem() is None
    assert IdempotencyRecord.objects.filter(status_code=0).count() == 0
    assert IdempotencyRecord.objects.count() == 11
