"""Printable Persian PDFs of the staffing app (WeasyPrint with Vazirmatn, like the final
lists and the atlas): a station's roster for election day, a county's roster, and an
appointment letter with its verification code and a QR code of its public check (the
training certificate's, ``lib.qr.qr_data_uri``).  Always Persian, right to left, Jalali
dates, Persian digits; every PDF produced is recorded (it carries personal data)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser
from amanat.audit.services import audit_record
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit
from amanat.lib.jalali import format_jalali
from amanat.lib.pdf import html_to_pdf, vazirmatn_font_face_css
from amanat.lib.qr import qr_data_uri
from amanat.staffing import rules
from amanat.staffing.assignment import roster_read
from amanat.staffing.models import Assignment
from amanat.staffing.people_table import POST_FA
from amanat.stations.models import Station

CSS = """
@page { size: A4; margin: 18mm 16mm; }
html { direction: rtl; font-family: "Vazirmatn", sans-serif; font-size: 11pt; }
h1 { font-size: 15pt; margin: 0 0 4pt; }
h2 { font-size: 12pt; margin: 12pt 0 4pt; }
.sub { color: #444; margin-bottom: 10pt; }
table { width: 100%; border-collapse: collapse; }
th, td { border: 0.5pt solid #999; padding: 4pt 6pt; text-align: right; }
th { background: #eee; }
.code { direction: ltr; font-family: monospace; font-size: 13pt; }
.letter p { line-height: 1.9; }
.letter .qr { width: 32mm; height: 32mm; margin-top: 6pt; }
.url { direction: ltr; text-align: right; font-size: 8pt; color: #444; }
"""
ORDER = {p: i for i, p in enumerate(StationPost.values)}


def _render(template: str, context: dict[str, Any]) -> bytes:
    with translation.override("fa"):
        html = render_to_string(template, context | {
            "today": format_jalali(timezone.localdate(), persian_digits=True)})
    return html_to_pdf(html, css=vazirmatn_font_face_css(settings.NODE_MODULES) + CSS)


def _rows(assignments: list[Assignment]) -> list[dict[str, Any]]:
    assignments.sort(key=lambda a: (a.station.code, ORDER.get(a.post, 9), a.slot))
    return [{"station": a.station, "post": POST_FA.get(a.post, a.post), "slot": a.slot,
             "member": a.post == StationPost.MEMBER, "name": a.person.full_name,
             "code": a.verification_code} for a in assignments]


def station_roster_pdf(*, actor: AnyUser, station: Station) -> bytes:
    assignments = list(Assignment.objects.filter(station=station)
                       .select_related("person", "station"))
    data = _render("staffing/roster_pdf.html", {
        "title": f"{station.code} {station.name}", "election": station.election,
        "rows": _rows(assignments), "county": station.county})
    audit_record(action="staffing.roster.pdf", actor=actor, unit=station.county, obj=station)
    return data


def county_roster_pdf(*, actor: AnyUser, election: Election, county: AdminUnit) -> bytes:
    assignments = list(Assignment.objects.filter(election=election, county=county)
                       .select_related("person", "station"))
    data = _render("staffing/roster_pdf.html", {
        "title": county.name, "election": election, "rows": _rows(assignments),
        "county": county, "by_station": True})
    audit_record(action="staffing.roster.pdf", actor=actor, unit=county, obj=county)
    return data


def letter_pdf(*, actor: AnyUser, assignment: Assignment, verify_url: str) -> bytes:
    """``verify_url``: the public check's full address with the letter's code (a paper
    letter needs the site's address, not a path).  Only from an approved roster: a draft
    may still change, and a printed letter would name someone who may not serve (the
    public check refuses a draft's codes too)."""
    if not roster_read(assignment.election, assignment.county).locked:
        raise RuleError(_("The roster of %(county)s is still a draft: approve it before "
                          "printing appointment letters."), code="roster_draft",
                        county=assignment.county.name)
    problems = rules.broken([assignment])
    if problems:
        raise RuleError(_("This post breaks a rule now, so its letter is not printed: "
                          "%(problem)s"), code="rules_broken", problem=problems[0][1].message)
    data = _render("staffing/letter_pdf.html", {
        "a": assignment, "post": POST_FA.get(assignment.post, assignment.post),
        "verify_url": verify_url, "qr": qr_data_uri(verify_url),
        "election": assignment.election, "county": assignment.county})
    audit_record(action="staffing.letter.pdf", actor=actor, unit=assignment.county,
                 obj=assignment)
    return data
