"""Reads from a real streaming replica (issue 19): ``scripts/with-postgres --replica``
starts a PostgreSQL primary and a hot standby fed by streaming replication, and
``make test-postgres`` runs this module under it (marked ``replica``; the main suites
deselect it).  Replay is paused on the standby to make its data visibly stale: a page
that shows the old value was read there."""

from __future__ import annotations

import datetime
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Membership
from amanat.accounts.testing import sign_in
from amanat.core.replica import REPLICA, STICKY_COOKIE, reading_from_replica
from amanat.core.replica import warnings as replica_warnings
from amanat.elections.models import Election
from amanat.operations import services as operations_services
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
        station: Station, governor: Client, paused: None, settings: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    settings.AMANAT_REPLICA_MAX_LAG = 0.5
    replica_warnings.last.clear()
    replica_warnings.pages.clear()
    Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
    time.sleep(1.2)  # the standby's last replayed commit is now older than the bound
    with caplog.at_level(logging.WARNING, logger="amanat.replica"):
        response = _list(governor)
        assert response["X-Amanat-Read"] == "default"
        assert "دبیرستان سعدی" in response.content.decode()
        _list(governor)
        _list(governor)
    # The operator hears of it (every marked page now loads the primary), once a
    # minute, not once a page (user review 2 of the national layout, finding 1).
    lines = [r.getMessage() for r in caplog.records if r.name == "amanat.replica"]
    assert len(lines) == 1, lines
    assert "the replica is" in lines[0] and "s behind" in lines[0]
    assert "reading from the primary" in lines[0]


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


# Review 2026-12 (attack at national scale, docs/reviews/2026-12-attack-scale.md).

def test_an_access_decision_is_never_read_from_a_stale_replica(
        station: Station, personas: Any) -> None:
    """Finding 1: a verified user whose role was removed on the primary kept reading the
    province's stations for as long as the replica lagged (up to the 30 s bound), since
    the view's scope check loaded the memberships through the replica."""
    officer = sign_in(Client(), personas.tehran_officer)  # hq_staff of Tehran, TOTP passed
    _replayed()
    assert "دبستان فردوسی" in _list(officer).content.decode()
    with connections[REPLICA].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    try:
        Membership.objects.filter(user=personas.tehran_officer).update(active=False)
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            response = _list(officer)
    finally:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_wal_replay_resume()")
    assert "دبستان فردوسی" not in response.content.decode()
    assert not any("accounts_membership" in q["sql"] or "auth_user" in q["sql"]
                   or "django_session" in q["sql"] or "otp_" in q["sql"]
                   for q in on_replica.captured_queries)


def _replication(connected: bool, original: list[str]) -> None:
    """Cut (or restore) the standby's link to the primary: its WAL receiver stops, and
    what it received it has replayed."""
    with connections[REPLICA].cursor() as cursor:
        if not connected:
            cursor.execute("SHOW primary_conninfo")
            original.append(cursor.fetchone()[0])
            cursor.execute("ALTER SYSTEM SET primary_conninfo = ''")
        else:
            cursor.execute("ALTER SYSTEM SET primary_conninfo = %s", [original[0]])
        cursor.execute("SELECT pg_reload_conf()")
    for _attempt in range(200):
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'")
            if bool(cursor.fetchone()[0]) == connected:
                return
        time.sleep(0.05)
    raise AssertionError("the standby's WAL receiver did not change state in 10 s")


def test_a_replica_cut_off_from_its_primary_does_not_claim_to_be_current(
        station: Station, governor: Client, settings: Any) -> None:
    """Finding 2: a standby whose link to the primary is lost (a network cut, or a
    failover to another standby it does not follow) has replayed all it RECEIVED, so
    the lag query answered 0: its pages said "as of 0 s ago" while they were stale for
    ever. The lag is measured against the primary's position now."""
    _replayed()
    original: list[str] = []
    _replication(False, original)
    try:
        settings.AMANAT_REPLICA_MAX_LAG = 0.5
        Station.objects.filter(pk=station.pk).update(name="دبیرستان سعدی")
        time.sleep(1.2)
        response = _list(governor)
        assert response["X-Amanat-Read"] == "default"
        assert "دبیرستان سعدی" in response.content.decode()
    finally:
        _replication(True, original)
    _replayed()
    response = _list(governor)
    assert response["X-Amanat-Read"] == "replica"  # back in use once it follows again


@pytest.fixture
def day_station(station: Station) -> Station:
    """The station's election with its day prepared (windows and day rows)."""
    election = Election.objects.get(pk=station.election_id)  # its day as a date
    operations_services.windows_default_create(election=election, actor=None)
    operations_services.day_prepare(election=election)
    return station


def test_the_election_day_dashboard_is_read_from_the_replica_as_of_its_data(
        day_station: Station, governor: Client, paused: None, settings: Any) -> None:
    """User review 2 of the national layout, finding 5: the election-day dashboard, the
    page every county keeps open and polls, read the primary. It is read from the replica
    now; its figures are judged at the replica's data time (now less the lag), which the
    poll's answer states, and its staleness line is restated after every poll."""
    settings.AMANAT_REPLICA_MAX_LAG = 60
    Station.objects.filter(pk=day_station.pk).update(name="دبیرستان سعدی")
    time.sleep(1.5)  # the standby's last replayed commit is now over a second old
    url = reverse("operations:dashboard_data", args=[day_station.county_id])
    before = timezone.now()
    response = governor.get(url)
    assert response["X-Amanat-Read"] == "replica"
    data = response.json()
    assert datetime.datetime.fromisoformat(data["at"]) <= before - datetime.timedelta(seconds=1)
    assert data["replica_lag_shown"].startswith("ارقام تا ")
    page = governor.get(reverse("operations:dashboard_unit",
                                args=[day_station.county_id]))
    assert page["X-Amanat-Read"] == "replica"
    assert 'data-testid="replica-lag"' in page.content.decode()
    # A user who just wrote reads the primary: figures at the present moment, no line.
    governor.post(reverse("set_language"), {"language": "fa", "next": "/"})
    response = governor.get(url)
    assert response["X-Amanat-Read"] == "default"
    assert response.json()["replica_lag_shown"] is None
    assert datetime.datetime.fromisoformat(response.json()["at"]) >= before
