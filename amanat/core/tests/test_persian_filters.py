"""Jalali and Persian-digit template filters, in Persian and in English."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.utils.safestring import mark_safe
from django.utils.translation import override


def render(source: str, **context: object) -> str:
    # No {% load %}: the filters are template builtins (settings.TEMPLATES).
    return Template(source).render(Context(context))


DAY = datetime.date(2026, 1, 11)  # 1404/10/21


@pytest.mark.parametrize(
    ("lang", "expected"),
    [("fa", "۱۴۰۴/۱۰/۲۱|۲۱ دی ۱۴۰۴"), ("en", "1404/10/21|21 Dey 1404")],
)
def test_jdate_follows_language(lang: str, expected: str) -> None:
    with override(lang):
        assert render("{{ d|jdate }}|{{ d|jdate_long }}", d=DAY) == expected


def test_aware_datetime_is_shown_on_its_tehran_day() -> None:
    # 22:00 UTC on 10 January is 01:30 on 11 January in Tehran.
    moment = datetime.datetime(2026, 1, 10, 22, 0, tzinfo=ZoneInfo("UTC"))
    with override("fa"):
        assert render("{{ m|jdate }}", m=moment) == "۱۴۰۴/۱۰/۲۱"
        assert render("{{ m|jdatetime }}", m=moment) == "۱۴۰۴/۱۰/۲۱ ۰۱:۳۰"
    with override("en"):
        assert render("{{ m|jdatetime }}", m=moment) == "1404/10/21 01:30"
        assert render("{{ d|jdatetime }}", d=DAY) == "1404/10/21"


@pytest.mark.parametrize("value", [None, "", "not a date"])
def test_empty_or_odd_values_render_empty(value: object) -> None:
    with override("fa"):
        assert render("[{{ v|jdate }}][{{ v|jdate_long }}][{{ v|jdatetime }}]", v=value) == "[][][]"


def test_fadigits() -> None:
    with override("fa"):
        assert render("{{ n|fadigits }}", n=58638) == "۵۸٬۶۳۸"
        assert render("{{ n|fadigits }}", n=-7) == "-۷"
        assert render("{{ s|fadigits }}", s="شعبه 12") == "شعبه ۱۲"
        assert render("{{ f|fadigits }}", f=2.5) == "۲٫۵"
        assert render("[{{ s|fadigits }}]", s=None) == "[]"
    with override("en"):
        assert render("{{ n|fadigits }}", n=58638) == "58,638"
        assert render("{{ s|fadigits }}", s="۱۲") == "۱۲"


def test_fadigits_keeps_escaping() -> None:
    with override("fa"):
        assert render("{{ s|fadigits }}", s="<b>1</b>") == "&lt;b&gt;۱&lt;/b&gt;"
        assert render("{{ s|fadigits }}", s=mark_safe("<b>1</b>")) == "<b>۱</b>"
