"""Benchmark: appending to the hash-chained audit log.

Compares, in the same run and on the same database:
  * chained appends (``audit_record``: lock head, hash, insert, update head), one
    transaction per event, with
  * plain inserts of the same rows into a comparable table without chaining, one
    transaction per row (the database's own limit for this row shape);
  * then WRITERS concurrent processes appending with ``audit_record``, checked for gaps,
    duplicates and a valid chain.

Runs on a temporary SQLite file; also on PostgreSQL when DATABASE_URL is set (use
``scripts/with-postgres .venv/bin/python bench/audit_append.py``). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()


def _row(n: int) -> dict[str, Any]:
    return {
        "action": "station.update",
        "actor_name": "bench",
        "object_type": "stations.station",
        "object_id": str(n),
        "before": {"expected_voters": n, "cctv": False},
        "after": {"expected_voters": n + 1, "cctv": True},
    }


def _plain_model() -> Any:
    from django.db import connection, models

    class PlainEvent(models.Model):
        seq = models.BigIntegerField(unique=True)
        time = models.DateTimeField()
        actor_id = models.BigIntegerField(null=True)
        actor_name = models.CharField(max_length=150)
        unit_id = models.BigIntegerField(null=True)
        unit_path = models.CharField(max_length=255, blank=True)
        action = models.CharField(max_length=100, db_index=True)
        object_type = models.CharField(max_length=100, blank=True)
        object_id = models.CharField(max_length=64, blank=True)
        before = models.JSONField(null=True)
        after = models.JSONField(null=True)
        extra = models.JSONField(null=True)
        prev_hash = models.CharField(max_length=64)
        hash = models.CharField(max_length=64, unique=True)

        class Meta:
            app_label = "audit"
            db_table = "bench_plain_event"

        def __str__(self) -> str:
            return str(self.seq)

    if PlainEvent._meta.db_table not in connection.introspection.table_names():
        with connection.schema_editor() as editor:
            editor.create_model(PlainEvent)
    return PlainEvent


def _single(count: int) -> dict[str, Any]:
    import hashlib

    from django.db import transaction
    from django.utils import timezone

    from amanat.audit.services import audit_record

    plain = _plain_model()
    start_seq = (plain.objects.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
    began = time.perf_counter()
    for n in range(start_seq, start_seq + count):
        with transaction.atomic():
            plain.objects.create(
                seq=n,
                time=timezone.now(),
                prev_hash="0" * 64,
                hash=hashlib.sha256(str(n).encode()).hexdigest(),
                **_row(n),
            )
    plain_s = time.perf_counter() - began
    began = time.perf_counter()
    for n in range(count):
        audit_record(**_row(n))
    chained_s = time.perf_counter() - began
    return {
        "events": count,
        "plain_inserts_per_s": round(count / plain_s),
        "chained_appends_per_s": round(count / chained_s),
        "chained_vs_plain": round(plain_s / chained_s, 2),
    }


def _append(name: str, count: int, start_at: float) -> dict[str, Any]:
    from amanat.audit.services import audit_record

    time.sleep(max(0.0, start_at - time.time()))
    began = time.time()
    for n in range(count):
        audit_record(actor_name=name, **{k: v for k, v in _row(n).items() if k != "actor_name"})
    return {"start": began, "end": time.time(), "count": count}


def _check() -> dict[str, Any]:
    from amanat.audit.models import Event
    from amanat.audit.services import audit_chain_problem

    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    distinct = set(seqs)
    top = max(seqs, default=0)
    return {
        "events": len(seqs),
        "gaps": top - len(distinct),
        "duplicates": len(seqs) - len(distinct),
        "chain_ok": audit_chain_problem() is None,
    }


def _worker(argv: list[str]) -> None:
    _django()
    mode = argv[0]
    if mode == "single":
        result = _single(int(argv[1]))
    elif mode == "append":
        result = _append(argv[1], int(argv[2]), float(argv[3]))
    else:
        result = _check()
    print(json.dumps(result))


def _run(env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(HERE), "_worker", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _backend(env: dict[str, str], events: int, writers: int, each: int) -> dict[str, Any]:
    subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--skip-checks", "-v", "0"],
        env=env,
        check=True,
        cwd=ROOT,
    )
    single = _run(env, "single", str(events))
    start_at = time.time() + 4  # after every worker has loaded Django
    procs = [
        subprocess.Popen(
            [sys.executable, str(HERE), "_worker", "append", f"w{i}", str(each), str(start_at)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(writers)
    ]
    outputs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]
    window = max(o["end"] for o in outputs) - min(o["start"] for o in outputs)
    check = _run(env, "check")
    return {
        **single,
        "concurrent": {
            "writers": writers,
            "events": writers * each,
            "appends_per_s": round(writers * each / window),
            **check,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-writer", type=int, default=250)
    args = parser.parse_args()
    base = {**os.environ, "DJANGO_SETTINGS_MODULE": "amanat.settings", "PYTHONPATH": str(ROOT)}
    results: dict[str, Any] = {"benchmark": "audit_append"}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_env = {k: v for k, v in base.items() if k != "DATABASE_URL"}
        sqlite_env.update(
            AMANAT_SQLITE_PATH=str(Path(tmp) / "bench.sqlite3"),
            AMANAT_VAR_DIR=tmp,
            AMANAT_SECRET_KEY=secrets.token_urlsafe(32),
        )
        results["sqlite"] = _backend(sqlite_env, args.events, args.writers, args.per_writer)
    if os.environ.get("DATABASE_URL"):
        with tempfile.TemporaryDirectory() as tmp:
            pg_env = {**base, "AMANAT_VAR_DIR": tmp, "AMANAT_SECRET_KEY": secrets.token_urlsafe(32)}
            results["postgresql"] = _backend(pg_env, args.events, args.writers, args.per_writer)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        _worker(sys.argv[2:])
    else:
        main()
