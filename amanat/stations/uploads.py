"""Uploaded station files kept on the server for their error report.

A rejected upload, or one waiting for its uploader to say what unrecognised columns hold
(the upload page's mapping step), is kept under ``imports/<uuid>/`` in the default
file storage (``MEDIA_ROOT`` on one box, the database with several app servers: the
mapping step may reach another server than the upload) under generated names (never the
name the user gave, which is only recorded in ``meta.json`` for display): the file
itself, its error report and who may read them.  Files are served only through the scoped
view ``stations:import_errors``, never by the web server from MEDIA_ROOT.
"""

from __future__ import annotations

import contextlib
import datetime
import io
import json
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, Literal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.utils import timezone

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, scope_queryset
from amanat.geo.models import AdminUnit
from amanat.stations.services import ImportReport, write_error_report

Ext = Literal["csv", "xlsx"]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class StoredImport:
    id: str
    ext: Ext
    owner_id: int
    unit_id: int | None  # the scope the upload was made in (see views._upload_unit)
    election_id: int
    original_name: str
    created: str

    @property
    def directory(self) -> str:
        return f"{IMPORTS}/{self.id}"

    @property
    def upload_name(self) -> str:
        return f"{self.directory}/upload.{self.ext}"

    @property
    def errors_name(self) -> str:
        return f"{self.directory}/errors.{self.ext}"

    @property
    def meta_name(self) -> str:
        return f"{self.directory}/meta.json"


IMPORTS = "imports"


def _put(name: str, data: bytes) -> None:
    """Write ``name`` in the default storage, replacing what was there (an error report
    written again after another mapping)."""
    default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(data))
    if saved != name:  # the storage chose another name: the layout would be lost
        default_storage.delete(saved)
        raise OSError(f"could not store {name}")


def import_store(
    *, data: bytes, ext: Ext, owner_id: int, unit_id: int | None, election_id: int,
    original_name: str,
) -> StoredImport:
    stored = StoredImport(
        id=str(uuid.uuid4()), ext=ext, owner_id=owner_id, unit_id=unit_id,
        election_id=election_id, original_name=Path(original_name).name[:200],
        created=timezone.now().isoformat(),
    )
    _put(stored.upload_name, data)
    _put(stored.meta_name, json.dumps(asdict(stored)).encode("utf-8"))
    return stored


def import_write_errors(stored: StoredImport, report: ImportReport) -> None:
    buffer = io.BytesIO()
    write_error_report(report, buffer, format=stored.ext)
    _put(stored.errors_name, buffer.getvalue())


def import_read(stored: StoredImport) -> bytes | None:
    """The waiting upload's bytes, or None once it is gone."""
    try:
        with default_storage.open(stored.upload_name, "rb") as handle:
            return bytes(handle.read())
    except FileNotFoundError:
        return None


def import_errors_open(stored: StoredImport) -> IO[Any] | None:
    """The error report, open for reading, or None when there is none."""
    try:
        return default_storage.open(stored.errors_name, "rb")
    except FileNotFoundError:
        return None


def import_discard(stored: StoredImport) -> None:
    """Remove a waiting upload once it has been imported (it repeats station data)."""
    for name in (stored.upload_name, stored.errors_name, stored.meta_name):
        default_storage.delete(name)
    with contextlib.suppress(NotImplementedError):  # a local folder: its empty folder too
        shutil.rmtree(default_storage.path(stored.directory), ignore_errors=True)


def import_load(import_id: str) -> StoredImport | None:
    """The stored import with this id, or None (a malformed id never touches storage)."""
    try:
        key = str(uuid.UUID(import_id))
    except ValueError:
        return None
    try:
        with default_storage.open(f"{IMPORTS}/{key}/meta.json", "rb") as handle:
            data = json.loads(handle.read().decode("utf-8"))
    except FileNotFoundError:
        return None
    if data.get("id") != key or data.get("ext") not in CONTENT_TYPES:
        return None
    return StoredImport(**data)


def get_import_for_user(user: AnyUser, import_id: str) -> StoredImport:
    """A rejected upload kept for its error report: for its uploader and for whoever may
    create stations over the uploader's whole area; 404 for everyone else.

    The scope is in the upload's own metadata (a file, not a row), so it is read first;
    nothing of the upload reaches the caller before the check.
    """
    stored = import_load(import_id)
    if stored is None or not user.is_authenticated:
        raise Http404("not found")
    if stored.owner_id == user.pk:
        return stored
    if stored.unit_id is not None and scope_queryset(
        user, AdminUnit.objects.filter(pk=stored.unit_id), action=policy.CREATE,
        path_field="path", model_label="stations.station",
    ).exists():
        return stored
    raise Http404("not found")


def download_name(stored: StoredImport) -> str:
    day = datetime.date.fromisoformat(stored.created[:10])
    return f"station-import-errors-{day:%Y%m%d}.{stored.ext}"
