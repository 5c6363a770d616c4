"""Query plans the speed of registration and of the list rest on (SQLite, the database of
the benchmark; PostgreSQL's planner picks by statistics, which a test's few rows do not
have). Plans, not timings: a scan here costs a full read of the election's candidacies."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amanat.candidates.tests.conftest import World
from amanat.candidates.tests.test_staff import _register

pytestmark = [pytest.mark.django_db,
              pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite plans")]


def _plan(sql: str, params: Any = ()) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


def test_the_one_candidacy_per_person_check_reads_the_unique_index(world: World) -> None:
    _register(world, 1)
    with CaptureQueriesContext(connection) as captured:
        _register(world, 2)
    checks = [q["sql"] for q in captured.captured_queries
              if '"candidates_candidacy"."national_id" = ' in q["sql"]
              and q["sql"].startswith("SELECT")]
    assert checks
    for sql in checks:
        assert "candidates_one_per_person_per_election" in _plan(sql), _plan(sql)
