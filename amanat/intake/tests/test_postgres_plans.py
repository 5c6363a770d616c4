"""PostgreSQL: a report's two SELECTs read a handful of pages however many stations and
idempotency records there are, also before autovacuum has gathered any statistics.

The planner works from statistics.  Right after a load of stations, with none, it read
every station of the election to find one by its code; and with a second index on the
idempotency records' user it read every record of the device's user to find one key
(docs/benchmarks.md, "PostgreSQL: the intake's result columns").  Each plan is asked for
the statement a served report really ran."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amanat.core.models import IdempotencyRecord
from amanat.intake.tests.conftest import World, post_report, token_for
from amanat.stations.services import station_import

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("group_commit")]

BODY = {"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"}
# A plan that finds its rows by the unique indexes reads a few dozen buffers; the scans
# these tests guard against read one or more per station or record (thousands here).
FEW_BUFFERS = 30


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner (scripts/with-postgres)")


def _buffers(statement: str) -> int:
    """Shared buffers the statement's plan touched, run as the app ran it."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {statement}")
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    top = plan[0]["Plan"]
    return int(top.get("Shared Hit Blocks", 0)) + int(top.get("Shared Read Blocks", 0))


def _report_statements(token: str, key: str) -> list[str]:
    with CaptureQueriesContext(connection) as logged:
        answer = post_report(token, {**BODY, "text": key}, key)
    assert answer.status == 201, answer.content
    return [query["sql"] for query in logged.captured_queries]


def _import_stations(world: World, tmp_path: Path, count: int) -> None:
    county, city = world.geo.gharchak, world.geo.gharchak_city
    lines = ["کد شعبه,کد شهرستان,کد شهر یا آبادی,نام"]
    lines += [f"{5000 + n},{county.code},{city.code},شعبه {n}" for n in range(count)]
    path = tmp_path / "stations.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = station_import(election=world.election, file_path=path)
    assert report.created == count


def test_the_station_is_found_by_its_code_right_after_an_import(world: World,
                                                                tmp_path: Path) -> None:
    _import_stations(world, tmp_path, 3000)
    token = token_for(world.personas.inspector)
    post_report(token, BODY, "warm-up")
    lookups = _report_statements(token, "counted")[1]
    assert "stations_station" in lookups
    assert _buffers(lookups) < FEW_BUFFERS


def test_the_token_finds_its_key_among_many_of_the_same_user(world: World) -> None:
    user = world.personas.inspector
    token = token_for(user)
    now = timezone.now()
    # The device's earlier answers, no statistics made since.
    def answers(first: int, count: int) -> None:
        IdempotencyRecord.objects.bulk_create(
            IdempotencyRecord(user=user, route="POST /api/v1/incidents/reports",
                              key=f"old-{n}", request_hash="0" * 64, status_code=201,
                              response_body={}, created_at=now)
            for n in range(first, first + count))

    answers(0, 3000)
    post_report(token, BODY, "warm-up")
    token_select = _report_statements(token, "counted")[0]
    assert "core_idempotencyrecord" in token_select
    assert _buffers(token_select) < FEW_BUFFERS

