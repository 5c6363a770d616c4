"""A database host that vanishes (power lost, kernel panic, network cut) rather than
its PostgreSQL process dying: no FIN, no RST, nothing on the kept connections' sockets
(attack review 2, docs/reviews/2026-12-attack2-scale.md, finding 2).

The health check (``amanat.core.postgresql``) passes such a connection as quiet, as
Django's ``SELECT 1`` would have hung on it; the request's first query is then sent to
nobody.  Without a bound, TCP retransmits for ~15 minutes (``tcp_retries2``) while the
request thread, the group-commit writer and every thread after them wait: the failover
to the standby finds an app that does not come back.  With ``tcp_user_timeout`` (and
keepalives for idle connections) the query fails within seconds, the request is a 503,
and the next connection finds the promoted standby.

Simulated in a private network namespace (``unshare --net``, root): the cluster and the
test on its own loopback, then the loopback taken down: an established connection then
behaves as to a vanished host (its data is never acknowledged).  The outer test runs the
inner one there; the inner one runs only there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, connections

ROOT = Path(__file__).resolve().parents[3]
INSIDE = "AMANAT_TEST_IN_NETNS"


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("ip"):
        return False
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.mark.skipif(os.environ.get(INSIDE) == "1", reason="the outer test")
def test_a_query_to_a_vanished_database_host_fails_within_seconds() -> None:
    if not _can_unshare() or not (ROOT / "scripts/with-postgres").exists():
        pytest.skip("needs root, unshare and ip (a private network namespace)")
    inner = f"{Path(__file__).relative_to(ROOT)}::test_inside_the_namespace"
    command = (f"ip link set lo up && exec scripts/with-postgres {sys.executable}"
               f" -m pytest -q -p no:randomly -p no:cacheprovider {inner}")
    env = {**os.environ, INSIDE: "1", "PYTHONPATH": str(ROOT)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(["unshare", "--net", "--fork", "bash", "-c", command], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode == 3:
        pytest.skip("PostgreSQL is not installed")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "1 passed" in done.stdout


@pytest.mark.skipif(os.environ.get(INSIDE) != "1",
                    reason="runs inside a private network namespace (the outer test)")
@pytest.mark.django_db(transaction=True)
def test_inside_the_namespace() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL")
    connection.ensure_connection()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    outcome: list[Any] = []
    # This thread's connection, used by another thread as Django's test server does
    # (each thread has its own otherwise).
    kept = connections[DEFAULT_DB_ALIAS]
    kept.inc_thread_sharing()

    def request() -> None:
        # A new request on the kept connection: its first query checks it first
        # (``close_old_connections`` would also end a connection past its age).
        kept.health_check_done = False
        try:
            with kept.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM auth_user")
                outcome.append(cursor.fetchone())
        except OperationalError as error:
            outcome.append(error)

    subprocess.run(["ip", "link", "set", "lo", "down"], check=True)
    try:
        thread = threading.Thread(target=request, daemon=True)
        thread.start()
        thread.join(90)
        hung = thread.is_alive()
    finally:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        kept.dec_thread_sharing()
    assert not hung, "the query waited on a vanished host (TCP's ~15 minutes)"
    assert len(outcome) == 1 and isinstance(outcome[0], OperationalError), outcome
    connection.close()
