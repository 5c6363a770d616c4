"""The printable Persian final list of a constituency (WeasyPrint, like the councils'
agenda and the atlas): always Persian, right to left, Jalali dates, Persian digits."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from amanat.candidates.models import FinalList, FinalListEntry
from amanat.core.templatetags.persian import code_text
from amanat.lib.jalali import format_jalali
from amanat.lib.pdf import html_to_pdf, vazirmatn_font_face_css
from amanat.lib.persian import to_persian_digits

LIST_CSS = """
@page { size: A4; margin: 18mm 16mm; }
html { direction: rtl; font-family: "Vazirmatn", sans-serif; font-size: 11pt; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
.sub { color: #444; margin-bottom: 10pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #999; padding: 4pt 6pt; text-align: right; }
th { background: #eee; }
.withdrawn { color: #777; text-decoration: line-through; }
.licence { margin-top: 12pt; font-size: 8pt; color: #555; direction: ltr; text-align: left; }
"""


def final_list_context(final: FinalList, entries: list[FinalListEntry], *, licence: str
                       ) -> dict[str, Any]:
    assert final.published_at is not None
    published = timezone.localtime(final.published_at).date()
    return {
        "final": final,
        "published": format_jalali(published, persian_digits=True),
        "rows": [{"order": to_persian_digits(str(e.ballot_order)), "name": e.ballot_name,
                  "code": code_text(e.candidacy.reference), "withdrawn": e.withdrawn_at is not None,
                  "withdrawn_on": format_jalali(timezone.localtime(e.withdrawn_at).date())
                  if e.withdrawn_at else ""}
                 for e in entries],
        "licence": licence,
    }


def final_list_html(final: FinalList, entries: list[FinalListEntry], *, licence: str) -> str:
    with translation.override("fa"):
        return render_to_string("candidates/final_list_pdf.html",
                                final_list_context(final, entries, licence=licence))


def final_list_pdf(final: FinalList, entries: list[FinalListEntry], *, licence: str) -> bytes:
    css = vazirmatn_font_face_css(settings.NODE_MODULES) + LIST_CSS
    return html_to_pdf(final_list_html(final, entries, licence=licence), css=css)
