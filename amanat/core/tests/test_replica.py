"""Reads from a real streaming replica (issue 19): ``scripts/with-postgres --replica``
starts a PostgreSQL primary and a hot standby fed by streaming replication, and
``make test-postgres`` runs this module under it (marked ``replica``; the main suites
deselect it).  Replay is paused on the standby to make its data visibly stale: a page
that shows the old value was read there."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.core.replica import REPLICA, STICKY_COOKIE, reading_from_replica
from amanat.elections.models import Election
from amanat.stations.models import Station
from amanat.stations.tests.conftest import make_station

pytestmark = [pytest.mark.replica,
              pytest.mark.django_db(transaction=True, databases=["default", "replica"])]


def _replayed() -> None:
    """Wait until the standby has replayed everything the primary wrote so far.

    The INSERT position, not ``pg_current_wal_lsn()`` (the WRITE position): the test
    cluster commits with ``synchronous_commit=off``, so a commit returns before its WAL
    is written, and a standby that had reached the write position could still miss the
    last commits (the flaky Station.DoesNotExist read from the replica)."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        target = cursor.fetchone()[0]
    for _attempt in range(200):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        time.sleep(0.05)
    raise AssertionError("the standby did not catch up in 10 s")


@pytest.fixture
def paused() -> Iterator[None]:
    """Replay on the standby paused, once it has caught up; resumed after the test."""
    _replayed()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def station(small_geo: Any, personas: Any) -> Station:
    election = Election.objects.create(name="انتخابات آزمایشی", slug="replica-test",
                                       election_day="2026-06-12")
    return make_station(election, small_geo.gharchak, "0042", name="دبستان فردوسی")


@pytest.fixture
def governor(personas: Any) -> Client:
    return sign_in(Client(), personas.gharchak_governor)


def _list(client: Client) -> Any:
    return client.get(reverse("stations:list"))


def test_the_standby_is_a_real_replica() -> None:
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_a_list_page_is_read_from_the_replica_and_says_how_old(
        station: Station, governor: Client) -> None:
    _replayed()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        response = _list(governor)
    assert response.status_code == 200
    assert response["X-Amanat-Read"] == "replica"
    assert "دبستان فردوسی" in response.content.decode()
    assert 'data-testid="replica-lag"' in response.content.decode()
    assert any("stations_station" in query["sql"] for query in on_replica.captured_queries)


def test_a_stale_replica_serves_the_old_value_until_the_user_writes(
        station: Station, governor: Client, paused: None) -> None:
    Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
    response = _list(governor)
    assert response["X-Amanat-Read"] == "replica"
    assert "دبستان فردوسی" in response.content.decode()  # the standby has not replayed it
    # Any POST by the user (here the language switch) makes their reads the primary's.
    switched = governor.post(reverse("set_language"), {"language": "fa", "next": "/"})
    assert STICKY_COOKIE in switched.cookies
    response = _list(governor)
    assert response["X-Amanat-Read"] == "default"
    assert "دبیرستان سعدی" in response.content.decode()
    assert 'data-testid="replica-lag"' not in response.content.decode()


def test_a_replica_further_behind_than_the_bound_is_not_used(
        station: Station, governor: Client, paused: None, settings: Any) -> None:
    settings.AMANAT_REPLICA_MAX_LAG = 0.5
    Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
    time.sleep(1.2)  # the standby's last replayed commit is now older than the bound
    response = _list(governor)
    assert response["X-Amanat-Read"] == "default"
    assert "دبیرستان سعدی" in response.content.decode()


def test_reads_inside_a_transaction_and_writes_stay_on_the_primary(station: Station) -> None:
    _replayed()
    with CaptureQueriesContext(connections[REPLICA]) as on_replica, reading_from_replica():
        with transaction.atomic():
            Station.objects.select_for_update().get(pk=station.pk)
            Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
        assert Station.objects.get(pk=station.pk).name in {"دبستان فردوسی", "دبیرستان سعدی"}
    assert len(on_replica.captured_queries) == 1  # the read outside the transaction only
    assert Station.objects.get(pk=station.pk).name == "دبیرستان سعدی"


def test_a_page_that_writes_is_served_by_the_primary(station: Station, governor: Client
                                                     ) -> None:
    response = governor.get(reverse("stations:detail", args=[station.pk]))
    assert response.status_code == 200
    assert "X-Amanat-Read" not in response


@pytest.fixture
def cut_off() -> Iterator[None]:
    """The standby's WAL receiver stopped (as when its primary is killed or failed over):
    it has replayed all it received and receives nothing more; reconnected afterwards."""
    _replayed()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SHOW primary_conninfo")
        conninfo = cursor.fetchone()[0]
        cursor.execute("ALTER SYSTEM SET primary_conninfo = ''")
        cursor.execute("SELECT pg_reload_conf()")
    try:
        for _attempt in range(200):
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_wal_receiver")
                if cursor.fetchone()[0] == 0:
                    break
            time.sleep(0.05)
        else:
            raise AssertionError("the standby's WAL receiver did not stop in 10 s")
        yield
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("ALTER SYSTEM SET primary_conninfo = %s", [conninfo])
            cursor.execute("SELECT pg_reload_conf()")
        _replayed()


def test_a_replica_cut_off_from_its_primary_is_not_called_current(
        station: Station, governor: Client, cut_off: None, settings: Any) -> None:
    """A replica that lost its primary has replayed all it received: it must not say
    "as of 0 s ago" while the writes go to the promoted standby (found by the user
    review of the national layout: after a failover the read replica kept answering
    with 0 s and never caught up)."""
    settings.AMANAT_REPLICA_MAX_LAG = 0.5
    Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
    time.sleep(1.2)  # the last commit the standby replayed is now older than the bound
    response = _list(governor)
    assert response["X-Amanat-Read"] == "default"
    assert "دبیرستان سعدی" in response.content.decode()
