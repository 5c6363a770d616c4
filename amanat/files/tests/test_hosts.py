"""Two app "hosts" against one PostgreSQL (issue 19): separate processes, each with its
own var folder (so its own MEDIA_ROOT), the database file storage (decision 0006).

- A file attached to a case on host A downloads, byte for byte, on host B; nothing is
  written to either host's disk.
- Background task workers (``amanat db_worker``) on both hosts share one queue: every
  task runs exactly once, both workers take some (the claim is ``SELECT … FOR UPDATE
  SKIP LOCKED`` then ``status=RUNNING`` in one transaction, django_tasks_db).

PostgreSQL only (``scripts/with-postgres``; ``make test-postgres``): the hosts connect to
the test database, so the test commits (transactional).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from amanat.incidents import services
from amanat.incidents.models import Evidence
from amanat.incidents.tests.conftest import World
from amanat.incidents.tests.conftest import world as world

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[3]
SECRET = "test-hosts-shared-secret-key-" + "x" * 40


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("two hosts share a PostgreSQL database (scripts/with-postgres)")


def _url() -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT']}/{s['NAME']}"


def _env(tmp_path: Path, host: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AMANAT_")}
    env.update({
        "DATABASE_URL": _url(), "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "amanat.settings",
        "AMANAT_VAR_DIR": str(tmp_path / host), "AMANAT_FILE_STORAGE": "database",
        "AMANAT_SECRET_KEY": SECRET, "AMANAT_TEST_HOST": host,
        "AMANAT_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        "AMANAT_LOG_LEVEL": "INFO",
    })
    return env


def _on(tmp_path: Path, host: str, *args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "amanat.files.tests.host", *args],
                          env=_env(tmp_path, host), capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _files_on_disk(folder: Path) -> list[Path]:
    media = folder / "media"
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def test_a_file_uploaded_on_one_host_downloads_on_the_other(world: World,
                                                            tmp_path: Path) -> None:
    received = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="گزارش",
        station=world.gharchak_station, actor=world.personas.gharchak_governor)
    case = services.case_open_from_report(report=received.report, actor=world.personas.admin)
    governor = world.personas.gharchak_governor.username

    sent = _on(tmp_path, "host-a", "upload", "--username", governor, "--case", str(case.pk),
               "--marker", "host-a")
    assert sent["status"] == 302 and sent["evidence"], sent
    got = _on(tmp_path, "host-b", "download", "--username", governor,
              "--evidence", str(sent["evidence"]))
    assert got == {"status": 200, "sha256": sent["sha256"]}
    assert Evidence.objects.get(pk=sent["evidence"]).sha256 == sent["sha256"]
    # Scoped on every host: another county's governor gets 404 on host B.
    refused = _on(tmp_path, "host-b", "download", "--evidence", str(sent["evidence"]),
                  "--username", world.personas.kerman_governor.username)
    assert refused["status"] == 404
    assert _files_on_disk(tmp_path / "host-a") == [] == _files_on_disk(tmp_path / "host-b")


def _start_workers(tmp_path: Path, command: str, **env: str
                   ) -> Iterator[list[subprocess.Popen[str]]]:
    started = []
    for host in ("host-a", "host-b"):
        started.append(subprocess.Popen(
            [sys.executable, "-m", "amanat.cli", command, "--interval", "0.1",
             "--no-startup-delay", "--worker-id", host],
            env={**_env(tmp_path, host), **env}, cwd=ROOT, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, start_new_session=True))
    try:
        for worker in started:  # each has started its loop
            assert worker.stderr is not None
            deadline = time.monotonic() + 60
            for line in worker.stderr:
                if "Starting worker" in line or time.monotonic() > deadline:
                    break
            assert worker.poll() is None, "a worker exited at start"
        yield started
    finally:
        for worker in started:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """django-tasks-db's own worker on each host, polling every 0.1 s; stopped (SIGTERM)
    afterwards."""
    yield from _start_workers(tmp_path, "db_worker")


@pytest.fixture
def beating_workers(tmp_path: Path) -> Iterator[list[subprocess.Popen[str]]]:
    """``amanat task_worker`` on each host (what ``amanat serve`` starts), beating every
    0.2 s and judged dead after 2 s without a beat."""
    yield from _start_workers(tmp_path, "task_worker", AMANAT_TASK_BEAT_SECONDS="0.2",
                              AMANAT_TASK_WORKER_DEAD_SECONDS="2")


def test_workers_on_two_hosts_run_each_task_once(
    workers: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    log = tmp_path / "runs.log"
    log.touch()
    count = 20
    ids = _on(tmp_path, "host-a", "enqueue", "--log", str(log), "--count", str(count))["ids"]
    results = DBTaskResult.objects.filter(id__in=ids)
    deadline = time.monotonic() + 90
    while results.exclude(status__in=["SUCCESSFUL", "FAILED"]).exists():
        assert time.monotonic() < deadline, list(results.values_list("status", flat=True))
        assert all(w.poll() is None for w in workers), "a worker died"
        time.sleep(0.2)
    failed = results.filter(status="FAILED").first()
    assert failed is None, failed.traceback
    runs = [line.split() for line in log.read_text().splitlines()]
    assert Counter(int(number) for number, _host, _pid in runs) == dict.fromkeys(range(count), 1)
    assert {host for _n, host, _pid in runs} == {"host-a", "host-b"}  # both took work
    claims = list(results.values_list("worker_ids", flat=True))
    assert all(len(claim) == 1 for claim in claims), claims
    assert Counter(claim[0] for claim in claims) == Counter(host for _n, host, _pid in runs)


def test_a_task_whose_worker_is_killed_mid_run_runs_again_on_the_other_host(
    beating_workers: list[subprocess.Popen[str]], tmp_path: Path
) -> None:
    """Review 2026-12, finding 6: django-tasks-db marks a claimed task RUNNING and nothing
    took it back when its worker died (SIGKILL, OOM, a lost app server): the task never
    ran again. The other host's worker now sees the dead one stop beating and queues its
    task again (at least once: the killed run had started)."""
    workers = beating_workers
    log = tmp_path / "runs.log"
    log.touch()
    ids = _on(tmp_path, "host-a", "enqueue", "--log", str(log), "--count", "1",
              "--pause", "60")["ids"]
    result = DBTaskResult.objects.filter(id=ids[0])
    deadline = time.monotonic() + 60
    while not result.filter(status="RUNNING").exists():
        assert time.monotonic() < deadline, "no worker took the task"
        time.sleep(0.1)
    host = result.get().worker_ids[0]
    victim = workers[["host-a", "host-b"].index(host)]
    os.killpg(victim.pid, signal.SIGKILL)  # the host is lost mid-task
    victim.wait()
    deadline = time.monotonic() + 30
    while not result.filter(status="SUCCESSFUL").exists():
        assert time.monotonic() < deadline, (
            f"the task stayed {result.get().status} after its worker died")
        time.sleep(0.2)
    assert len(log.read_text().splitlines()) == 2  # started twice: at least once, never lost


def test_a_password_alone_opens_nothing_on_the_other_host(world: World, tmp_path: Path,
                                                         personas: Any) -> None:
    """Review 2026-12 (found sound): a session signed in with the password on host A is
    the same session on host B (one database, one secret key), and there it still lacks
    its second factor: sent to the verification, never the province's stations; a host
    with another secret key does not accept it at all."""
    from django.contrib.auth import get_user_model
    from django_otp.plugins.otp_totp.models import TOTPDevice

    officer = get_user_model().objects.get(pk=personas.tehran_officer.pk)
    officer.set_password("a-long-test-passphrase-1404")
    officer.save()
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    signed = _on(tmp_path, "host-a", "login", "--username", officer.username,
                 "--password", "a-long-test-passphrase-1404")
    assert signed["status"] == 302 and signed["cookie"], signed
    on_b = _on(tmp_path, "host-b", "get", "--cookie", signed["cookie"], "--path",
               "/stations/")
    assert on_b["status"] == 302 and "/accounts/2fa/verify/" in on_b["location"], on_b
    # The same session on host B is signed in (the verification page opens for it) ...
    page = _on(tmp_path, "host-b", "get", "--cookie", signed["cookie"], "--path",
               "/accounts/2fa/verify/")
    assert page["status"] == 200, page
    # ... and a host with another secret key refuses it: back to the sign-in page.
    done = subprocess.run([sys.executable, "-m", "amanat.files.tests.host", "get",
                           "--cookie", signed["cookie"], "--path", "/stations/"],
                          env={**_env(tmp_path, "host-c"), "AMANAT_SECRET_KEY": "other" * 10},
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    other = json.loads(done.stdout.strip().splitlines()[-1])
    assert other["status"] == 302 and "/accounts/login/" in other["location"], other
