"""The headline attack of issue 11, from outside the application, on a SQLite file.

The attacker opens the database file with Python's sqlite3 module, drops the triggers,
rewrites one event, re-hashes the whole chain after it and deletes the checkpoint rows.
Before issue 11, ``amanat audit-checkpoint`` then signed the forged history with the
real key.  Now the installed commands refuse (non-zero exit, a clear message, an event
in the log), and ``amanat-verify`` with the earlier checkpoint fails.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from amanat import verify

BIN = Path(sys.executable).parent
WORKER = Path(__file__).with_name("concurrent_worker.py")


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in {"DATABASE_URL", "AMANAT_AUDIT_KEY", "AMANAT_SQLITE_PATH"}}
    env.update(AMANAT_VAR_DIR=str(tmp_path / "var"), AMANAT_SECRET_KEY="test-only-not-secret",
               DJANGO_SETTINGS_MODULE="amanat.settings")
    return env


def _amanat(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "amanat"), *args, "--skip-checks"], env=env,
                          capture_output=True, text=True, check=False, timeout=300)


COLUMNS = ("seq", "time", "actor_id", "actor_name", "unit_id", "unit_path", "action",
           "object_type", "object_id", "before", "after", "extra")


def _record(row: tuple) -> dict:
    """An event as hashed, rebuilt from the raw columns (docs/audit-log.md, section 3)."""
    record = dict(zip(COLUMNS, row, strict=True))
    when = dt.datetime.fromisoformat(record["time"])
    record["time"] = when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for key in ("before", "after", "extra"):
        record[key] = None if record[key] is None else json.loads(record[key])
    return {**record, "v": 1}


def _rewrite_history(database: Path) -> None:
    """The attacker's script: falsify event 5, re-hash everything, remove checkpoints."""
    db = sqlite3.connect(database)
    for table in ("audit_event", "audit_checkpoint"):
        db.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
        db.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    rows = db.execute(f"SELECT {', '.join(COLUMNS)} FROM audit_event ORDER BY seq").fetchall()
    prev = verify.GENESIS_HASH
    for record in map(_record, rows):
        if record["seq"] == 5:
            record["extra"] = {"n": 999}
        record["prev_hash"] = prev
        prev = verify.event_hash(record)
        db.execute("UPDATE audit_event SET extra = ?, prev_hash = ?, hash = ? WHERE seq = ?",
                   [json.dumps(record["extra"]), record["prev_hash"], prev, record["seq"]])
    db.execute("DELETE FROM audit_checkpoint")
    db.execute("UPDATE audit_chainhead SET last_hash = ? WHERE id = 1", [prev])
    db.commit()
    db.close()


def test_rewritten_and_rehashed_history_is_neither_signed_nor_verified(tmp_path: Path) -> None:
    env = _env(tmp_path)
    database = tmp_path / "var" / "amanat.sqlite3"
    assert _amanat(env, "migrate", "-v", "0").returncode == 0
    subprocess.run([sys.executable, str(WORKER), "writer", "8"], env=env, check=True)
    public = _amanat(env, "audit-keygen").stdout.strip()
    earlier = tmp_path / "checkpoint-8.txt"
    signed = _amanat(env, "audit-checkpoint", "--out", str(earlier))
    assert signed.returncode == 0, signed.stderr
    assert verify.parse_checkpoint(earlier.read_text()).size == 8

    # The application goes on appending in between (an export is an event too).
    assert _amanat(env, "audit-export", "--out", str(tmp_path / "x.jsonl")).returncode == 0
    _rewrite_history(database)

    forged = tmp_path / "checkpoint-forged.txt"
    refused = _amanat(env, "audit-checkpoint", "--out", str(forged))
    assert refused.returncode == 1
    # Loud: the server log's line and the command's error (in the site's language).
    assert "audit checkpoint refused (rewritten)" in refused.stderr
    assert "CommandError" in refused.stderr
    assert not forged.exists()
    db = sqlite3.connect(database)
    assert db.execute("SELECT count(*) FROM audit_checkpoint").fetchone() == (0,)
    (extra,) = db.execute(
        "SELECT extra FROM audit_event WHERE action = 'audit.checkpoint_refused'").fetchone()
    db.close()
    assert json.loads(extra)["reason"] == "rewritten"

    after = tmp_path / "after.jsonl"
    assert _amanat(env, "audit-export", "--out", str(after)).returncode == 0
    checked = subprocess.run(
        [str(BIN / "amanat-verify"), str(after), str(earlier), "--public-key", public],
        capture_output=True, text=True, check=False, timeout=120,
    )
    assert checked.returncode == 1
    assert checked.stdout.startswith("FAIL: seq 8: altered:")
