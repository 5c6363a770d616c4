"""Writing to the audit log, checking it, signing checkpoints and exporting it.

Every service that changes data calls :func:`audit_record` inside its own transaction,
so the event commits or rolls back together with the change it describes.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import fcntl
import getpass
import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePath
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanat import __version__
from amanat.audit.models import ChainHead, Checkpoint, Event
from amanat.core.identity import mask_personal
from amanat.geo.models import AdminUnit
from amanat.lib.files import create_private, write_private
from amanat.verify import (
    FORMAT_VERSION,
    GENESIS_HASH,
    CheckpointError,
    check_checkpoints,
    checkpoint_body,
    checkpoint_text,
    event_hash,
    export_line,
    parse_checkpoint,
)
from amanat.verify import Checkpoint as SignedCheckpoint

SYSTEM_ACTOR = "system"


class AuditError(Exception):
    """The audit log cannot do what was asked (missing key, broken chain, ...)."""


# --- JSON-safe values -------------------------------------------------------------------


def cli_actor() -> str:
    """The actor name for changes made from the server's command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def format_time(value: dt.datetime) -> str:
    """ISO 8601 in UTC with microseconds and a Z: the one time format that is hashed."""
    if timezone.is_naive(value):
        raise ValueError("audit times must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jsonable(value: Any) -> Any:
    """Turn a value into plain JSON (str, int, bool, None, lists, string-keyed dicts).

    Floats and decimals become strings so that the hashed bytes survive every database
    JSON type unchanged and any language can reproduce them.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | Decimal):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, dt.datetime):
        return format_time(value) if timezone.is_aware(value) else value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | PurePath):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, models.Model):
        return jsonable(value.pk)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=repr)
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


class AuditJSONEncoder(json.JSONEncoder):
    """``json.dumps(..., cls=AuditJSONEncoder)`` for dates, decimals, UUIDs and the like."""

    def default(self, o: Any) -> Any:
        return jsonable(o)


def audit_snapshot(obj: models.Model, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of a model instance's concrete fields (foreign keys as ids)."""
    concrete = [f for f in obj._meta.concrete_fields if fields is None or f.name in fields]
    return {f.name: jsonable(getattr(obj, f.attname)) for f in concrete}


def audit_diff(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that changed, as (before, after); a missing side counts as None."""
    old, new = jsonable(before), jsonable(after)
    changed = [k for k in sorted(old.keys() | new.keys()) if old.get(k) != new.get(k)]
    return {k: old.get(k) for k in changed}, {k: new.get(k) for k in changed}


# --- appending ----------------------------------------------------------------------------


_held = threading.local()


def audit_head_held(head: ChainHead | None) -> None:
    """The caller's transaction has just locked the chain head and read it as ``head``
    (the group-commit writer's turn, ``intake.groupcommit``): the first appender of this
    thread takes it from here instead of reading it again (one round trip fewer a
    batch).  Only the first: whoever takes it moves the head, and those after read the
    row again.  ``None``: forget it (the caller's transaction has ended)."""
    _held.head = head


def audit_held_head() -> ChainHead | None:
    """The head that ``audit_head_held`` kept for this thread's transaction, once."""
    head: ChainHead | None = getattr(_held, "head", None)
    _held.head = None
    return head


def audit_lock_head() -> ChainHead:
    """Lock the chain head for this transaction, recreating it if it was lost.

    On PostgreSQL the row lock serialises appenders; on SQLite the project's IMMEDIATE
    transactions already hold the database write lock.  A head the transaction has
    locked and read already (``audit_head_held``) is not read again.
    """
    head = audit_held_head() or ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is not None:
        return head
    last = Event.objects.order_by("-seq").first()
    checkpoint = Checkpoint.objects.order_by("-time").first()
    ChainHead.objects.bulk_create(
        [
            ChainHead(
                pk=1,
                log_id=checkpoint.log_id if checkpoint else uuid.uuid4(),
                last_seq=last.seq if last else 0,
                last_hash=last.hash if last else GENESIS_HASH,
            )
        ],
        ignore_conflicts=True,
    )
    return ChainHead.objects.select_for_update().get(pk=1)


def _actor_fields(actor: User | AnonymousUser | None, actor_name: str | None
                  ) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor_name or actor.get_username()
    return None, actor_name or SYSTEM_ACTOR


def _object_fields(
    obj: models.Model | None, object_type: str | None, object_id: Any
) -> tuple[str, str]:
    if obj is not None:
        return obj._meta.label_lower, str(obj.pk)
    return object_type or "", "" if object_id is None else str(object_id)


def event_fields(event: Event) -> dict[str, Any]:
    """The hashed fields of a stored event, rebuilt from its columns."""
    return {
        "v": FORMAT_VERSION,
        "seq": event.seq,
        "time": format_time(event.time),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "unit_id": event.unit_id,
        "unit_path": event.unit_path,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "extra": event.extra,
        "prev_hash": event.prev_hash,
    }


def audit_record(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    actor_name: str | None = None,
    unit: AdminUnit | None = None,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Event:
    """Append one event to the hash chain and return it.

    Call it inside the transaction that makes the change. ``actor`` is a User (or None
    / AnonymousUser, then ``actor_name`` names the system, CLI or attempted username);
    ``unit`` is a geo.AdminUnit or None; give ``obj`` or ``object_type``+``object_id``.
    """
    return audit_append(audit_event(
        action=action, actor=actor, actor_name=actor_name, unit=unit, obj=obj,
        object_type=object_type, object_id=object_id, before=before, after=after, extra=extra,
    ))


def audit_event(
    *,
    action: str,
    actor: User | AnonymousUser | None = None,
    actor_name: str | None = None,
    unit: AdminUnit | None = None,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Event:
    """The event ``audit_record`` would append, not yet in the chain (no seq or hash).

    ``audit_append`` must follow in the transaction of the change.  The intake builds
    its events before its shared write transaction (amanat/intake/README.md).
    """
    actor_id, name = _actor_fields(actor, actor_name)
    otype, oid = _object_fields(obj, object_type, object_id)
    return Event(
        actor_id=actor_id,
        actor_name=name[:150],
        unit_id=unit.pk if unit is not None else None,
        unit_path=getattr(unit, "path", "") if unit is not None else "",
        action=action,
        object_type=otype,
        object_id=oid,
        # National IDs and mobiles never enter the log in full (the auditor reads it):
        # masked under their keys whatever the caller passed (core.identity).
        before=mask_personal(jsonable(before)) if before is not None else None,
        after=mask_personal(jsonable(after)) if after is not None else None,
        extra=mask_personal(jsonable(extra)) if extra is not None else None,
    )


def audit_append(event: Event) -> Event:
    """Chain and store an event from ``audit_event``, in the caller's transaction.

    No savepoint of its own: if appending fails, the caller's whole change is rolled
    back with it, as it must be.
    """
    with transaction.atomic(savepoint=False):
        head = audit_lock_head()
        audit_chain([event], after=head)
        event.save(force_insert=True)
        ChainHead.objects.filter(pk=1).update(last_seq=event.seq, last_hash=event.hash)
    return event


def audit_append_many(events: Sequence[Event]) -> None:
    """``audit_append`` for many events from ``audit_event``, in this order, with one
    look at the chain head and one INSERT (a bulk write's per-row events)."""
    if not events:
        return
    with transaction.atomic(savepoint=False):
        head = audit_lock_head()
        audit_chain(events, after=head)
        Event.objects.bulk_create(events, batch_size=500)
        last = events[-1]
        ChainHead.objects.filter(pk=1).update(last_seq=last.seq, last_hash=last.hash)


def audit_chain(events: Sequence[Event], *, after: ChainHead) -> None:
    """Give the events, in this order, the sequence numbers, time and hashes that follow
    the chain head ``after`` (locked by the caller); the caller stores them and moves the
    head to the last one."""
    seq, prev, now = after.last_seq, after.last_hash, timezone.now()
    for event in events:
        seq += 1
        event.seq, event.prev_hash, event.time = seq, prev, now
        event.hash = prev = event_hash(event_fields(event))


# --- checking the stored chain ------------------------------------------------------------


def audit_chain_problem(*, start: int = 1) -> str | None:
    """Re-hash the stored events from ``start`` on; describe the first problem, if any."""
    expected = start
    prev = GENESIS_HASH
    if start > 1:
        before = Event.objects.filter(seq=start - 1).first()
        if before is None:
            return _("event %(seq)s is missing") % {"seq": start - 1}
        prev = before.hash
    for event in Event.objects.filter(seq__gte=start).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected:
            return _("expected event %(seq)s, found %(found)s") % {
                "seq": expected,
                "found": event.seq,
            }
        if event.prev_hash != prev or event_hash(event_fields(event)) != event.hash:
            return _("event %(seq)s does not match its hash chain") % {"seq": event.seq}
        prev, expected = event.hash, expected + 1
    return None


# --- keys, the signer's state and checkpoints ---------------------------------------------
#
# The signer keeps the last checkpoint it signed in a state file next to its key, outside
# the database. Before signing it re-hashes the whole log from the database and refuses
# unless the log still reaches that checkpoint's size with that root: a consistency check
# as in Certificate Transparency, which makes a rewritten and re-hashed history (with the
# checkpoint rows deleted) unsignable. See docs/audit-log.md, section 2.

STATE_FORMAT = "amanat-audit-signer-state v1"

logger = logging.getLogger("amanat.audit")


def audit_key_path() -> Path:
    return Path(getattr(settings, "AMANAT_AUDIT_KEY", settings.VAR_DIR / "audit_ed25519.pem"))


def audit_state_path(key_path: Path) -> Path:
    """Where the signer with this key records the last checkpoint it signed."""
    return key_path.with_name(key_path.name + ".state")


def public_key_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def _state_bytes(checkpoint: str | None) -> bytes:
    return (json.dumps({"format": STATE_FORMAT, "checkpoint": checkpoint}) + "\n").encode()


def audit_keygen(*, path: Path | None = None) -> str:
    """Create the checkpoint signing key (never overwriting one); return the public key.

    The key starts with a state that says it has signed nothing yet, so its first
    checkpoint needs no ``--new-series``; a key without its state has lost it.
    """
    path = path or audit_key_path()
    state = audit_state_path(path)
    for existing in (path, state):
        if existing.exists():
            raise AuditError(
                _("%(path)s already exists; refusing to overwrite it") % {"path": existing}
            )
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    try:
        # Whole, 0600, and never clobbering a key created at the same moment.
        create_private(path, pem)
    except FileExistsError as exc:
        raise AuditError(
            _("%(path)s already exists; refusing to overwrite it") % {"path": path}
        ) from exc
    public = public_key_hex(key)
    write_private(path.with_name(path.name + ".pub"), (public + "\n").encode("ascii"))
    write_private(state, _state_bytes(None))
    return public


def _load_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise AuditError(
            _("no signing key at %(path)s; run `amanat audit-keygen` first") % {"path": path}
        ) from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(_("%(path)s is not an Ed25519 private key") % {"path": path})
    return key


@contextmanager
def _signer_lock(key_path: Path) -> Iterator[None]:
    """One signer per key at a time, so the state file moves only forward."""
    with key_path.open("rb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class _Refusal(Exception):
    """The signer will not sign; ``reason`` is a stable code, ``facts`` go into the log."""

    def __init__(self, reason: str, message: str, **facts: int | str | None) -> None:
        super().__init__(message)
        self.reason, self.message, self.facts = reason, message, facts


def _lost_state(path: Path, problem: str, *, missing: bool = False) -> _Refusal:
    return _Refusal(
        "no_state" if missing else "bad_state",
        _(
            "this signer has no usable record of the last checkpoint it signed "
            "(%(path)s: %(problem)s), so it cannot tell whether the log was rewritten since. "
            "If the state was lost and you know why, run `amanat audit-checkpoint "
            "--new-series`: the new checkpoints will not be linked to the earlier ones."
        ) % {"path": path, "problem": problem},
    )


def _read_state(key_path: Path, public: str) -> SignedCheckpoint | None:
    """The last checkpoint this key signed, None if it has signed none; else _Refusal."""
    path = audit_state_path(key_path)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _lost_state(path, _("the file is missing"), missing=True) from None
    except (OSError, ValueError):
        raise _lost_state(path, _("the file cannot be read")) from None
    if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
        raise _lost_state(path, _("not a signer state file"))
    text = state.get("checkpoint")
    if text is None:
        return None
    try:
        signed = parse_checkpoint(text if isinstance(text, str) else "", name=str(path))
    except CheckpointError:
        raise _lost_state(path, _("its checkpoint is malformed")) from None
    # Only this key's own signature makes the state believable.
    if signed.key != public or check_checkpoints([signed], bytes.fromhex(public)) is not None:
        raise _lost_state(path, _("its checkpoint is not signed by this key"))
    return signed


@dataclass(frozen=True)
class _Walk:
    size: int  # events 1..size are present, linked, and hash to their stored hashes
    root: str
    roots: dict[int, str]  # the recomputed root at each size asked for, where reached
    problem: str | None


def _walk_chain(sizes: set[int]) -> _Walk:
    """Re-hash every event from seq 1: the signer trusts no stored hash or checkpoint row."""
    roots, prev, size = {0: GENESIS_HASH}, GENESIS_HASH, 0
    for event in Event.objects.order_by("seq").iterator(chunk_size=2000):
        problem = None
        if event.seq != size + 1:
            problem = _("expected event %(seq)s, found %(found)s") % {
                "seq": size + 1, "found": event.seq,
            }
        elif event.prev_hash != prev or event_hash(event_fields(event)) != event.hash:
            problem = _("event %(seq)s does not match its hash chain") % {"seq": event.seq}
        if problem:
            return _Walk(size, prev, roots, problem)
        prev, size = event.hash, event.seq
        if size in sizes:
            roots[size] = prev
    return _Walk(size, prev, roots, None)


def _check_consistency(walk: _Walk, signed: SignedCheckpoint | None, log_id: str) -> None:
    """Raise _Refusal unless the log is intact and extends what this signer signed."""
    facts: dict[str, int | str | None] = {
        "signed_size": signed.size if signed else 0,
        "signed_root": signed.root if signed else GENESIS_HASH,
        "database_size": walk.size,
    }
    if walk.problem:
        raise _Refusal("broken_chain", walk.problem, **facts)
    if signed is None:
        return
    if signed.log_id != log_id:
        raise _Refusal("other_log", _(
            "the database holds log %(found)s, but this signer signs log %(log)s"
        ) % {"found": log_id, "log": signed.log_id}, **facts, database_log_id=log_id)
    if walk.size < signed.size:
        raise _Refusal("truncated", _(
            "the database holds %(found)s events, but this signer signed %(size)s at "
            "%(time)s: events were removed"
        ) % {"found": walk.size, "size": signed.size, "time": signed.time}, **facts)
    if walk.roots.get(signed.size) != signed.root:
        raise _Refusal("rewritten", _(
            "the first %(size)s events no longer hash to the root this signer signed at "
            "%(time)s: history was rewritten"
        ) % {"size": signed.size, "time": signed.time}, **facts)


def _check_head(walk: _Walk, head: ChainHead, signed: SignedCheckpoint | None) -> None:
    """Raise _Refusal unless the stored chain ends where the head says the log ends.

    The head is moved by every append in the append's transaction: a chain that stops
    short of it lost its last events (deleted after the last checkpoint, or a restore
    that lost the log's end), and signing it would publish the shorter history as the
    log (auth review 2, F6).  ``--new-series`` does not override this: the events are
    gone, not the signer's memory."""
    if walk.size == head.last_seq and walk.root == head.last_hash:
        return
    raise _Refusal("head_mismatch", _(
        "the chain head counts %(head)s events ending in %(hash)s, but the stored chain "
        "ends at event %(found)s: events at the end of the log were removed"
    ) % {"head": head.last_seq, "hash": head.last_hash[:16], "found": walk.size},
        signed_size=signed.size if signed else 0, database_size=walk.size,
        head_size=head.last_seq)


def _sign(key: Ed25519PrivateKey, *, log_id: uuid.UUID, size: int, root: str) -> Checkpoint:
    now = timezone.now().replace(microsecond=0)
    body = checkpoint_body(
        log_id=str(log_id),
        size=size,
        root=root,
        time=now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        key=public_key_hex(key),
    )
    signature = key.sign(body.encode("utf-8"))
    return Checkpoint.objects.create(
        log_id=log_id,
        size=size,
        root=root,
        time=now,
        public_key=public_key_hex(key),
        signature=base64.b64encode(signature).decode("ascii"),
        text=checkpoint_text(body, signature),
    )


def _start_series(
    key_path: Path, public: str, walk: _Walk, actor_name: str | None
) -> tuple[int, str]:
    """Record, inside the first checkpoint of the series, that the link was cut and why."""
    try:
        replaced = _read_state(key_path, public)
        state = "empty" if replaced is None else "present"
    except _Refusal as refusal:
        replaced, state = None, refusal.reason
    event = audit_record(
        action="audit.checkpoint_new_series",
        actor_name=actor_name,
        object_type="audit.checkpoint",
        extra={
            "key": public,
            "state": state,
            "replaced_size": replaced.size if replaced else None,
            "replaced_root": replaced.root if replaced else None,
            "replaced_matches": (
                walk.roots.get(replaced.size) == replaced.root if replaced else None
            ),
        },
    )
    return event.seq, event.hash


def _record_refusal(refusal: _Refusal, public: str, actor_name: str | None) -> None:
    """Leave the refusal in the log too (a forger can erase it; see docs/audit-log.md)."""
    logger.error("audit checkpoint refused (%s): %s", refusal.reason, refusal.message)
    try:
        with transaction.atomic():
            audit_record(
                action="audit.checkpoint_refused",
                actor_name=actor_name,
                object_type="audit.checkpoint",
                extra={"disposition": "failure", "reason": refusal.reason, "key": public,
                       **refusal.facts},
            )
    except DatabaseError:
        logger.exception("the refused checkpoint could not be recorded in the audit log")


def audit_checkpoint_create(
    *, key_path: Path | None = None, new_series: bool = False, actor_name: str | None = None
) -> Checkpoint:
    """Sign (log id, size, root hash, time) once the log is shown to extend the last one.

    Refuses (AuditError, plus an ``audit.checkpoint_refused`` event and an error in the
    server log) when the chain is broken, when the log no longer reaches the checkpoint
    this signer last signed with the same root, or when the signer has lost its record
    of that checkpoint and ``new_series`` is not given.
    """
    key_path = key_path or audit_key_path()
    key = _load_key(key_path)
    public = public_key_hex(key)
    with _signer_lock(key_path):
        try:
            with transaction.atomic():
                checkpoint = _checked_checkpoint(key, key_path, new_series, actor_name)
        except _Refusal as refusal:
            _record_refusal(refusal, public, actor_name)
            raise AuditError(
                _("refusing to sign: %(problem)s") % {"problem": refusal.message}
            ) from None
        # After the commit: a state never names a checkpoint that was rolled back.
        try:
            write_private(audit_state_path(key_path), _state_bytes(checkpoint.text))
        except OSError as exc:
            raise AuditError(_(
                "checkpoint %(size)s was stored, but the signer state %(path)s could not be "
                "written (%(error)s); do not publish it, fix the file and sign again"
            ) % {"size": checkpoint.size, "path": audit_state_path(key_path),
                 "error": exc}) from exc
    return checkpoint


def _checked_checkpoint(
    key: Ed25519PrivateKey, key_path: Path, new_series: bool, actor_name: str | None
) -> Checkpoint:
    head = audit_lock_head()
    public = public_key_hex(key)
    signed = None if new_series else _read_state(key_path, public)
    walk = _walk_chain({signed.size} if signed else set())
    _check_consistency(walk, signed, str(head.log_id))
    _check_head(walk, head, signed)
    size, root = walk.size, walk.root
    if new_series:
        size, root = _start_series(key_path, public, walk, actor_name)
    return _sign(key, log_id=head.log_id, size=size, root=root)


# --- export -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportResult:
    size: int
    root: str
    event: Event


def _snapshot() -> tuple[int, Iterator[Event]]:
    """The committed log up to its current last seq, unaffected by later appends."""
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    events = Event.objects.filter(seq__lte=last).order_by("seq").iterator(chunk_size=2000)
    return last, events


def _write_jsonl(out: IO[str], events: Iterator[Event]) -> tuple[int, str]:
    count, root = 0, GENESIS_HASH
    for event in events:
        out.write(export_line(event_fields(event), event.hash) + "\n")
        count, root = count + 1, event.hash
    return count, root


# Actions that report a refusal or failure ("auth.sign_in_failed", "access.denied", and
# the count of a window's repeated failures, "auth.sign_in_failed_repeated").
_FAILURE_ACTION = re.compile(r"(^|[._])(failed|denied)($|_repeated$)")


def _nist_event(event: Event) -> dict[str, Any]:
    failed = bool(_FAILURE_ACTION.search(event.action)) or (
        isinstance(event.extra, dict) and event.extra.get("disposition") == "failure"
    )
    target = f" {event.object_type}#{event.object_id}" if event.object_type else ""
    record: dict[str, Any] = {
        "@type": "EventLogging.Event",
        "Id": event.action,
        "Sequence": str(event.seq),
        "TimeStamp": format_time(event.time),
        "Type": "user-action" if event.actor_id is not None else "system-action",
        "Description": f"{event.action}{target}",
        "Details": export_line(event_fields(event), event.hash),
        "Disposition": "failure" if failed else "success",
        "Hash": event.hash,
        "UserId": event.actor_name,
    }
    return record


def _write_nist(out: IO[str], events: Iterator[Event], log_id: uuid.UUID) -> tuple[int, str]:
    """NIST SP 1500-101 ElectionEventLog JSON, streamed so memory stays flat."""
    header = {
        "@type": "EventLogging.ElectionEventLog",
        "GeneratedTime": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Details": "Amanat audit log; Details of each event is its canonical record.",
    }
    device = {
        "@type": "EventLogging.Device",
        "Id": str(log_id),
        "Type": "ems",
        "Manufacturer": "Amanat",
        "Model": "amanat",
        "Version": __version__,
        "HashType": "sha-256",
    }
    out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',"Device":[')
    out.write(json.dumps(device, ensure_ascii=False)[:-1] + ',"Event":[')
    count, root = 0, GENESIS_HASH
    for event in events:
        out.write(("," if count else "") + json.dumps(_nist_event(event), ensure_ascii=False))
        count, root = count + 1, event.hash
    out.write("]}]}\n")
    return count, root


def audit_export(
    *, out: IO[str], fmt: str = "jsonl", actor: User | AnonymousUser | None = None,
    actor_name: str | None = None
) -> ExportResult:
    """Write the log (JSON Lines, or NIST 1500-101 with fmt="nist"), then log the export."""
    if fmt not in {"jsonl", "nist"}:
        raise AuditError(_("unknown export format %(fmt)s") % {"fmt": fmt})
    last, events = _snapshot()
    if fmt == "jsonl":
        count, root = _write_jsonl(out, events)
    else:
        head = ChainHead.objects.filter(pk=1).first()
        count, root = _write_nist(out, events, head.log_id if head else uuid.UUID(int=0))
    event = audit_record(
        action="audit.export",
        actor=actor,
        actor_name=actor_name,
        object_type="audit.event",
        extra={"format": fmt, "size": count, "root": root, "upto_seq": last},
    )
    return ExportResult(size=count, root=root, event=event)
