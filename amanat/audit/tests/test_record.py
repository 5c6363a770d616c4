from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from amanat.audit.models import ChainHead, Event
from amanat.audit.services import (
    AuditJSONEncoder,
    audit_chain_problem,
    audit_diff,
    audit_record,
    audit_snapshot,
    event_fields,
)
from amanat.verify import GENESIS_HASH, canonical_bytes, event_hash


def test_record_snapshots_actor_unit_and_object(governor, tehran):
    event = audit_record(
        action="station.update",
        actor=governor,
        unit=tehran,
        obj=tehran,
        before={"name": "old"},
        after={"name": "new"},
    )
    stored = Event.objects.get(seq=1)
    assert stored.pk == event.pk
    assert (stored.actor_id, stored.actor_name) == (governor.pk, "gharchak.governor")
    assert (stored.unit_id, stored.unit_path) == (tehran.pk, "I/P23")
    assert (stored.object_type, stored.object_id) == ("geo.adminunit", str(tehran.pk))
    assert (stored.before, stored.after) == ({"name": "old"}, {"name": "new"})
    assert stored.prev_hash == GENESIS_HASH
    assert stored.time.tzinfo is not None


def test_chain_links_and_head_follows(populated):
    events = list(Event.objects.order_by("seq"))
    assert [e.seq for e in events] == list(range(1, 9))
    for prev, event in itertools.pairwise(events):
        assert event.prev_hash == prev.hash
    head = ChainHead.objects.get()
    assert (head.last_seq, head.last_hash) == (8, events[-1].hash)
    assert audit_chain_problem() is None


def test_hash_is_sha256_of_documented_canonical_json(populated):
    import hashlib

    event = Event.objects.get(seq=3)
    fields = event_fields(event)
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(text.encode()).hexdigest() == event.hash == event_hash(fields)
    assert fields["time"].endswith("Z") and len(fields["time"]) == len(
        "2026-01-01T00:00:00.000000Z"
    )
    assert canonical_bytes(fields).startswith(b'{"action":"station.update","actor_id":')


def test_event_rolls_back_with_the_callers_transaction(governor):
    audit_record(action="first", actor=governor)
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="station.create", actor=governor)
        raise RuntimeError("the change failed")
    later = audit_record(action="second", actor=governor)
    assert later.seq == 2
    assert list(Event.objects.values_list("action", flat=True)) == ["first", "second"]
    assert audit_chain_problem() is None


def test_anonymous_and_system_actors(db):
    failed = audit_record(action="auth.login_failed", actor=AnonymousUser(), actor_name="someone")
    system = audit_record(action="geo.import")
    assert (failed.actor_id, failed.actor_name) == (None, "someone")
    assert (system.actor_id, system.actor_name) == (None, "system")


def test_values_are_made_json_safe_and_float_free(db):
    when = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.UTC)
    key = uuid.UUID(int=5)
    event = audit_record(
        action="x.y",
        after={"d": dt.date(2026, 3, 1), "t": when, "m": Decimal("1.50"), "u": key, "f": 35.7},
    )
    stored = Event.objects.get(pk=event.pk)
    assert stored.after == {
        "d": "2026-03-01",
        "t": "2026-03-01T08:30:00.000000Z",
        "m": "1.50",
        "u": str(key),
        "f": "35.7",
    }
    assert json.loads(json.dumps({"m": Decimal("2"), "u": key}, cls=AuditJSONEncoder)) == {
        "m": "2",
        "u": str(key),
    }


def test_diff_keeps_only_changed_fields(tehran):
    before = audit_snapshot(tehran)
    tehran.name, tehran.population = "تهران بزرگ", 9000000
    after = audit_snapshot(tehran)
    assert audit_diff(before, after) == (
        {"name": "تهران", "population": None},
        {"name": "تهران بزرگ", "population": 9000000},
    )
    assert audit_diff({"a": 1}, {"a": 1}) == ({}, {})
    assert audit_diff({"a": 1}, {"b": 2}) == ({"a": 1, "b": None}, {"a": None, "b": 2})


def test_lost_head_is_rebuilt_from_the_last_event(populated):
    ChainHead.objects.all().delete()
    event = audit_record(action="after.head.loss")
    assert event.seq == 9 and event.prev_hash == populated[-1].hash
    assert audit_chain_problem() is None
