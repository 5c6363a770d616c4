"""``amanat-verify``: check an exported Amanat audit log against signed checkpoints.

Observers and courts run this without Django or access to the database, so it uses
only the standard library and ``cryptography`` (for Ed25519). The server side imports
the canonical encoding from here, so there is exactly one definition of what is hashed;
docs/audit-log.md specifies the same thing in prose for independent verifiers.

Usage: ``amanat-verify EXPORT.jsonl CHECKPOINT [CHECKPOINT...] [--public-key FILE_OR_HEX]``
Exit status: 0 when everything verifies, 1 at the first problem found, 2 when an input
cannot be read at all.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
# The hashed fields of an event, in the order they are documented. The encoding sorts
# keys anyway, so the order here is only for readers.
EVENT_FIELDS = (
    "action",
    "actor_id",
    "actor_name",
    "after",
    "before",
    "extra",
    "object_id",
    "object_type",
    "prev_hash",
    "seq",
    "time",
    "unit_id",
    "unit_path",
    "v",
)
CHECKPOINT_MAGIC = "amanat-audit-checkpoint v1"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# --- canonical encoding -----------------------------------------------------------------


def canonical_bytes(value: dict[str, Any]) -> bytes:
    """UTF-8 JSON, keys sorted by code point, no whitespace, no NaN/Infinity."""
    text = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return text.encode("utf-8")


def event_hash(fields: dict[str, Any]) -> str:
    """SHA-256 (hex) over the canonical encoding of exactly the EVENT_FIELDS."""
    return hashlib.sha256(canonical_bytes({k: fields[k] for k in EVENT_FIELDS})).hexdigest()


def export_line(fields: dict[str, Any], digest: str) -> str:
    """One JSON Lines record: the hashed fields plus ``hash``, canonically encoded."""
    record = {k: fields[k] for k in EVENT_FIELDS}
    record["hash"] = digest
    return canonical_bytes(record).decode("utf-8")


# --- checkpoints --------------------------------------------------------------------------


class CheckpointError(ValueError):
    """A checkpoint file that is not in the v1 format."""


@dataclass(frozen=True)
class Checkpoint:
    log_id: str
    size: int
    root: str
    time: str
    key: str  # hex of the raw 32-byte Ed25519 public key
    signature: bytes
    signed: bytes  # the exact bytes the signature covers
    name: str = ""


def checkpoint_body(*, log_id: str, size: int, root: str, time: str, key: str) -> str:
    """The signed part of a checkpoint: six lines, each ending in LF."""
    return (
        f"{CHECKPOINT_MAGIC}\nlog-id: {log_id}\nsize: {size}\nroot: {root}\n"
        f"time: {time}\nkey: {key}\n"
    )


def checkpoint_text(body: str, signature: bytes) -> str:
    return f"{body}signature: {base64.b64encode(signature).decode('ascii')}\n"


def parse_checkpoint(text: str, name: str = "") -> Checkpoint:
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) != 7 or lines[0] != CHECKPOINT_MAGIC:
        raise CheckpointError(f"not an {CHECKPOINT_MAGIC!r} file (expected 7 lines)")
    values: dict[str, str] = {}
    for line, key in zip(
        lines[1:], ("log-id", "size", "root", "time", "key", "signature"), strict=True
    ):
        prefix = f"{key}: "
        if not line.startswith(prefix):
            raise CheckpointError(f"expected a {key!r} line, found {line[:40]!r}")
        values[key] = line[len(prefix) :]
    _check_checkpoint_values(values)
    try:
        signature = base64.b64decode(values["signature"], validate=True)
    except binascii.Error as exc:
        raise CheckpointError("signature is not base64") from exc
    return Checkpoint(
        log_id=values["log-id"],
        size=int(values["size"]),
        root=values["root"],
        time=values["time"],
        key=values["key"],
        signature=signature,
        signed="".join(line + "\n" for line in lines[:6]).encode("utf-8"),
        name=name,
    )


def _check_checkpoint_values(values: dict[str, str]) -> None:
    checks = {
        "log-id": _UUID.match(values["log-id"]),
        # At most a 64-bit count, like the database's seq column.
        "size": values["size"].isascii() and values["size"].isdigit()
        and len(values["size"]) <= 19 and int(values["size"]) < 2**63,
        "root": _HEX64.match(values["root"]),
        "time": _TIME.match(values["time"]),
        "key": _HEX64.match(values["key"]),
    }
    for key, ok in checks.items():
        if not ok:
            raise CheckpointError(f"malformed {key!r} value")


def load_public_key(value: str) -> bytes:
    """A trusted key given as 64 hex digits, or a file holding hex or a PEM public key."""
    candidate = value.strip().lower()
    if _HEX64.match(candidate):
        return bytes.fromhex(candidate)
    data = Path(value).read_bytes()
    if b"-----BEGIN" in data:
        key = serialization.load_pem_public_key(data)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("the PEM file does not hold an Ed25519 public key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    text = data.decode("ascii", "replace").strip().lower()
    if not _HEX64.match(text):
        raise ValueError("public key file must hold 64 hex digits or a PEM public key")
    return bytes.fromhex(text)


# --- verification -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    kind: str  # altered, deleted, reordered, inserted, truncated, bad-signature, malformed
    detail: str
    seq: int | None = None

    def __str__(self) -> str:
        where = f"seq {self.seq}: " if self.seq is not None else ""
        return f"FAIL: {where}{self.kind}: {self.detail}"


@dataclass(frozen=True)
class Result:
    events: int
    checkpoints: int
    problem: Problem | None


def check_checkpoints(checkpoints: Sequence[Checkpoint], trusted: bytes | None) -> Problem | None:
    """Signatures first: a log cannot be judged against checkpoints nobody signed."""
    pinned = trusted.hex() if trusted is not None else None
    for cp in checkpoints:
        if pinned is not None and cp.key != pinned:
            return Problem(
                "bad-signature", f"{cp.name}: signed by key {cp.key}, not the trusted key"
            )
        try:
            Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp.key)).verify(
                cp.signature, cp.signed
            )
        except (InvalidSignature, ValueError):
            return Problem("bad-signature", f"{cp.name}: signature does not verify")
    if len({cp.log_id for cp in checkpoints}) > 1:
        return Problem("bad-signature", "checkpoints belong to different logs (log-id differs)")
    if pinned is None and len({cp.key for cp in checkpoints}) > 1:
        return Problem("bad-signature", "checkpoints are signed by different keys")
    return None


# A JSON value as read from a line, or why the line was refused.
Parsed = dict[str, Any] | str
_INT64 = 2**63
_EVENT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
_STRINGS = ("time", "actor_name", "unit_path", "action", "object_type", "object_id")
_OBJECTS = ("before", "after", "extra")


class _Malformed(ValueError):
    pass


def _records(path: Path) -> Iterator[tuple[int, Parsed]]:
    """(line number, parsed record or the reason it is refused), one per line.

    Read as bytes: the hash covers one exact encoding, so nothing is decoded, normalised
    or skipped before the check (no newline translation, no blank lines).
    """
    with path.open("rb") as handle:
        for position, raw in enumerate(handle, start=1):
            try:
                yield position, _parse_record(raw[:-1] if raw.endswith(b"\n") else raw)
            except _Malformed as exc:
                yield position, f"line {position} {exc}"


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which of two equal keys wins, so a line that has them could
    # be read as two different events: refused rather than guessed.
    record: dict[str, Any] = {}
    for key, value in pairs:
        if key in record:
            raise _Malformed(f"repeats the key {key!r}")
        record[key] = value
    return record


def _no_constant(name: str) -> Any:
    raise _Malformed(f"holds {name}, which JSON does not allow")


def _parse_record(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
        record = json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constant,
            parse_float=_no_float,
        )
    except UnicodeDecodeError as exc:
        raise _Malformed("is not UTF-8") from exc
    except RecursionError as exc:
        raise _Malformed("is nested too deeply") from exc
    except _Malformed:
        raise
    except ValueError as exc:
        raise _Malformed(f"is not JSON ({exc})") from exc
    if not isinstance(record, dict):
        raise _Malformed("is not a JSON object")
    _check_shape(record)
    try:
        canonical = canonical_bytes(record)
    except (TypeError, ValueError) as exc:
        raise _Malformed("cannot be encoded canonically (is it valid Unicode?)") from exc
    if canonical != raw:
        raise _Malformed(
            "is not in the canonical encoding (keys sorted, no spaces, characters written "
            "as themselves, one LF at the end), so it could be read differently elsewhere"
        )
    return record


def _no_float(text: str) -> Any:
    raise _Malformed(f"holds the number {text[:20]}; audit records hold no fractions")


def _check_shape(record: dict[str, Any]) -> None:
    """The 15 keys with the types docs/audit-log.md gives them, and nothing else."""
    if set(record) != {*EVENT_FIELDS, "hash"}:
        missing = sorted({*EVENT_FIELDS, "hash"} - set(record))
        extra = sorted(set(record) - {*EVENT_FIELDS, "hash"})
        raise _Malformed(f"does not have the 15 keys of a v1 record (missing {missing}, "
                         f"unexpected {extra})")
    if record["v"] != FORMAT_VERSION or isinstance(record["v"], bool):
        raise _Malformed(f"has format version {str(record['v'])[:20]}, not {FORMAT_VERSION}")
    if not _is_int(record["seq"], low=1):
        raise _Malformed("has no positive 64-bit integer seq")
    for key in ("actor_id", "unit_id"):
        if record[key] is not None and not _is_int(record[key], low=-_INT64):
            raise _Malformed(f"has a {key} that is not a 64-bit integer or null")
    for key in _STRINGS:
        if not isinstance(record[key], str):
            raise _Malformed(f"has a {key} that is not a string")
    for key in _OBJECTS:
        if record[key] is not None and not isinstance(record[key], dict):
            raise _Malformed(f"has a {key} that is not an object or null")
    if not _EVENT_TIME.match(record["time"]):
        raise _Malformed("has a time not in the form YYYY-MM-DDTHH:MM:SS.ffffffZ")
    for key in ("prev_hash", "hash"):
        if not isinstance(record[key], str) or not _HEX64.match(record[key]):
            raise _Malformed(f"has a {key} that is not 64 lower-case hex digits")


def _is_int(value: Any, *, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < _INT64


def verify_log(
    path: Path, checkpoints: Sequence[Checkpoint], trusted: bytes | None = None
) -> Result:
    problem = check_checkpoints(checkpoints, trusted)
    if problem:
        return Result(0, 0, problem)
    wanted = {cp.size for cp in checkpoints}
    roots = {0: GENESIS_HASH}
    prev, count = GENESIS_HASH, 0
    for position, record in _records(path):
        problem = _check_record(path, position, record, prev)
        if problem:
            return Result(count, 0, problem)
        assert isinstance(record, dict)
        prev, count = record["hash"], position
        if position in wanted:
            roots[position] = prev
    for cp in sorted(checkpoints, key=lambda c: c.size):
        if cp.size > count:
            detail = f"the log has {count} events but {cp.name} (signed {cp.time}) covers {cp.size}"
            return Result(count, 0, Problem("truncated", detail, count + 1))
        if roots[cp.size] != cp.root:
            detail = (
                f"the log up to seq {cp.size} ends in hash {roots[cp.size]} but {cp.name} "
                f"signed root {cp.root}: history was rewritten"
            )
            return Result(count, 0, Problem("altered", detail, cp.size))
    return Result(count, len(checkpoints), None)


def _check_record(
    path: Path, position: int, record: Parsed, prev: str
) -> Problem | None:
    if isinstance(record, str):
        return Problem("malformed", record, position)
    seq = record["seq"]
    if seq > position:
        if any(isinstance(r, dict) and r["seq"] == position for _, r in _records(path)):
            detail = f"seq {seq} appears where seq {position} belongs: out of order"
            return Problem("reordered", detail, position)
        return Problem("deleted", f"gap: events {position}..{seq - 1} are missing", position)
    if seq < position:
        detail = f"seq {seq} appears after seq {position - 1}: out of order or duplicated"
        return Problem("reordered", detail, seq)
    try:
        computed = event_hash(record)
    except (TypeError, ValueError):
        return Problem("malformed", f"line {position} cannot be encoded", position)
    linked = record["prev_hash"] == prev
    if computed == record["hash"] and linked:
        return None
    if linked:
        detail = f"stored hash {record['hash']} but its fields hash to {computed}"
        return Problem("altered", detail, position)
    return _classify_broken_link(path, position, record, computed)


def _classify_broken_link(
    path: Path, position: int, record: dict[str, Any], computed: str
) -> Problem:
    """Work out what happened when an event no longer links to the one before it.

    An event's hash covers its own seq, so an event moved to another seq can be
    recognised by finding the seq at which its fields hash to its stored hash. The seqs
    tried are bounded by the number of lines (never by a seq read from the file, which
    can be anything): an event moved further than that is reported as altered.
    """
    hashes, lines = _scan(path)
    predecessor_present = record["prev_hash"] in hashes
    if computed == record["hash"]:
        if predecessor_present:
            return Problem("inserted", "a forged event precedes this one", position - 1)
        return Problem("altered", "the event before it was replaced or rewritten", position - 1)
    original = next(
        (s for s in range(1, 2 * lines + 2) if event_hash({**record, "seq": s}) == record["hash"]),
        None,
    )
    if original is None:
        return Problem("altered", "hash mismatch and broken link to the previous event", position)
    moved = f"the event originally at seq {original} now sits at seq {position}"
    if original < position:
        return Problem(
            "inserted", f"forged event(s) at seq {original}..{position - 1}; {moved}", original
        )
    if not predecessor_present:
        return Problem("deleted", f"events were removed and the rest renumbered; {moved}", position)
    return Problem("reordered", moved, position)


def _scan(path: Path) -> tuple[set[str], int]:
    """Every stored hash in the file, and its number of lines."""
    hashes: set[str] = set()
    lines = 0
    for lines, record in _records(path):  # noqa: B007 - the last line number is the count
        if isinstance(record, dict):
            hashes.add(record["hash"])
    return hashes, lines


# --- command line -------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="amanat-verify",
        description="Verify an Amanat audit log export (JSON Lines) against signed checkpoints.",
    )
    parser.add_argument("export", type=Path, help="the audit log export (JSON Lines)")
    parser.add_argument("checkpoints", type=Path, nargs="*", help="signed checkpoint files")
    parser.add_argument(
        "--public-key",
        help="the trusted Ed25519 public key: 64 hex digits, or a file (hex or PEM)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        trusted = load_public_key(args.public_key) if args.public_key else None
        checkpoints = [
            parse_checkpoint(p.read_text(encoding="utf-8"), name=str(p)) for p in args.checkpoints
        ]
        if not args.export.is_file():
            raise OSError(f"{args.export}: no such file")
        result = verify_log(args.export, checkpoints, trusted)
    except (OSError, ValueError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    if result.problem:
        print(result.problem)
        return 1
    if trusted is None and checkpoints:
        print("note: no --public-key given; checkpoints were checked against their own key")
    print(f"OK: {result.events} events, {result.checkpoints} checkpoints verified")
    return 0


if __name__ == "__main__":
    sys.exit(main())
