"""Concurrent writers get seq 1..N with no gaps or duplicates and a valid chain."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection

from amanat import verify
from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem, audit_export, audit_record

WRITERS, EACH = 4, 50


def _append_in_thread(name: str, errors: list[BaseException]) -> None:
    from django.db import connection as thread_connection

    try:
        for n in range(EACH):
            audit_record(action="test.concurrent", actor_name=name, extra={"n": n})
    except BaseException as exc:
        errors.append(exc)
    finally:
        thread_connection.close()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database")
def test_concurrent_threads_on_postgresql(wipe_log, tmp_path):
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_append_in_thread, args=(f"writer-{i}", errors))
        for i in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []

    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH + 1))
    assert Counter(Event.objects.values_list("actor_name", flat=True)) == {
        f"writer-{i}": EACH for i in range(WRITERS)
    }
    assert audit_chain_problem() is None
    export = tmp_path / "log.jsonl"
    with export.open("w", encoding="utf-8") as out:
        audit_export(out=out, actor_name="test")
    result = verify.verify_log(export, [])
    assert (result.events, result.problem) == (WRITERS * EACH, None)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite file database only")
def test_concurrent_processes_on_sqlite_file(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        AMANAT_SQLITE_PATH=str(tmp_path / "audit.sqlite3"),
        AMANAT_VAR_DIR=str(tmp_path),
        AMANAT_SECRET_KEY="test-only-not-secret",
        DJANGO_SETTINGS_MODULE="amanat.settings",
    )
    python = sys.executable
    subprocess.run(
        [python, "-m", "django", "migrate", "--skip-checks", "-v", "0"], env=env, check=True
    )
    worker = Path(__file__).with_name("concurrent_worker.py")
    procs = [
        subprocess.Popen([python, str(worker), f"writer-{i}", str(EACH)], env=env)
        for i in range(WRITERS)
    ]
    assert [p.wait(timeout=300) for p in procs] == [0] * WRITERS

    export = tmp_path / "log.jsonl"
    subprocess.run(
        [python, "-m", "django", "audit_export", "--skip-checks", "--out", str(export)],
        env=env,
        check=True,
        capture_output=True,
    )
    lines = export.read_text(encoding="utf-8").splitlines()
    assert len(lines) == WRITERS * EACH
    result = verify.verify_log(export, [])
    assert (result.events, result.problem) == (WRITERS * EACH, None)
    writers = Counter(line.split('"actor_name":"')[1].split('"')[0] for line in lines)
    assert writers == {f"writer-{i}": EACH for i in range(WRITERS)}
