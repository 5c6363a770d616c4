"""``amanat import-geo --file``: a damaged file is a clear refusal, never a traceback
(review docs/reviews/2026-12-sheets2.md)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amanat.geo.models import AdminUnit

pytestmark = pytest.mark.django_db

HEADER = "kind,code,parent_kind,parent_code,name,latitude,longitude,placement,population\n"


@pytest.mark.parametrize(("name", "data"), [
    # gzip's header, then deflate data that is not deflate data.
    ("geo.csv.gz", gzip.compress(HEADER.encode())[:10] + b"\xff" * 40),
    # Cut short.
    ("geo.csv.gz", gzip.compress(HEADER.encode() * 50)[:-30]),
])
def test_a_damaged_geography_file_is_refused_not_a_traceback(
        tmp_path: Path, name: str, data: bytes) -> None:
    before = AdminUnit.objects.count()
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=r"geo\.csv\.gz"):
        call_command("import_geo", file=str(path))
    assert AdminUnit.objects.count() == before
