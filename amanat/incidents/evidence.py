"""Checking evidence files: a size limit and the type read from the content itself.

The name and the browser's declared type are not trusted: a file is accepted only when
its first bytes are those of a JPEG, PNG or PDF, or when it decodes as UTF-8 text
without control characters (plain text).  Anything else is refused with a specific
message; nothing is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from amanat.core.errors import RuleError

MAX_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
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


def _is_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not any(ord(c) < 32 and c not in "\t\r\n" for c in text)


def sniff(data: bytes) -> tuple[str, str] | None:
    """(extension, content type) read from the content, or None when not allowed."""
    for magic, ext, content_type in _SIGNATURES:
        if data.startswith(magic):
            return ext, content_type
    if data and _is_text(data):
        return "txt", "text/plain"
    return None


def check_bytes(data: bytes, original_name: str = "") -> CheckedFile:
    if len(data) > MAX_BYTES:
        mb = MAX_BYTES // (1024 * 1024)
        raise RuleError(_("“%(name)s” is larger than %(limit)s MB"), code="too_large",
                        field="evidence", name=original_name, limit=mb)
    found = sniff(data)
    if found is None:
        raise RuleError(_("“%(name)s” is not a JPEG or PNG image, a PDF or plain text"),
                        code="file_type", field="evidence", name=original_name)
    return CheckedFile(data, found[0], found[1], original_name[:255])


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Read an upload (at most one byte past the limit) and check it."""
    upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    return check_bytes(data, upload.name or "")
