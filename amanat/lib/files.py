"""Files only their owner may read: secrets, the database, evidence, the signer's state.

Django-free, so that settings can use it before Django is set up.  The process umask
(set once in settings, see ``PRIVATE_UMASK``) covers files that libraries create (the
SQLite database and its -wal/-shm, uploads, exports); these helpers add atomic and
exclusive writes for the few files the project writes itself.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path

# Files 0600, folders 0700: nothing Amanat writes is for other local users.
PRIVATE_UMASK = 0o077
PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> None:
    """Create a folder (and missing parents) readable by the owner only."""
    for folder in reversed([path, *path.parents]):
        if not folder.exists():
            with contextlib.suppress(FileExistsError):
                folder.mkdir(mode=PRIVATE_DIR)


def _write_temporary(path: Path, data: bytes) -> Path:
    """Write ``data`` to a new 0600 file beside ``path`` and flush it to disk."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _sync_dir(path: Path) -> None:
    # The rename itself is durable only once the folder's entry is on disk.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with a 0600 file: a crash leaves the old or the new."""
    temporary = _write_temporary(path, data)
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _sync_dir(path.parent)


def create_private(path: Path, data: bytes) -> None:
    """Create ``path`` as a complete 0600 file; FileExistsError if it exists already.

    Linking a finished temporary file never clobbers a file created at the same moment
    and never leaves a half-written one under the final name.
    """
    temporary = _write_temporary(path, data)
    try:
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    _sync_dir(path.parent)
