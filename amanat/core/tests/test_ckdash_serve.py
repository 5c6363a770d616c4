"""``amanat serve`` compiles translation catalogs whose compiled form is missing or older
than the catalog (user review 2026-12, F20: an English page inside ``lang="fa"``)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from amanat.core.management.commands.serve import catalogs_compile

CATALOG = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_serve_compiles_a_stale_catalog() -> None:
    compiled = CATALOG.with_suffix(".mo")
    if compiled.exists():
        os.utime(compiled, (0, 0))  # older than its catalog: stale
    out, err = io.StringIO(), io.StringIO()
    assert CATALOG in catalogs_compile(out, err)
    assert compiled.exists()
    assert compiled.stat().st_mtime >= CATALOG.stat().st_mtime
    assert "compiled the translations" in out.getvalue() and not err.getvalue()
    # Up to date now: nothing to do.
    assert CATALOG not in catalogs_compile(io.StringIO(), io.StringIO())
