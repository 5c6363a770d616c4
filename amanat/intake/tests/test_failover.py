"""The failover drill (issue 19), as a test: ``bench/failover_drill.py`` under a real
primary and synchronous standby (``scripts/with-postgres --sync-standby``; ``make
test-postgres`` runs it, marked ``failover``, deselected elsewhere).

The served app (``amanat serve``, group commit on, Django's connection pool) takes
reports; the primary's processes are SIGKILLed mid-load and the standby promoted; the
app, whose database URL lists both hosts with ``target_session_attrs=read-write``,
reconnects by itself.  Every acknowledged report must be on the promoted standby, with
its audit event and idempotency record, and the audit log must verify with
``amanat-verify`` against a checkpoint signed before the kill and one after."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.failover

ROOT = Path(__file__).resolve().parents[3]
# Two server processes of 6 request threads; the pool lends each of them a connection
# for the whole request (its reads, then its wait for the writer) and the group commit
# writer one for good: at least threads + 1 (docs/decisions/0005).
DRILL = ["--workers", "2", "--threads", "6", "--pool", "8", "--concurrency", "12",
         "--duration", "10", "--kill-after", "4", "--stations", "200", "--inspectors", "6"]


def test_no_acknowledged_report_is_lost_when_the_standby_takes_over(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "failover_drill.py"), *DRILL,
         "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=400, cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-4000:]
    print(done.stdout)  # the drill's figures, shown when a check below fails
    drill = json.loads(done.stdout)

    # The app served from the primary, then from the promoted standby.
    assert drill["before"]["in_recovery"] is False
    assert drill["after"]["in_recovery"] is False
    assert drill["after"]["port"] != drill["before"]["port"]
    assert drill["processes_killed"] >= 2  # the postmaster and its backends
    failover = drill["failover"]
    assert failover["acknowledged_before_kill"] > 0
    assert failover["acknowledged_after_kill"] > 0  # service came back, unaided
    assert failover["unavailable_s"] is not None
    # Refusals while no host accepted writes are 503s that say nothing was stored.
    # A 500 is a defect: its traceback, from the app's log, says where.
    assert set(drill["load"]["statuses"]) <= {"201", "503"}, (
        f"{drill['load']}\n\nserver errors:\n" + "\n\n".join(drill["server_errors"]))

    check = drill["check"]
    assert check["acknowledged"] == drill["load"]["acknowledged"]
    assert check["acknowledged_missing"] == 0
    assert check["reports_without_request"] == 0
    assert check["reports_without_audit_event"] == 0
    assert check["audit_events_without_report"] == 0
    assert check["reports_with_several_events"] == 0
    assert check["idempotency_incomplete"] == 0
    assert check["idempotency_mismatched"] == 0
    # Requests left unanswered by the kill, sent again with their key: one report each.
    assert check["retried_acknowledged"] == check["retried_after_restart"]
    assert check["retried_distinct_references"] == check["retried_acknowledged"]
    assert check["audit_chain"] == "ok"

    audit = drill["audit"]
    assert audit["chain"] == "ok"
    assert audit["amanat_verify_exit"] == 0, audit
    assert audit["amanat_verify"].startswith("OK:")
    assert "2 checkpoints verified" in audit["amanat_verify"]
