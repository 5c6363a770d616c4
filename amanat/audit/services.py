"""Writing to the audit log, checking it, signing checkpoints and exporting it.

Every service that changes data calls :func:`audit_record` inside its own transaction,
so the event commits or rolls back together with the change it describes.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import getpass
import json
import os
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path, PurePath
from typing import IO, Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from amanat import __version__
from amanat.audit.models import ChainHead, Checkpoint, Event
from amanat.core import sql
from amanat.verify import (
    FORMAT_VERSION,
    GENESIS_HASH,
    checkpoint_body,
    checkpoint_text,
    event_hash,
    export_line,
)

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


def _lock_head() -> ChainHead:
    """Lock the chain head for this transaction, recreating it if it was lost.

    On PostgreSQL the row lock serialises appenders; on SQLite the project's IMMEDIATE
    transactions already hold the database write lock.
    """
    # Every audited change runs this: plain SQL (amanat.core.sql).
    head = sql.fetch_first(
        ChainHead, "SELECT * FROM audit_chainhead WHERE id = 1 FOR UPDATE"
        if connection.features.has_select_for_update
        else "SELECT * FROM audit_chainhead WHERE id = 1"
    )
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


def _actor_fields(actor: Any, actor_name: str | None) -> tuple[int | None, str]:
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
    actor: Any = None,
    actor_name: str | None = None,
    unit: Any = None,
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
    actor: Any = None,
    actor_name: str | None = None,
    unit: Any = None,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Event:
    """The event ``audit_record`` would append, not yet in the chain (no seq or hash).

    Built outside the write transaction where that transaction is the bottleneck (the
    intake's group commit); ``audit_append`` must follow in the transaction of the change.
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
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
        extra=jsonable(extra) if extra is not None else None,
    )


def audit_append(event: Event) -> Event:
    """Chain and store an event from ``audit_event``, in the caller's transaction.

    No savepoint of its own (one statement pair fewer on every audited change): if
    appending fails, the caller's whole change is rolled back with it, as it must be.
    """
    audit_append_many([event])
    return event


def audit_append_many(events: Sequence[Event]) -> None:
    """Chain and store events from ``audit_event`` in this order, with one INSERT.

    For a writer that stores many requests' changes in one transaction (the intake's
    group commit): one look at the chain head and one INSERT for the lot.
    """
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        seq, prev, now = head.last_seq, head.last_hash, timezone.now()
        for event in events:
            seq += 1
            event.seq, event.prev_hash, event.time = seq, prev, now
            event.hash = prev = event_hash(event_fields(event))
        sql.insert_many(events, match="seq")
        sql.execute("UPDATE audit_chainhead SET last_seq = %s, last_hash = %s WHERE id = 1",
                    [seq, prev])


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


# --- keys and checkpoints -----------------------------------------------------------------


def audit_key_path() -> Path:
    return Path(getattr(settings, "AMANAT_AUDIT_KEY", settings.VAR_DIR / "audit_ed25519.pem"))


def public_key_hex(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return raw.hex()


def audit_keygen(*, path: Path | None = None) -> str:
    """Create the checkpoint signing key (never overwriting one); return the public key."""
    path = path or audit_key_path()
    if path.exists():
        raise AuditError(_("%(path)s already exists; refusing to overwrite it") % {"path": path})
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: never clobber a key created at the same moment; 0600: the key is a secret.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    public = public_key_hex(key)
    path.with_name(path.name + ".pub").write_text(public + "\n")
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


def audit_checkpoint_create(*, key_path: Path | None = None) -> Checkpoint:
    """Sign (log id, size, root hash, time) after re-checking the chain since the last one.

    Re-checking first means a checkpoint never blesses events tampered with since.
    """
    key = _load_key(key_path or audit_key_path())
    with transaction.atomic():
        head = _lock_head()
        previous = Checkpoint.objects.order_by("-size").first()
        problem = audit_chain_problem(start=previous.size + 1 if previous else 1)
        if problem is None and previous is not None and previous.size:
            anchor = Event.objects.filter(seq=previous.size).first()
            if anchor is None or anchor.hash != previous.root:
                problem = _("the log no longer matches checkpoint %(size)s") % {
                    "size": previous.size
                }
        if problem:
            raise AuditError(_("refusing to sign: %(problem)s") % {"problem": problem})
        last = Event.objects.order_by("-seq").first()
        now = timezone.now().replace(microsecond=0)
        body = checkpoint_body(
            log_id=str(head.log_id),
            size=last.seq if last else 0,
            root=last.hash if last else GENESIS_HASH,
            time=now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            key=public_key_hex(key),
        )
        signature = key.sign(body.encode("utf-8"))
        return Checkpoint.objects.create(
            log_id=head.log_id,
            size=last.seq if last else 0,
            root=last.hash if last else GENESIS_HASH,
            time=now,
            public_key=public_key_hex(key),
            signature=base64.b64encode(signature).decode("ascii"),
            text=checkpoint_text(body, signature),
        )


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


# Actions that report a refusal or failure ("auth.login_failed", "access.denied").
_FAILURE_ACTION = re.compile(r"(^|[._])(failed|denied)$")


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
    *, out: IO[str], fmt: str = "jsonl", actor: Any = None, actor_name: str | None = None
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
