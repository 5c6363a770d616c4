"""The PostgreSQL backend's health check (``amanat.core.postgresql``): a kept
connection that the server ended is replaced before the request's first query, without
a ``SELECT 1`` on a connection that is fine."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.backends.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's health check")


def _new_request() -> None:
    """What Django does at the start of a request: the next query checks the connection."""
    connection.close_if_unusable_or_obsolete()


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each ``SELECT 1`` of Django's own check (its answer)."""
    calls: list[bool] = []
    django_check = base.DatabaseWrapper.is_usable

    def counted(self: Any) -> bool:
        calls.append(django_check(self))
        return calls[-1]

    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", counted)
    return calls


def test_a_sound_connection_is_kept_without_asking_the_server(asked: list[bool]) -> None:
    connection.ensure_connection()
    kept = connection.connection
    for _ in range(3):
        _new_request()
        assert connection.health_check_enabled and not connection.health_check_done
        with connection.cursor() as cursor:
            cursor.execute("SELECT 2")
        assert connection.health_check_done
    assert connection.connection is kept
    assert asked == []


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(
    asked: list[bool]
) -> None:
    connection.ensure_connection()
    kept = connection.connection
    with connection.connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    # Another connection ends this one's backend, as a restart or a failover would.
    from psycopg import connect

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    _new_request()
    with connection.cursor() as cursor:  # no error: a new connection
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
    assert connection.connection is not kept
    assert asked == [False]  # the socket said something: the server was asked


def test_the_pool_lends_a_quiet_connection_without_asking_and_drops_an_ended_one(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    from psycopg import OperationalError, connect
    from psycopg_pool import ConnectionPool

    from amanat.core.postgresql.base import check_lent

    asked: list[object] = []
    pool_check = ConnectionPool.check_connection
    monkeypatch.setattr(ConnectionPool, "check_connection",
                        staticmethod(lambda conn: asked.append(conn) or pool_check(conn)))
    params = connection.get_connection_params()
    for name in ("cursor_factory", "context", "prepare_threshold"):
        params.pop(name, None)
    with connect(**params, autocommit=True) as lent, connect(**params, autocommit=True) as other:
        check_lent(lent)
        assert asked == []
        pid = lent.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
        with pytest.raises(OperationalError):
            check_lent(lent)
        assert asked == [lent]
