"""The printable Persian agenda of a meeting (WeasyPrint).

Always Persian, right to left, whatever the UI language: it is handed out on paper at
the council's table.  Dates are Jalali with Persian digits.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from amanat.councils.models import Meeting
from amanat.lib.jalali import format_jalali
from amanat.lib.pdf import html_to_pdf, vazirmatn_font_face_css
from amanat.lib.persian import to_persian_digits

AGENDA_CSS = """
@page { size: A4; margin: 18mm 16mm; }
html { direction: rtl; font-family: "Vazirmatn", sans-serif; font-size: 11pt; }
h1 { font-size: 16pt; margin: 0 0 4pt; }
.sub { color: #444; margin-bottom: 10pt; }
.fact { margin: 0 0 3pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #999; padding: 4pt 6pt; text-align: right; vertical-align: top; }
th { background: #eee; }
.serious { font-weight: 700; color: #a40000; }
.carried { color: #555; font-size: 9pt; }
ul { margin: 0; padding-right: 14pt; }
"""


def agenda_context(meeting: Meeting, agenda: list[Any]) -> dict[str, Any]:
    """The agenda is always Persian, whatever the UI language: labels from the catalog."""
    with translation.override("fa"):
        return _agenda_context(meeting, agenda)


def _agenda_context(meeting: Meeting, agenda: list[Any]) -> dict[str, Any]:
    council = meeting.council
    rows = []
    for item in agenda:
        case = item.case
        rows.append({
            "order": to_persian_digits(str(item.order)),
            "title": item.title,
            "note": item.note,
            "case": case.number if case else "",
            "serious": bool(case and case.is_serious),
            "status": str(case.get_status_display()) if case else "",
            "carried": item.carried_over,
        })
    return {
        "council": council.name,
        "kind": str(council.get_kind_display()),
        "unit": council.unit.name,
        "number": to_persian_digits(str(meeting.number)),
        "date": format_jalali(meeting.held_on, persian_digits=True),
        "date_long": format_jalali(meeting.held_on, persian_digits=True, fmt="long"),
        "time": to_persian_digits(meeting.starts_at.strftime("%H:%M")) if meeting.starts_at
        else "",
        "place": meeting.place,
        "rows": rows,
        "attendees": meeting.attendee_list(),
    }


def agenda_html(meeting: Meeting, agenda: list[Any]) -> str:
    with translation.override("fa"):
        return render_to_string("councils/agenda_pdf.html", agenda_context(meeting, agenda))


def agenda_pdf(meeting: Meeting, agenda: list[Any]) -> bytes:
    css = vazirmatn_font_face_css(settings.NODE_MODULES) + AGENDA_CSS
    return html_to_pdf(agenda_html(meeting, agenda), css=css)
