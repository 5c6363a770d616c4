"""The Persian translations proposed in docs/translations/elections.tsv produce the
intended messages (checked against a catalog built from the TSV, so this holds before
and after the UI engineer merges it into the project catalog)."""

from __future__ import annotations

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils.translation import override

from amanat.core.forms import JalaliDateField

TSV = Path(settings.PROJECT_DIR) / "docs" / "translations" / "elections.tsv"


def _rows() -> list[tuple[str, str]]:
    return [tuple(line.split("\t")) for line in TSV.read_text().splitlines() if line]  # type: ignore[misc]


def test_tsv_is_well_formed() -> None:
    rows = _rows()
    assert all(len(row) == 2 and all(row) for row in rows)
    english = [e for e, _ in rows]
    assert len(english) == len(set(english))
    for source, persian in rows:  # placeholders survive translation
        assert sorted(_placeholders(source)) == sorted(_placeholders(persian)), source


def _placeholders(text: str) -> list[str]:
    import re

    return re.findall(r"%\(\w+\)s", text)


@pytest.fixture
def tsv_catalog(tmp_path: Path) -> Path:
    catalog = polib.POFile()
    catalog.metadata = {"Content-Type": "text/plain; charset=UTF-8",
                        "Plural-Forms": "nplurals=2; plural=(n > 1);"}
    for source, persian in _rows():
        catalog.append(polib.POEntry(msgid=source, msgstr=persian))
    target = tmp_path / "fa" / "LC_MESSAGES"
    target.mkdir(parents=True)
    catalog.save_as_mofile(str(target / "django.mo"))
    return tmp_path


def test_persian_error_message_reads_naturally(tsv_catalog: Path) -> None:
    with override_settings(LOCALE_PATHS=[tsv_catalog]), override("fa"):
        field = JalaliDateField()
        with pytest.raises(Exception) as caught:
            field.clean("1403/12/31")
        assert caught.value.messages == [
            "یک تاریخ شمسی معتبر مانند ۱۴۰۴/۱۰/۲۱ وارد کنید: "
            "روز ۳۱ در ماه ۱۲ (اسفند) سال ۱۴۰۳ وجود ندارد."
        ]
