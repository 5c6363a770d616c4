"""Uploaded station files kept on the server for their error report.

A rejected upload, or one waiting for its uploader to say what unrecognised columns hold
(the upload page's mapping step), is kept in ``MEDIA_ROOT/imports/<uuid>/`` under
generated names (never the name the user gave, which is only recorded in ``meta.json``
for display): the file itself, its error report and who may read them.  Files are served
only through the scoped view ``stations:import_errors``, never by the web server from
MEDIA_ROOT.
"""

from __future__ import annotations

import datetime
import json
import shutil
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from django.conf import settings
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
    def directory(self) -> Path:
        return imports_root() / self.id

    @property
    def upload_path(self) -> Path:
        return self.directory / f"upload.{self.ext}"

    @property
    def errors_path(self) -> Path:
        return self.directory / f"errors.{self.ext}"


def imports_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports"


def import_store(
    *, data: bytes, ext: Ext, owner_id: int, unit_id: int | None, election_id: int,
    original_name: str,
) -> StoredImport:
    stored = StoredImport(
        id=str(uuid.uuid4()), ext=ext, owner_id=owner_id, unit_id=unit_id,
        election_id=election_id, original_name=Path(original_name).name[:200],
        created=timezone.now().isoformat(),
    )
    stored.directory.mkdir(parents=True, mode=0o700)
    stored.upload_path.write_bytes(data)
    (stored.directory / "meta.json").write_text(json.dumps(asdict(stored)), encoding="utf-8")
    return stored


def import_write_errors(stored: StoredImport, report: ImportReport) -> None:
    write_error_report(report, stored.errors_path, format=stored.ext)


def import_discard(stored: StoredImport) -> None:
    """Remove a waiting upload once it has been imported (it repeats station data)."""
    shutil.rmtree(stored.directory, ignore_errors=True)


def import_load(import_id: str) -> StoredImport | None:
    """The stored import with this id, or None (a malformed id never touches the disk)."""
    try:
        key = str(uuid.UUID(import_id))
    except ValueError:
        return None
    meta = imports_root() / key / "meta.json"
    if not meta.is_file():
        return None
    data = json.loads(meta.read_text(encoding="utf-8"))
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
