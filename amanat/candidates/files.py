"""Checking dossier files: a size limit and the type read from the content itself.

As for incident evidence, the name and the browser's declared type are not trusted:
a file is a JPEG, a PNG or a PDF by its first bytes, or it is refused. Which of those a
document type takes is on its row (``DocumentType.allowed_types``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError

MAX_BYTES = 5 * 1024 * 1024
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xd8\xff", "jpg", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png", "image/png"),
    (b"%PDF-", "pdf", "application/pdf"),
)


@dataclass(frozen=True)
class CheckedFile:
    data: bytes
    ext: str
    content_type: str
    original_name: str


def check_bytes(data: bytes, original_name: str = "") -> CheckedFile:
    if len(data) > MAX_BYTES:
        raise RuleError(_("“%(name)s” is larger than %(limit)s MB"), code="too_large",
                        field="file", name=original_name, limit=MAX_BYTES // (1024 * 1024))
    for magic, ext, content_type in _SIGNATURES:
        if data.startswith(magic):
            return CheckedFile(data, ext, content_type, original_name[:255])
    raise RuleError(_("“%(name)s” is not a JPEG or PNG image or a PDF"), code="file_type",
                    field="file", name=original_name)


def check_upload(upload: UploadedFile) -> CheckedFile:
    upload.seek(0)
    return check_bytes(upload.read(MAX_BYTES + 1), upload.name or "")
