"""A Django storage over a table: evidence, candidates' documents and waiting station
imports readable from every app server that reaches the database, with no shared file
system and no other service (docs/decisions/0006-files-in-postgresql.md).

Chosen with ``AMANAT_FILE_STORAGE=database`` (settings.STORAGES["default"]); the default
stays the local folder ``MEDIA_ROOT`` for one box.  Files are read whole into memory: the
largest the site accepts is a station import of 50 MB (evidence 10 MB, a candidate's
document 5 MB).  Reads and writes go to the primary (a file is often read right after it
was written, e.g. an import's mapping step), inside the caller's transaction when there is
one.  There are no public URLs: every file is served by a view that checks its reader.
"""

from __future__ import annotations

import datetime
from typing import IO, Any

from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage
from django.db import DEFAULT_DB_ALIAS, IntegrityError, transaction
from django.utils.deconstruct import deconstructible

from amanat.files.models import StoredFile


@deconstructible
class DatabaseStorage(Storage):
    using = DEFAULT_DB_ALIAS

    def _rows(self) -> Any:
        return StoredFile.objects.using(self.using)

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if any(flag in mode for flag in "wa+"):
            raise ValueError("database files are written with save(), not open()")
        content = self._rows().filter(name=name).values_list("content", flat=True).first()
        if content is None:
            raise FileNotFoundError(name)
        return ContentFile(bytes(content), name=name)

    def _save(self, name: str, content: IO[Any]) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        data = b"".join(content.chunks()) if hasattr(content, "chunks") else content.read()
        if isinstance(data, str):
            data = data.encode()
        for _attempt in range(10):
            try:
                with transaction.atomic(using=self.using):
                    self._rows().create(name=name, content=data, size=len(data))
                return name
            except IntegrityError:
                # Another request took the name between get_available_name and here.
                name = self.get_available_name(name, max_length=255)
        raise IntegrityError(f"could not find a free name for {name!r}")

    def exists(self, name: str) -> bool:
        return bool(self._rows().filter(name=name).exists())

    def delete(self, name: str) -> None:
        self._rows().filter(name=name).delete()

    def size(self, name: str) -> int:
        size = self._rows().filter(name=name).values_list("size", flat=True).first()
        if size is None:
            raise FileNotFoundError(name)
        return int(size)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        prefix = path.strip("/") + "/" if path.strip("/") else ""
        dirs: set[str] = set()
        files: list[str] = []
        for name in self._rows().filter(name__startswith=prefix).values_list("name", flat=True):
            rest = name[len(prefix):]
            if "/" in rest:
                dirs.add(rest.split("/", 1)[0])
            else:
                files.append(rest)
        return sorted(dirs), sorted(files)

    def _time(self, name: str) -> datetime.datetime:
        found = self._rows().filter(name=name).values_list("created_at", flat=True).first()
        if found is None:
            raise FileNotFoundError(name)
        return found

    def get_created_time(self, name: str) -> datetime.datetime:
        return self._time(name)

    def get_modified_time(self, name: str) -> datetime.datetime:
        return self._time(name)

    def get_accessed_time(self, name: str) -> datetime.datetime:
        return self._time(name)
