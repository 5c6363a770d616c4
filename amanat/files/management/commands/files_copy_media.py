"""``amanat files-copy-media``: copy the files under MEDIA_ROOT into the database storage,
under the same names, before an installation switches to ``AMANAT_FILE_STORAGE=database``
(docs/deployment.md, "Files and background tasks on several app servers").

A file already in the database under its name is left alone (it was copied before), so
running it again copies only what is new; nothing is removed from MEDIA_ROOT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction

from amanat.audit.services import audit_record, cli_actor
from amanat.files.storage import DatabaseStorage


class Command(BaseCommand):
    help = "Copy the files under MEDIA_ROOT into the database storage (same names)."

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(settings.MEDIA_ROOT)
        storage = DatabaseStorage()
        copied = kept = size = 0
        files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
        for path in files:
            name = path.relative_to(root).as_posix()
            if name.startswith(".") or "/." in name:
                continue  # a temporary file of a write in progress
            if storage.exists(name):
                kept += 1
                continue
            data = path.read_bytes()
            with transaction.atomic():
                saved = storage.save(name, ContentFile(data))
                if saved != name:  # someone stored this name meanwhile: keep theirs
                    storage.delete(saved)
                    kept += 1
                    continue
            copied += 1
            size += len(data)
        audit_record(action="files.copy_media", actor_name=cli_actor(),
                     extra={"copied": copied, "already_there": kept, "bytes": size})
        self.stdout.write(f"copied {copied} files ({size} bytes) from {root}; "
                          f"{kept} were in the database already")
