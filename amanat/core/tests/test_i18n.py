"""The translation catalogs: complete, not fuzzy, and in step with the code."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
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


def test_every_string_of_the_code_is_in_the_persian_catalog(tmp_path: Path) -> None:
    """makemessages run on a copy of the code finds no message the committed catalog
    lacks: a new user-facing string cannot ship without its Persian."""
    if shutil.which("xgettext") is None and not os.environ.get("CI"):
        pytest.skip("GNU gettext (xgettext) is not installed; CI installs it")
    copy = tmp_path / "amanat"
    shutil.copytree(Path(settings.BASE_DIR), copy,
                    ignore=shutil.ignore_patterns("tests", "__pycache__", "*.mo", "static"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "amanat.settings"}
    subprocess.run([sys.executable, "-m", "amanat.cli", "makemessages", "-l", "fa",
                    "--no-obsolete"], cwd=copy, env=env, check=True, capture_output=True)
    extracted = {(e.msgctxt, e.msgid) for e in
                 polib.pofile(str(copy / "locale" / "fa" / "LC_MESSAGES" / "django.po"))}
    committed = {(e.msgctxt, e.msgid) for e in _catalog("fa") if not e.obsolete}
    missing = sorted(msgid for _ctx, msgid in extracted - committed)
    assert missing == [], (
        "run `.venv/bin/amanat makemessages -l fa -l en` in amanat/ and translate: "
        f"{missing[:10]}")


# Templates that may hold Persian letters: the language switch names Persian in Persian,
# and the printed county and province atlases and council agenda are official Persian
# documents.
PERSIAN_TEMPLATES = {"includes/navbar.html", "atlas/county_pdf.html",
                     "atlas/province_pdf.html", "councils/agenda_pdf.html"}


def test_no_page_template_holds_persian_text() -> None:
    """Persian in a page template shows in the English interface too (a «، » between
    items, a «٪» after a number): words go through {% translate %}, punctuation through
    the language-aware filters and tags of core/templatetags/persian.py."""
    amanat = Path(settings.BASE_DIR)
    found = []
    for path in sorted(amanat.glob("**/templates/**/*.html")):
        name = str(path).split("/templates/", 1)[1]
        if name in PERSIAN_TEMPLATES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any("\u0600" <= c <= "\u06ff" for c in line):
                found.append(f"{name}:{number}")
    assert found == []
