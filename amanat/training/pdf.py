"""The certificate of completion: a one-page Persian PDF (WeasyPrint and Vazirmatn, like
the final list of candidates): always Persian, right to left, Jalali date, Persian
digits, the verification code and a QR code of the public verification page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation

from amanat.lib.jalali import format_jalali
from amanat.lib.pdf import html_to_pdf, vazirmatn_font_face_css
from amanat.lib.qr import qr_data_uri
from amanat.training.models import Completion

CERTIFICATE_CSS = """
@page { size: A4 landscape; margin: 16mm; }
html { direction: rtl; font-family: "Vazirmatn", sans-serif; font-size: 13pt; }
.frame { border: 3pt double #1f4e79; padding: 14mm 16mm; height: 150mm; position: relative; }
h1 { font-size: 24pt; margin: 0 0 8mm; color: #1f4e79; text-align: center; }
.name { font-size: 20pt; font-weight: 700; text-align: center; margin: 6mm 0; }
.course { font-size: 16pt; text-align: center; margin: 4mm 0 10mm; }
.meta { margin-top: 8mm; }
.code { direction: ltr; font-weight: 700; letter-spacing: 1pt; }
.qr { position: absolute; left: 14mm; bottom: 12mm; width: 32mm; height: 32mm; }
.url { direction: ltr; text-align: right; font-size: 9pt; color: #444; }
"""


def certificate_context(completion: Completion, *, verify_url: str) -> dict[str, Any]:
    day = timezone.localtime(completion.completed_at).date()
    return {
        "completion": completion, "course": completion.course,
        "election": completion.course.election,
        "date": format_jalali(day, persian_digits=True),
        "verify_url": verify_url, "qr": qr_data_uri(verify_url),
    }


def certificate_html(completion: Completion, *, verify_url: str) -> str:
    with translation.override("fa"):
        return render_to_string("training/certificate_pdf.html",
                                certificate_context(completion, verify_url=verify_url))


def certificate_pdf(completion: Completion, *, verify_url: str) -> bytes:
    css = vazirmatn_font_face_css(settings.NODE_MODULES) + CERTIFICATE_CSS
    return html_to_pdf(certificate_html(completion, verify_url=verify_url), css=css)
