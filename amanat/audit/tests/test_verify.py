"""Export, checkpoint and the standalone verifier, on an intact and a tampered log."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from amanat import verify
from amanat.audit import triggers
from amanat.audit.models import ChainHead, Checkpoint, Event
from amanat.audit.services import audit_export, audit_record, event_fields

VERIFY_BIN = Path(sys.executable).parent / "amanat-verify"


@pytest.fixture
def signed(populated, signing_key, tmp_path) -> tuple[Path, str]:
    """The populated log with a checkpoint over all eight events, written to a file."""
    path = tmp_path / "checkpoint.txt"
    call_command("audit_checkpoint", "--out", str(path))
    return path, signing_key


def _export(tmp_path: Path, name: str = "log.jsonl") -> Path:
    path = tmp_path / name
    try:
        call_command("audit_export", "--out", str(path))
    except CommandError as error:
        # A broken stored chain: the file is written, and the command says so.
        assert "does not verify" in str(error)
    return path


def test_intact_log_verifies(signed, tmp_path, capsys):
    checkpoint, public = signed
    export = _export(tmp_path)
    capsys.readouterr()

    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 0
    assert capsys.readouterr().out.strip() == "OK: 8 events, 1 checkpoints verified"

    lines = export.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8
    first = json.loads(lines[0])
    assert set(first) == {*verify.EVENT_FIELDS, "hash"}
    assert lines[0] == verify.canonical_bytes(first).decode()


def test_verifier_runs_standalone(signed, tmp_path):
    checkpoint, _public = signed
    export = _export(tmp_path)
    key_file = tmp_path / "keys" / "audit_ed25519.pem.pub"
    done = subprocess.run(
        [str(VERIFY_BIN), str(export), str(checkpoint), "--public-key", str(key_file)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: 8 events, 1 checkpoints verified" in done.stdout


def test_verifier_does_not_import_django():
    code = (
        "import sys, amanat.verify\n"
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_checkpoint_is_stored_and_signed(signed, signing_key):
    checkpoint_file, _ = signed
    text = checkpoint_file.read_text()
    stored = Checkpoint.objects.get()
    assert stored.text == text and stored.size == 8
    assert stored.root == Event.objects.get(seq=8).hash
    lines = text.splitlines()
    assert lines[0] == "amanat-audit-checkpoint v1"
    assert lines[1] == f"log-id: {ChainHead.objects.get().log_id}"
    assert lines[2:4] == ["size: 8", f"root: {stored.root}"]
    assert lines[5] == f"key: {signing_key}"
    parsed = verify.parse_checkpoint(text, "cp")
    assert verify.check_checkpoints([parsed], bytes.fromhex(signing_key)) is None


def test_export_is_itself_an_event(populated):
    result = audit_export(out=io.StringIO(), actor_name="cli:tester")
    event = Event.objects.get(seq=9)
    assert event.pk == result.event.pk
    assert (event.action, event.actor_name) == ("audit.export", "cli:tester")
    assert event.extra == {"format": "jsonl", "size": 8, "root": result.root, "upto_seq": 8}


def test_nist_export(populated, tmp_path):
    path = tmp_path / "log.json"
    call_command("audit_export", "--out", str(path), "--format", "nist")
    log = json.loads(path.read_text(encoding="utf-8"))
    assert log["@type"] == "EventLogging.ElectionEventLog"
    (device,) = log["Device"]
    assert device["@type"] == "EventLogging.Device" and device["HashType"] == "sha-256"
    events = device["Event"]
    assert [e["Sequence"] for e in events] == [str(n) for n in range(1, 9)]
    failed = events[1]
    assert failed["@type"] == "EventLogging.Event"
    assert (failed["Id"], failed["Disposition"], failed["UserId"]) == (
        "auth.login_failed",
        "failure",
        "intruder",
    )
    assert events[0]["Disposition"] == "success" and events[0]["Type"] == "user-action"
    assert events[7]["Hash"] == Event.objects.get(seq=8).hash
    assert {"TimeStamp", "Description", "Details"} <= set(events[0])


def test_checkpoint_without_key_is_refused(populated, settings, tmp_path):
    settings.AMANAT_AUDIT_KEY = tmp_path / "missing.pem"
    with pytest.raises(CommandError, match="audit-keygen"):
        call_command("audit_checkpoint")
    assert not Checkpoint.objects.exists()


def test_keygen_refuses_to_overwrite(signing_key, settings):
    key_before = settings.AMANAT_AUDIT_KEY.read_bytes()
    with pytest.raises(CommandError, match="refusing to overwrite"):
        call_command("audit_keygen")
    assert settings.AMANAT_AUDIT_KEY.read_bytes() == key_before
    assert settings.AMANAT_AUDIT_KEY.stat().st_mode & 0o077 == 0


def test_checkpoint_refuses_to_sign_a_tampered_log(populated, signing_key):
    with triggers.disabled(connection):
        Event.objects.filter(seq=2).update(actor_name="someone else")
    with pytest.raises(CommandError, match="refusing to sign"):
        call_command("audit_checkpoint")
    assert not Checkpoint.objects.exists()


# --- tampering with the triggers switched off ---------------------------------------------


def _forge_insert_at(seq: int) -> None:
    top = Event.objects.order_by("-seq").first().seq
    for n in range(top, seq - 1, -1):  # top down, so seq stays unique at every step
        Event.objects.filter(seq=n).update(seq=n + 1)
    previous = Event.objects.get(seq=seq - 1)
    forged = Event(
        seq=seq,
        time=previous.time,
        actor_id=None,
        actor_name="system",
        action="station.delete",
        object_type="stations.station",
        object_id="99",
        prev_hash=previous.hash,
    )
    # A careful forger: the forged event's own hash and link are both valid.
    forged.hash = verify.event_hash(event_fields(forged))
    forged.save(force_insert=True)


def _swap(a: int, b: int) -> None:
    Event.objects.filter(seq=a).update(seq=-1)
    Event.objects.filter(seq=b).update(seq=a)
    Event.objects.filter(seq=-1).update(seq=b)


TAMPERS = {
    "altered": lambda: Event.objects.filter(seq=4).update(after={"expected_voters": 1}),
    "deleted": lambda: Event.objects.filter(seq=4).delete(),
    "reordered": lambda: _swap(3, 6),
    "inserted": lambda: _forge_insert_at(4),
    "truncated": lambda: Event.objects.filter(seq__gte=6).delete(),
}
EXPECTED = {
    "altered": "FAIL: seq 4: altered:",
    "deleted": "FAIL: seq 4: deleted:",
    "reordered": "FAIL: seq 3: reordered:",
    "inserted": "FAIL: seq 4: inserted:",
    "truncated": "FAIL: seq 6: truncated:",
}


def _tamper(kind: str) -> None:
    with triggers.disabled(connection):
        TAMPERS[kind]()
    # The tamperer also fixes the head so that new events keep appending.
    last = Event.objects.order_by("-seq").first()
    ChainHead.objects.filter(pk=1).update(last_seq=last.seq, last_hash=last.hash)


@pytest.mark.parametrize("kind", sorted(TAMPERS))
def test_tampering_is_detected(kind, signed, tmp_path, capsys):
    checkpoint, public = signed
    _tamper(kind)
    export = _export(tmp_path)
    capsys.readouterr()

    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    out = capsys.readouterr().out
    assert out.startswith(EXPECTED[kind]), out


def test_tampering_is_detected_by_the_installed_command(signed, tmp_path):
    checkpoint, public = signed
    _tamper("deleted")
    export = _export(tmp_path)
    done = subprocess.run(
        [str(VERIFY_BIN), str(export), str(checkpoint), "--public-key", public],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL: seq 4: deleted:")


def test_rewritten_history_fails_against_the_checkpoint(signed, tmp_path, capsys):
    """Re-hashing the whole chain after an edit passes the chain but not the signature."""
    checkpoint, public = signed
    with triggers.disabled(connection):
        prev = verify.GENESIS_HASH
        for event in Event.objects.order_by("seq"):
            if event.seq == 5:
                event.after = {"expected_voters": 1}
            event.prev_hash = prev
            event.hash = verify.event_hash(event_fields(event))
            event.save()
            prev = event.hash
    export = _export(tmp_path)
    capsys.readouterr()
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert capsys.readouterr().out.startswith("FAIL: seq 8: altered:")


def test_bad_signature_and_untrusted_key(signed, tmp_path, capsys):
    checkpoint, public = signed
    export = _export(tmp_path)
    forged = tmp_path / "forged.txt"
    forged.write_text(checkpoint.read_text().replace("size: 8", "size: 7"))
    capsys.readouterr()

    assert verify.main([str(export), str(forged), "--public-key", public]) == 1
    assert "bad-signature" in capsys.readouterr().out

    other = "ab" * 32
    assert verify.main([str(export), str(checkpoint), "--public-key", other]) == 1
    assert "not the trusted key" in capsys.readouterr().out


def test_reordered_lines_in_the_file_are_detected(signed, tmp_path, capsys):
    checkpoint, public = signed
    export = _export(tmp_path)
    lines = export.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    export.write_text("".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert capsys.readouterr().out.startswith("FAIL: seq 3: reordered:")


# --- hostile input: the verifier's work is bounded, and one line means one event -----------


def _rewrite_lines(export: Path, change) -> None:
    """Apply ``change(position, record) -> str | None`` to each line (None: unchanged)."""
    lines = export.read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        new = change(n + 1, json.loads(line))
        if new is not None:
            lines[n] = new
    export.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _canonical(record: dict) -> str:
    return verify.canonical_bytes(record).decode()


def _verify_subprocess(export: Path, checkpoint: Path, public: str) -> subprocess.CompletedProcess:
    # A timeout only so that the old verifier fails instead of hanging the suite.
    return subprocess.run(
        [str(VERIFY_BIN), str(export), str(checkpoint), "--public-key", public],
        capture_output=True, text=True, check=False, timeout=120,
    )


def test_a_huge_seq_cannot_make_the_verifier_run_long(signed, tmp_path):
    """It searched every seq up to the largest one in the file (issue 11: killed at 45 s)."""
    checkpoint, public = signed
    export = _export(tmp_path)

    def change(position: int, record: dict) -> str | None:
        if position == 4:  # edited without re-hashing, and its link broken
            return _canonical({**record, "action": "forged", "prev_hash": "ab" * 32})
        if position == 8:
            return _canonical({**record, "seq": 2**62})
        return None

    _rewrite_lines(export, change)
    done = _verify_subprocess(export, checkpoint, public)
    assert done.returncode == 1
    assert done.stdout.startswith("FAIL: seq 4: altered: hash mismatch and broken link")


def test_gaps_and_huge_seqs_are_reported_at_once(signed, tmp_path, capsys):
    checkpoint, public = signed
    export = _export(tmp_path)
    _rewrite_lines(export, lambda p, r: _canonical({**r, "seq": 2**63 - 1}) if p == 3 else None)
    capsys.readouterr()
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert capsys.readouterr().out.startswith("FAIL: seq 3: deleted: gap: events 3..")

    _rewrite_lines(export, lambda p, r: _canonical({**r, "seq": 2**63}) if p == 3 else None)
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert "no positive 64-bit integer seq" in capsys.readouterr().out

    huge = checkpoint.read_text().replace("size: 8", "size: " + "9" * 5000)
    checkpoint.write_text(huge)
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 2
    assert "malformed 'size' value" in capsys.readouterr().err


def _duplicate_action(position: int, record: dict) -> str | None:
    # Python keeps the last "action", other parsers the first: two readings of one line.
    if position != 2:
        return None
    line = _canonical(record)
    return line.replace('"action":', '"action":"station.delete","action":', 1)


def _spaced(position: int, record: dict) -> str | None:
    return json.dumps(record, sort_keys=True) if position == 2 else None


def _escaped(position: int, record: dict) -> str | None:
    # A \u escape for a character that the canonical form writes as itself.
    if position != 1:
        return None
    return _canonical(record).replace('"action":"auth.login"', '"action":"auth.\\u006cogin"')


def _crlf(position: int, record: dict) -> str | None:
    return _canonical(record) + "\r" if position == 2 else None


def _float_rehashed(position: int, record: dict) -> str | None:
    if position != 8:
        return None
    record = {**record, "extra": {"url": "/atlas/", "weight": 1.5}}
    return _canonical({**record, "hash": verify.event_hash(record)})


def _version_2(position: int, record: dict) -> str | None:
    if position != 8:
        return None
    record = {**record, "v": 2}
    return _canonical({**record, "hash": verify.event_hash(record)})


def _action_not_a_string(position: int, record: dict) -> str | None:
    if position != 8:
        return None
    record = {**record, "action": ["access.denied"]}
    return _canonical({**record, "hash": verify.event_hash(record)})


AMBIGUOUS = {
    "duplicate key": (_duplicate_action, "FAIL: seq 2: malformed: line 2 repeats the key 'action'"),
    "spaces": (_spaced, "FAIL: seq 2: malformed: line 2 is not in the canonical encoding"),
    "escapes": (_escaped, "FAIL: seq 1: malformed: line 1 is not in the canonical"),
    "crlf": (_crlf, "FAIL: seq 2: malformed: line 2 is not in the canonical encoding"),
    "float": (_float_rehashed, "FAIL: seq 8: malformed: line 8 holds the number 1.5"),
    "version": (_version_2, "FAIL: seq 8: malformed: line 8 has format version 2, not 1"),
    "type": (_action_not_a_string, "FAIL: seq 8: malformed: line 8 has a action that is not"),
}


@pytest.mark.parametrize("kind", sorted(AMBIGUOUS))
def test_lines_that_could_be_read_two_ways_are_rejected(kind, signed, tmp_path, capsys):
    """Each of these passed before issue 11: the hash matched what Python happened to read."""
    checkpoint, public = signed
    export = _export(tmp_path)
    change, expected = AMBIGUOUS[kind]
    _rewrite_lines(export, change)
    capsys.readouterr()
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    out = capsys.readouterr().out
    assert out.startswith(expected), out


def test_lines_that_are_not_utf8_or_json_are_named(signed, tmp_path, capsys):
    checkpoint, public = signed
    export = _export(tmp_path)
    raw = export.read_bytes().split(b"\n")
    raw[2] = raw[2].replace(b"station.update", b"station.\xffupdate")
    raw[4] = b""
    export.write_bytes(b"\n".join(raw))
    capsys.readouterr()
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert capsys.readouterr().out.startswith("FAIL: seq 3: malformed: line 3 is not UTF-8")
    raw[2] = raw[2].replace(b"station.\xffupdate", b"station.update")
    export.write_bytes(b"\n".join(raw))
    assert verify.main([str(export), str(checkpoint), "--public-key", public]) == 1
    assert capsys.readouterr().out.startswith("FAIL: seq 5: malformed: line 5 is not JSON")


@pytest.mark.django_db
def test_a_window_of_repeated_failures_is_a_failure_in_the_nist_export(tmp_path):
    audit_record(action="auth.sign_in_failed_repeated", actor=None, actor_name="someone",
                 extra={"count": 40})
    audit_record(action="auth.sign_in", actor=None, actor_name="someone")
    path = tmp_path / "log.json"
    call_command("audit_export", "--out", str(path), "--format", "nist")
    events = json.loads(path.read_text(encoding="utf-8"))["Device"][0]["Event"]
    dispositions = {e["Id"]: e["Disposition"] for e in events}
    assert dispositions["auth.sign_in_failed_repeated"] == "failure"
    assert dispositions["auth.sign_in"] == "success"
