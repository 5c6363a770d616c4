"""Numbers and codes inside Persian text: one filter (``fatext``) for free text."""

from __future__ import annotations

from django.template import Context, Template
from django.utils import translation

from amanat.core.templatetags.persian import fatext


def render(text: str, language: str) -> str:
    with translation.override(language):
        return Template("{{ v|fatext }}").render(Context({"v": text}))


def test_persian_text_gets_persian_numbers_and_isolated_codes() -> None:
    assert render("شعبه 101", "fa") == "شعبه ۱۰۱"
    assert render("امتیاز 27.1 از 100", "fa") == "امتیاز ۲۷٫۱ از ۱۰۰"
    assert render("کد 2321-0042 در تهران", "fa") == 'کد <bdi dir="ltr">۲۳۲۱-۰۰۴۲</bdi> در تهران'
    assert render("مدرسه ABC", "fa") == 'مدرسه <bdi dir="ltr">ABC</bdi>'


def test_english_text_is_left_as_it_is() -> None:
    assert render("Station 2321-0042 score 27.1 <", "en") == "Station 2321-0042 score 27.1 &lt;"


def test_markup_is_escaped_and_safe_html_left_alone() -> None:
    assert render("<b>1</b>", "fa") == (
        "&lt;<bdi dir=\"ltr\">b</bdi>&gt;۱&lt;/<bdi dir=\"ltr\">b</bdi>&gt;")
    with translation.override("fa"):
        assert fatext(None) == ""
