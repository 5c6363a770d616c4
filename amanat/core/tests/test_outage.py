"""A database that cannot serve now (disk full, locked, unreachable) is 503 with
Retry-After and one alarm, never a 500; nothing is half-stored and a retry succeeds once
it can (amanat/core/outage.py).

Every outage here is real: a full disk is SQLite at its ``max_page_count`` or a PostgreSQL
tablespace on a full tmpfs (the suite's own database), a lock is another connection's
exclusive lock outlasting the busy timeout, and an unreachable server is a closed port.
The last two run the served WSGI app in a server process of its own, so that its
database settings can point there.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from psycopg import errors
from psycopg_pool import PoolTimeout

from amanat.accounts.services import api_token_issue
from amanat.accounts.testing import Personas
from amanat.audit.models import Event
from amanat.core import outage
from amanat.core.models import IdempotencyRecord
from amanat.elections.models import Election
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import seed_categories
from amanat.intake import groupcommit
from amanat.stations.tests.conftest import make_station

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/incidents/reports"
# Long enough to need new database pages whatever room the tables' pages have left.
LONG_TEXT = "پول در ازای رأی " * 300
ALARM = "ALARM database unavailable"


@pytest.fixture(autouse=True)
def _fresh_alarms(settings: Any) -> Iterator[None]:
    # An hour between alarms: the test's requests fall in one window however slow it runs.
    settings.AMANAT_OUTAGE_ALARM_EVERY = 3600
    settings.AMANAT_RETRY_AFTER = 17
    outage.alarms.clear()
    yield
    outage.alarms.clear()


# --- a full disk, on the suite's own database ----------------------------------------


@pytest.fixture
def station(small_geo: Any, personas: Personas) -> str:
    """A station in Gharchak, where the inspector persona reports; its code."""
    seed_categories()
    election = Election.objects.create(name="انتخابات آزمایشی", slug="test-1405",
                                       election_day=datetime.date(2026, 6, 12))
    make_station(election, small_geo.gharchak, "0042", unit=small_geo.gharchak_city)
    return f"{small_geo.gharchak.code}-0042"


def _until_full(cursor: Any, insert: str) -> None:
    """Run ``insert`` until the database says its disk is full."""
    for _ in range(100_000):
        try:
            cursor.execute(insert)
        except OperationalError as exc:
            found = outage.outage_of(exc)
            assert found is not None and found.reason == "disk_full", exc
            return
    pytest.fail("the disk never filled up")


def _fill_sqlite() -> Callable[[], None]:
    """Cap the database at its current size and use up its free pages.

    Returns what frees the space again (as an operator deleting files would).
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE outage_filler (b BLOB)")
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        _until_full(cursor, "INSERT INTO outage_filler VALUES (zeroblob(1000))")

    def free() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE outage_filler")
            cursor.execute("PRAGMA max_page_count = 1073741823")

    return free


def _fill_postgres(tmp: Path) -> Callable[[], None]:
    """Move the reports table to a tablespace on a 1 MB tmpfs and fill that up."""
    if os.geteuid() != 0:  # CI runs as root; mounting needs it
        pytest.skip("mounting a small tmpfs needs root")
    with connection.cursor() as cursor:
        cursor.execute("SHOW data_directory")
        owner = os.stat(cursor.fetchone()[0]).st_uid
    mount = tmp / "tiny"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)],
                   check=True)
    os.chown(mount, owner, -1)
    space = f"outage_{uuid.uuid4().hex[:8]}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLESPACE {space} LOCATION '{mount}'")
        cursor.execute(f"ALTER TABLE incidents_report SET TABLESPACE {space}")
        cursor.execute(f"CREATE TABLE outage_filler (b bytea) TABLESPACE {space}")
        # Stored as it is: compressed zeros would never fill the disk.
        cursor.execute("ALTER TABLE outage_filler ALTER b SET STORAGE EXTERNAL")
        _until_full(cursor, "INSERT INTO outage_filler SELECT decode(repeat('00', 8000), 'hex')")

    def free() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE outage_filler")
            cursor.execute("ALTER TABLE incidents_report SET TABLESPACE pg_default")
            cursor.execute(f"DROP TABLESPACE {space}")
        subprocess.run(["umount", str(mount)], check=True)

    return free


@pytest.fixture
def full_disk(station: str) -> Iterator[Callable[[], None]]:
    """Fill the database's disk; yields what frees it (idempotent), freed at the end."""
    tmp = Path(tempfile.mkdtemp(prefix="amanat-outage-"))
    tmp.chmod(0o755)  # the PostgreSQL server's user must reach the mount point
    free = _fill_sqlite() if connection.vendor == "sqlite" else _fill_postgres(tmp)
    freed = threading.Event()

    def free_once() -> None:
        if not freed.is_set():
            freed.set()
            groupcommit.committer.stop()  # its connection, before the table moves back
            free()

    yield free_once
    free_once()
    groupcommit.committer.stop()  # the writer the retry started
    shutil.rmtree(tmp, ignore_errors=True)


def _report(token: str, key: str, station: str) -> Any:
    return Client().post(
        API, data={"category": "VB", "station_code": station, "text": LONG_TEXT},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
    )


@pytest.mark.parametrize("group_commit", [False, True], ids=["inline", "group-commit"])
def test_a_full_disk_is_503_with_retry_after_then_the_retry_is_stored_once(
    station: str, personas: Personas, full_disk: Callable[[], None], settings: Any,
    caplog: pytest.LogCaptureFixture, group_commit: bool,
) -> None:
    settings.AMANAT_GROUP_COMMIT = group_commit
    inspector = personas.inspector
    _, token = api_token_issue(user=inspector, name="device", ttl_days=1, actor=inspector)
    events_before = Event.objects.count()
    caplog.set_level(logging.INFO)

    answers = [_report(token, "key-1", station) for _ in range(3)]  # a device retrying

    for answer in answers:
        assert answer.status_code == 503, answer.content
        assert answer["Retry-After"] == "17"
        error = answer.json()["errors"][0]
        assert error["code"] == "disk_full" and "دیسک" in error["message"]
    assert Report.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0
    assert Event.objects.count() == events_before
    alarms = [r for r in caplog.records if r.getMessage().startswith(ALARM)]
    assert len(alarms) == 1 and "(disk_full)" in alarms[0].getMessage()
    assert alarms[0].levelno == logging.ERROR and alarms[0].name == "amanat.core.outage"
    # Django's own error line for each 5xx is replaced by the alarm.
    assert not [r for r in caplog.records if r.name == "django.request"]

    full_disk()  # space returns
    stored = _report(token, "key-1", station)
    assert stored.status_code == 201, stored.content
    assert list(Report.objects.values_list("reference", flat=True)) == [
        stored.json()["reference"]]


# --- locked and unreachable: the served app in a process of its own ------------------

SERVER = """
import sys
from wsgiref.simple_server import WSGIRequestHandler, make_server
from amanat.wsgi import application

class Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass

server = make_server("127.0.0.1", 0, application, handler_class=Quiet)
print(server.server_port, flush=True)
server.serve_forever()
"""


@contextlib.contextmanager
def served(tmp: Path, **database: str) -> Iterator[tuple[Callable[..., Any], list[str]]]:
    """Serve amanat.wsgi in a new process with these environment variables.

    Yields a ``request(path, headers)`` function and, once the block ends and the server
    has stopped, its log lines."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(AMANAT_VAR_DIR=str(tmp), AMANAT_OUTAGE_ALARM_EVERY="3600",
               AMANAT_RETRY_AFTER="17", DJANGO_SETTINGS_MODULE="amanat.settings", **database)
    process = subprocess.Popen([sys.executable, "-c", SERVER], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    log: list[str] = []
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())

        def request(path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
            with socket.create_connection(("127.0.0.1", port), timeout=60) as conn:
                lines = [f"GET {path} HTTP/1.0", "Host: 127.0.0.1"]
                lines += [f"{k}: {v}" for k, v in headers.items()]
                conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
                raw = b"".join(iter(lambda: conn.recv(65536), b""))
            head, _, body = raw.decode("utf-8").partition("\r\n\r\n")
            status_line, *header_lines = head.split("\r\n")
            fields = dict(line.split(": ", 1) for line in header_lines)
            return int(status_line.split()[1]), fields, body

        yield request, log
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=60)
        log.extend(stderr.splitlines())


TOKEN = {"Authorization": "Bearer amt_whatever"}
SESSION = {"Cookie": "sessionid=abcdefghijklmnopqrstuvwxyz012345"}


def _assert_unavailable(request: Callable[..., Any], reason_en: str) -> None:
    """The API and a page both answer 503 with Retry-After, in their own form."""
    for _ in range(2):
        # In the language the client asks for (Persian without Accept-Language).
        status, headers, body = request("/api/v1/me", {**TOKEN, "Accept-Language": "en"})
        assert status == 503, body
        assert headers["Retry-After"] == "17"
        assert headers["Content-Type"] == "application/json"
        error = json.loads(body)["errors"][0]
        assert reason_en in error["message"] and error["code"]
    status, headers, body = request("/", SESSION)  # the session needs the database
    assert status == 503, body
    assert headers["Retry-After"] == "17"
    assert headers["Content-Type"].startswith("text/html")
    assert "Temporarily unavailable" in body or "موقتاً در دسترس نیست" in body


def _alarms(log: list[str]) -> list[str]:
    return [line for line in log if ALARM in line]


def test_a_locked_sqlite_database_is_503_and_a_missing_table_still_500(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")  # another process writing, for longer than the timeout
    with served(tmp_path, AMANAT_SQLITE_PATH=str(path), AMANAT_SQLITE_TIMEOUT="0.2") as (
        request, log,
    ):
        _assert_unavailable(request, "busy (locked)")
        holder.execute("ROLLBACK")
        # The lock is gone; this empty database has no tables: a bug, not an outage.
        status, _, _ = request("/api/v1/me", TOKEN)
        assert status == 500
    holder.close()
    alarms = _alarms(log)
    assert len(alarms) == 1, log
    assert "(locked)" in alarms[0] and "database is locked" in alarms[0]


def test_an_unreachable_postgresql_server_is_503(tmp_path: Path) -> None:
    with socket.socket() as closed:  # bound, never listening: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        url = f"postgres://amanat@127.0.0.1:{port}/amanat"
        with served(tmp_path, DATABASE_URL=url) as (request, log):
            _assert_unavailable(request, "cannot be reached")
    alarms = _alarms(log)
    assert len(alarms) == 1, log
    assert "(unreachable)" in alarms[0] and "psycopg" in alarms[0]


def test_other_database_errors_are_not_outages() -> None:
    with connection.cursor() as cursor:
        try:
            cursor.execute("SELECT * FROM no_such_table_here")
        except Exception as exc:  # the driver's own error, wrapped by Django
            assert outage.outage_of(exc) is None
        else:
            pytest.fail("the query should have failed")
    # A file beside the database (group commit's lock file) on a full disk is one, though.
    full = outage.outage_of(OSError(errno.ENOSPC, "No space left on device"))
    assert full is not None and full.reason == "disk_full"
    assert outage.outage_of(OSError(errno.EACCES, "Permission denied")) is None


def test_a_pool_that_cannot_lend_a_connection_is_an_outage() -> None:
    # Django's psycopg pool (AMANAT_DB_POOL) raises this when no connection came within
    # its timeout: the server is unreachable, or every connection is lent.
    found = outage.outage_of(PoolTimeout("couldn't get a connection after 10.00 sec"))
    assert found is not None and found.reason == "unreachable"


def test_a_deadlock_or_serialization_failure_is_503_not_500() -> None:
    """Both roll the transaction back (nothing stored) and the same request succeeds
    when sent again: the user review's failover saw a retry deadlock with its own first
    attempt, in flight on the other app server, and answered 500."""
    for error in (errors.DeadlockDetected("deadlock detected"),
                  errors.SerializationFailure("could not serialize access")):
        try:
            try:
                raise error
            except errors.Error as driver:
                raise OperationalError(str(driver)) from driver  # as Django wraps it
        except OperationalError as wrapped:
            found = outage.outage_of(wrapped)
        assert found is not None and found.reason == "locked", error
    # A unique violation is still a bug (or a rule), not an outage.
    assert outage.outage_of(errors.UniqueViolation("duplicate key")) is None
