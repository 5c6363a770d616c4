"""The signer's own record of what it signed: kept next to its key, checked before signing.

Issue 11: the signer trusted the database's checkpoint rows, so a forger who rewrote the
chain and deleted the rows had the forged history signed with the real key.
"""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amanat import verify
from amanat.audit.models import ChainHead, Checkpoint, Event
from amanat.audit.services import audit_keygen, audit_record, audit_state_path


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _state(settings) -> dict:
    return json.loads(audit_state_path(settings.AMANAT_AUDIT_KEY).read_text())


def _sign(*args: str) -> str:
    call_command("audit_checkpoint", *args)
    return Checkpoint.objects.order_by("-pk").first().text


def _refused(*args: str, match: str) -> None:
    count = Checkpoint.objects.count()
    with pytest.raises(CommandError, match=match):
        call_command("audit_checkpoint", *args)
    assert Checkpoint.objects.count() == count


def _last_refusal() -> Event:
    return Event.objects.filter(action="audit.checkpoint_refused").latest("seq")


def test_keygen_writes_a_private_key_and_an_empty_state(signing_key, settings):
    key = settings.AMANAT_AUDIT_KEY
    state = audit_state_path(key)
    assert state == key.with_name("audit_ed25519.pem.state")
    assert _state(settings) == {"format": "amanat-audit-signer-state v1", "checkpoint": None}
    assert _mode(key) == _mode(state) == 0o600
    assert _mode(key.parent) == 0o700
    assert key.with_name("audit_ed25519.pem.pub").read_text() == signing_key + "\n"


def test_each_signed_checkpoint_becomes_the_state(populated, signing_key, settings):
    first = _sign()
    assert _state(settings)["checkpoint"] == first
    audit_record(action="later.event")
    second = _sign()
    assert _state(settings)["checkpoint"] == second
    assert verify.parse_checkpoint(second).size == 9
    assert _mode(audit_state_path(settings.AMANAT_AUDIT_KEY)) == 0o600


def test_a_signer_without_state_refuses_until_told_to_start_a_new_series(
    populated, signing_key, settings
):
    _sign()
    audit_state_path(settings.AMANAT_AUDIT_KEY).unlink()

    _refused(match=r"refusing to sign: this signer has no usable record.*--new-series")
    refusal = _last_refusal()
    assert refusal.extra == {"disposition": "failure", "reason": "no_state", "key": signing_key}
    assert refusal.actor_name.startswith("cli")

    text = _sign("--new-series")
    announced = Event.objects.get(action="audit.checkpoint_new_series")
    # The first checkpoint of the new series covers the event that says why it exists.
    assert verify.parse_checkpoint(text).size == announced.seq == Event.objects.count()
    assert announced.extra == {"key": signing_key, "state": "no_state", "replaced_size": None,
                               "replaced_root": None, "replaced_matches": None}
    assert _state(settings)["checkpoint"] == text
    audit_record(action="later.event")
    _sign()  # the new series goes on without the flag


def test_a_state_that_is_not_this_keys_own_is_refused(populated, signing_key, settings, tmp_path):
    _sign()
    state = audit_state_path(settings.AMANAT_AUDIT_KEY)
    good = state.read_text()

    # An edited size: the signature over the stored checkpoint no longer verifies.
    state.write_text(good.replace("size: 8", "size: 3"))
    _refused(match="not signed by this key")
    assert _last_refusal().extra["reason"] == "bad_state"

    # A checkpoint signed by another key, in this key's state file.
    other_key = tmp_path / "other" / "k.pem"
    audit_keygen(path=other_key)
    audit_record(action="filler")
    call_command("audit_checkpoint", "--key", str(other_key))
    state.write_text(audit_state_path(other_key).read_text())
    _refused(match="not signed by this key")

    state.write_text("not json")
    _refused(match="the file cannot be read")

    state.write_text(good)
    _sign()


def test_a_different_log_in_the_database_is_refused(populated, signing_key):
    _sign()
    ChainHead.objects.update(log_id=uuid.uuid4())
    _refused(match="the database holds log .* but this signer signs log")
    assert _last_refusal().extra["reason"] == "other_log"


def test_keygen_never_overwrites_a_state(signing_key, settings):
    key = settings.AMANAT_AUDIT_KEY
    key.unlink()
    with pytest.raises(CommandError, match=r"\.state already exists"):
        call_command("audit_keygen")
    assert not key.exists()


def test_refusals_are_failures_in_the_nist_export(populated, signing_key, settings, tmp_path):
    audit_state_path(settings.AMANAT_AUDIT_KEY).unlink()
    _refused(match="no usable record")
    out = tmp_path / "log.json"
    call_command("audit_export", "--out", str(out), "--format", "nist")
    events = json.loads(out.read_text())["Device"][0]["Event"]
    assert (events[-1]["Id"], events[-1]["Disposition"]) == ("audit.checkpoint_refused", "failure")
