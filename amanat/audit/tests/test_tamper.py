"""The tamper script of issue 11, against the signer and the verifier.

An attacker with database access switches the append-only triggers off as any table
owner can (DROP TRIGGER on SQLite, ALTER TABLE … DISABLE TRIGGER on PostgreSQL), then
edits, deletes, reorders, inserts, truncates, or rewrites and re-hashes the whole chain,
with or without deleting the checkpoint rows.  Each must be caught twice: the signer
refuses to sign (and says so in the log), and ``amanat-verify`` with the checkpoint
signed before the tampering fails.  ``test_tamper_file.py`` does the same to a SQLite
file with the sqlite3 module, from outside the application.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from amanat import verify
from amanat.audit.models import ChainHead, Checkpoint, Event
from amanat.audit.services import audit_record, event_fields


def _drop_triggers() -> None:
    """What the attacker runs first; the test's transaction puts the triggers back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event DISABLE TRIGGER USER")
            cursor.execute("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER")
            return
        for table in ("audit_event", "audit_checkpoint"):
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            cursor.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")


def _rechain(edit: Callable[[Event], None]) -> None:
    """Edit events and re-hash the whole chain, so that it is internally consistent."""
    prev = verify.GENESIS_HASH
    for event in Event.objects.order_by("seq"):
        edit(event)
        event.prev_hash = prev
        event.hash = prev = verify.event_hash(event_fields(event))
        event.save()


def _falsify_station_5(event: Event) -> None:
    if event.seq == 5:
        event.after = {"expected_voters": 1, "cctv": True}


def _forge_insert_at(seq: int) -> None:
    for n in range(Event.objects.order_by("-seq").first().seq, seq - 1, -1):
        Event.objects.filter(seq=n).update(seq=n + 1)
    previous = Event.objects.get(seq=seq - 1)
    forged = Event(seq=seq, time=previous.time, actor_name="system", action="station.delete",
                   object_type="stations.station", object_id="99", prev_hash=previous.hash)
    forged.hash = verify.event_hash(event_fields(forged))
    forged.save(force_insert=True)


def _swap(a: int, b: int) -> None:
    Event.objects.filter(seq=a).update(seq=-1)
    Event.objects.filter(seq=b).update(seq=a)
    Event.objects.filter(seq=-1).update(seq=b)


TAMPERS: dict[str, Callable[[], object]] = {
    "edit": lambda: Event.objects.filter(seq=4).update(after={"expected_voters": 1}),
    "delete": lambda: Event.objects.filter(seq=4).delete(),
    "reorder": lambda: _swap(3, 6),
    "insert": lambda: _forge_insert_at(4),
    "truncate": lambda: Event.objects.filter(seq__gte=6).delete(),
    "rechain": lambda: _rechain(_falsify_station_5),
    "rechain-and-delete-checkpoints": lambda: (
        _rechain(_falsify_station_5), Checkpoint.objects.all().delete()
    ),
    "truncate-rechain-and-delete-checkpoints": lambda: (
        Event.objects.filter(seq__gte=6).delete(), _rechain(_falsify_station_5),
        Checkpoint.objects.all().delete(),
    ),
}
# (what the signer says, the verifier's first line) for each tampering.
EXPECTED = {
    "edit": ("broken_chain", "FAIL: seq 4: altered:"),
    "delete": ("broken_chain", "FAIL: seq 4: deleted:"),
    "reorder": ("broken_chain", "FAIL: seq 3: reordered:"),
    "insert": ("broken_chain", "FAIL: seq 4: inserted:"),
    "truncate": ("truncated", "FAIL: seq 6: truncated:"),
    "rechain": ("rewritten", "FAIL: seq 8: altered:"),
    "rechain-and-delete-checkpoints": ("rewritten", "FAIL: seq 8: altered:"),
    "truncate-rechain-and-delete-checkpoints": ("truncated", "FAIL: seq 6: truncated:"),
}
MESSAGES = {
    "broken_chain": "does not match its hash chain|expected event",
    "truncated": "the database holds 5 events, but this signer signed 8",
    "rewritten": "the first 8 events no longer hash to the root this signer signed",
}


def _tamper(kind: str) -> None:
    _drop_triggers()
    TAMPERS[kind]()
    # A careful attacker also fixes the head, so that the application goes on appending.
    last = Event.objects.order_by("-seq").first()
    ChainHead.objects.update(last_seq=last.seq, last_hash=last.hash)


@pytest.fixture
def earlier_checkpoint(populated, signing_key, tmp_path) -> tuple[Path, str]:
    path = tmp_path / "checkpoint-8.txt"
    call_command("audit_checkpoint", "--out", str(path))
    return path, signing_key


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_the_signer_refuses_tampered_history(kind, earlier_checkpoint):
    _tamper(kind)
    reason, _ = EXPECTED[kind]
    checkpoints = set(Checkpoint.objects.values_list("pk", flat=True))

    with pytest.raises(CommandError, match=f"refusing to sign: .*({MESSAGES[reason]})"):
        call_command("audit_checkpoint")

    assert set(Checkpoint.objects.values_list("pk", flat=True)) == checkpoints
    refusal = Event.objects.order_by("-seq").first()
    assert refusal.action == "audit.checkpoint_refused"
    assert refusal.extra["reason"] == reason and refusal.extra["disposition"] == "failure"
    assert refusal.extra["signed_size"] == 8
    # And again on the next run: nothing has been signed or forgotten in between.
    with pytest.raises(CommandError, match="refusing to sign"):
        call_command("audit_checkpoint")


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_the_verifier_catches_tampered_history(kind, earlier_checkpoint, tmp_path, capsys):
    checkpoint, public = earlier_checkpoint
    _tamper(kind)
    export = tmp_path / "log.jsonl"
    if EXPECTED[kind][0] == "broken_chain":
        # The stored chain itself is broken: the export is written, and says so.
        with pytest.raises(CommandError, match="does not verify: .*"
                                               f"({MESSAGES['broken_chain']})"):
            call_command("audit_export", "--out", str(export))
    else:
        # Rewritten or cut consistently: only the signed checkpoints can tell.
        call_command("audit_export", "--out", str(export))
    capsys.readouterr()

    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED[kind][1]), out


def test_untampered_history_is_signed_after_new_events(earlier_checkpoint):
    audit_record(action="later.event")
    call_command("audit_checkpoint")
    assert list(Checkpoint.objects.order_by("size").values_list("size", flat=True)) == [8, 9]
    assert not Event.objects.filter(action="audit.checkpoint_refused").exists()


def test_the_signer_refuses_a_log_that_lost_events_its_head_still_counts(earlier_checkpoint):
    """Auth review 2, F6: events after the last checkpoint deleted, the chain head left
    as it was (the careless attacker, or a restore that lost the log's end).  The chain
    stored is intact and extends the signed checkpoint, so the signer signed the shorter
    history and published it; the next append then broke the chain.  The head is the
    log's own count of what it appended: the signer refuses a log shorter than it."""
    for n in range(3):
        audit_record(action="later.event", extra={"n": n})
    _drop_triggers()
    Event.objects.filter(seq__gte=10).delete()  # the head still says 11
    checkpoints = Checkpoint.objects.count()

    with pytest.raises(CommandError, match=r"refusing to sign: .*the chain head counts 11"):
        call_command("audit_checkpoint")
    assert Checkpoint.objects.count() == checkpoints
    with pytest.raises(CommandError, match="refusing to sign"):
        call_command("audit_checkpoint", "--new-series")
    assert Checkpoint.objects.count() == checkpoints
