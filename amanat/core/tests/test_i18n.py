"""The translation catalogs: complete, not fuzzy, and in step with the code."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def _catalog(language: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / language / "LC_MESSAGES" / "django.po"))


def test_persian_catalog_is_complete():
    catalog = _catalog("fa")
    live = [e for e in catalog if not e.obsolete]
    assert len(live) > 50
    untranslated = [e.msgid for e in live if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [e.msgid for e in live if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_persian_plurals_fill_every_form():
    for entry in _catalog("fa"):
        if entry.msgid_plural and not entry.obsolete:
            assert all(entry.msgstr_plural.values()), entry.msgid


@pytest.mark.parametrize("language", ["fa", "en"])
def test_catalog_header_declares_utf8_and_plural_forms(language):
    catalog = _catalog(language)
    assert "charset=UTF-8" in catalog.metadata["Content-Type"]
    assert catalog.metadata["Plural-Forms"].startswith("nplurals=2")


def test_persian_translations_keep_placeholders():
    import re

    pattern = re.compile(r"%\(\w+\)[sd]|\{\w+\}")
    for entry in _catalog("fa"):
        if entry.obsolete or not entry.msgstr:
            continue
        assert sorted(pattern.findall(entry.msgid)) == sorted(pattern.findall(entry.msgstr)), (
            entry.msgid
        )
