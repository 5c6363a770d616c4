"""Writes of the incidents app: intake, the case state machine, locks, categories.

Every function is keyword-only, runs in one transaction and appends an audit event in
it.  ``report_receive`` is the single door for every channel (staff form, public form,
SMS): it stores the raw report first, and nothing else happens to it until triage.  The
API's report intake (amanat/intake/) runs the same ``report_prepare`` and stores a batch
of reports its own way, falling back to ``report_store`` for one that cannot go with it.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Agency
from amanat.audit.models import Event
from amanat.audit.services import (
    audit_append,
    audit_diff,
    audit_event,
    audit_record,
    audit_snapshot,
    jsonable,
)
from amanat.candidates.models import Candidacy
from amanat.core import changes
from amanat.core.errors import Digits, RuleError
from amanat.core.forms import jalali_problem
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents.evidence import MAX_FILES, CheckedFile
from amanat.incidents.models import (
    MAX_RESPONSE_HOURS,
    SEVERITY_MAX,
    SEVERITY_MIN,
    Case,
    CaseReport,
    CaseStep,
    Category,
    Channel,
    Evidence,
    Referral,
    Report,
    Status,
)
from amanat.lib.jalali import era_problem
from amanat.lib.persian import clean_text, normalize
from amanat.stations.models import Station

# RFC 4648 base32 without padding: upper case letters and 2–7, easy to read out and type.
_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
REFERENCE_LENGTH = 10  # 50 random bits: not guessable, and collisions are retried
LOCK_MINUTES = 15
MAX_TEXT = 5000

def _reference(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_B32) for _ in range(REFERENCE_LENGTH))


def _fields(obj: models.Model, names: Iterable[str]) -> dict[str, Any]:
    return audit_snapshot(obj, list(names))


# --- intake -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    report: Report
    created: bool  # False: a retry of a report already stored (same key or message id)


# What the audit log keeps of a report: not the text or the contact (the log is shown to
# outside verifiers), but a digest of the text so that the stored report can be checked.
REPORT_AUDIT_FIELDS = ("reference", "channel", "election", "station", "unit", "category",
                       "received_at", "submitted_by", "corrects")


# A report happens somewhere in a county: a province or the country is not a place.
_ABOVE_COUNTY = frozenset({Kind.COUNTRY, Kind.PROVINCE})


def _place(
    station: Station | None, unit: AdminUnit | None, election: Election | None
) -> tuple[AdminUnit, Election | None]:
    if station is not None:
        return station.unit or station.county, election or station.election
    if unit is None or unit.kind in _ABOVE_COUNTY:
        raise RuleError(_("give a polling station or a place (county or below)"),
                        code="no_place", field="unit")
    return unit, election or Election.objects.current()


def _clean_text(text: str) -> str:
    cleaned = normalize(text or "")
    if not cleaned:
        raise RuleError(_("the report text is empty"), code="required", field="text")
    if len(cleaned) > MAX_TEXT:
        raise RuleError(_("the report text is longer than %(limit)s characters"),
                        code="too_long", field="text", limit=MAX_TEXT)
    return cleaned


def report_receive(
    *,
    channel: str,
    category: Category,
    text: str,
    station: Station | None = None,
    unit: AdminUnit | None = None,
    election: Election | None = None,
    contact: str = "",
    payload: Mapping[str, Any] | None = None,
    client_key: str | None = None,
    actor: AnyUser | None = None,
    evidence: Iterable[CheckedFile] = (),
    corrects: Report | None = None,
) -> Received:
    """Store one raw report (and its checked evidence files) with its audit event.

    With ``client_key`` (an API idempotency key, an SMS message id) a repeat of a key
    already stored on this channel returns the stored report, ``created=False``.
    """
    return report_store(report_prepare(
        channel=channel, category=category, text=text, station=station, unit=unit,
        election=election, contact=contact, payload=payload, client_key=client_key,
        actor=actor, evidence=evidence, corrects=corrects,
    ))


@dataclass(frozen=True)
class PreparedReport:
    """A checked report and its audit event, built before the write transaction."""

    report: Report
    event: Event
    evidence: tuple[CheckedFile, ...]


def report_prepare(
    *,
    channel: str,
    category: Category,
    text: str,
    station: Station | None = None,
    unit: AdminUnit | None = None,
    election: Election | None = None,
    contact: str = "",
    payload: Mapping[str, Any] | None = None,
    client_key: str | None = None,
    actor: AnyUser | None = None,
    evidence: Iterable[CheckedFile] = (),
    corrects: Report | None = None,
) -> PreparedReport:
    """Everything ``report_receive`` does before writing: the checks, the row (with a
    drawn reference number) and the audit event.  ``report_store`` writes them; the
    API's intake (amanat/intake/reports.py) stores them its own way, so that its shared
    write transaction holds only the inserts."""
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    cleaned = _clean_text(text)
    place, election = _place(station, unit, election)
    user = signed_in(actor)
    report = Report(
        reference=_reference("R-"), channel=channel, election=election, station=station,
        unit=place, unit_path=place.path, category=category, text=clean_text(text),
        text_normalized=cleaned, contact=clean_text(contact, multiline=False)[:200],
        payload=dict(payload or {}), client_key=client_key or None,
        submitted_by=user, corrects=corrects,
    )
    files = tuple(evidence)
    event = audit_event(
        action="incidents.report.receive", actor=actor,
        actor_name=None if user else f"{channel}",
        unit=place, obj=report, after=_fields(report, REPORT_AUDIT_FIELDS),
        extra={"text_sha256": hashlib.sha256(cleaned.encode()).hexdigest(),
               "evidence": [hashlib.sha256(f.data).hexdigest() for f in files]},
    )
    return PreparedReport(report, event, files)


def report_store(prepared: PreparedReport) -> Received:
    """Write a prepared report, its evidence files and its audit event, in one transaction."""
    report = prepared.report
    # No savepoint when called inside a transaction: a failure rolls the caller back.
    with transaction.atomic(savepoint=False):
        if not _insert_report(prepared):
            # This key is stored already: a retry, or a concurrent copy committed first.
            found = _report_by_key(report.channel, report.client_key or "")
            assert found is not None
            return Received(found, False)
        for checked in prepared.evidence:
            _evidence_store(report, checked)
        prepared.event.object_id = str(report.pk)
        audit_append(prepared.event)
    return Received(report, True)


def _report_by_key(channel: str, client_key: str) -> Report | None:
    return Report.objects.filter(channel=channel, client_key=client_key).first()


def _insert_report(prepared: PreparedReport) -> bool:
    """Insert; False if the report's client key is stored already.  A (very unlikely)
    clash of reference numbers is retried with a new one."""
    report = prepared.report
    for _attempt in range(5):
        try:
            with transaction.atomic():
                report.save(force_insert=True)
            return True
        except IntegrityError:
            if report.client_key and _report_by_key(report.channel, report.client_key):
                return False
            report.reference = _reference("R-")
            prepared.event.after = jsonable(_fields(report, REPORT_AUDIT_FIELDS))
    raise IntegrityError("could not draw a unique reference number")


def _evidence_store(report: Report, checked: CheckedFile) -> Evidence:
    """Write the file as evidence/<generated name> in the default file storage (MEDIA_ROOT,
    or the database: decision 0006), then its row, in the caller's transaction."""
    evidence = Evidence(
        report=report, original_name=checked.original_name, content_type=checked.content_type,
        size=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(),
    )
    evidence.file.save(f"{uuid.uuid4().hex}.{checked.ext}", ContentFile(checked.data),
                       save=False)
    evidence.save()
    return evidence


# --- categories ----------------------------------------------------------------------------

CATEGORY_FIELDS = ("name_fa", "name_en", "agency", "severity", "response_hours", "active",
                   "sms_code")


def category_update(*, category: Category, changes: Mapping[str, Any], actor: AnyUser) -> Category:
    """Change a category's names, agency, severity or response target (national admins)."""
    unknown = set(changes) - set(CATEGORY_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    hours = changes.get("response_hours", category.response_hours)
    if not isinstance(hours, int) or not 1 <= hours <= MAX_RESPONSE_HOURS:
        raise RuleError(_("the response-time target must be from 1 to %(limit)s hours"),
                        code="out_of_range", field="response_hours", limit=MAX_RESPONSE_HOURS)
    with transaction.atomic():
        before = _fields(category, CATEGORY_FIELDS)
        for name, value in changes.items():
            setattr(category, name, value)
        category.full_clean()
        category.save()
        old, new = audit_diff(before, _fields(category, CATEGORY_FIELDS))
        audit_record(action="incidents.category.update", actor=actor, obj=category,
                     before=old, after=new)
    return category


# --- cases: opening and joining ----------------------------------------------------------

CASE_AUDIT_FIELDS = ("number", "status", "severity", "category", "agency", "unit", "station",
                     "due_at", "closed_at", "outcome")


def _step(case: Case, *, action: str, actor: AnyUser, before: dict[str, Any],
          from_status: str = "", note: str = "", extra: Mapping[str, Any] | None = None) -> None:
    CaseStep.objects.create(case=case, action=action, from_status=from_status,
                            to_status=case.status, note=note,
                            actor=signed_in(actor))
    old, new = audit_diff(before, _fields(case, CASE_AUDIT_FIELDS))
    audit_record(action=f"incidents.case.{action}", actor=actor, unit=case.unit, obj=case,
                 before=old or None, after=new or None, extra=extra)
    if case.station_id is not None:
        # The atlas's incident factor reads open and recent cases: it rescores the
        # station, its county and province once this step has committed.
        changes.announce(changes.StationChanged(station_id=case.station_id))


def _already_joined(report: Report) -> None:
    if CaseReport.objects.filter(report=report).exists():
        raise RuleError(_("report %(reference)s already belongs to a case"),
                        code="already_joined", field="report", reference=report.reference)


def case_open_from_report(*, report: Report, actor: AnyUser, now: datetime.datetime | None = None
                          ) -> Case:
    """Open a new case for a report: the category's severity and response-time target."""
    now = now or timezone.now()
    category = report.category
    with transaction.atomic():
        _already_joined(report)
        case = Case(
            election=report.election, unit=report.unit, unit_path=report.unit_path,
            station=report.station, category=category, severity=category.severity,
            status=Status.NEW, summary=report.text[:2000], opened_at=now,
            due_at=now + category.response_time,
        )
        for _attempt in range(5):
            case.number = _reference("C-")
            if not Case.objects.filter(number=case.number).exists():
                break
        case.save(force_insert=True)
        CaseReport.objects.create(case=case, report=report, attached_at=now,
                                  attached_by=signed_in(actor))
        _step(case, action="open", actor=actor, before={},
              extra={"report": report.reference})
    return case


def case_attach_report(*, case: Case, report: Report, actor: AnyUser) -> Case:
    """Join a report to an existing open case (a duplicate or a follow-up)."""
    with transaction.atomic():
        case = _for_update(case, actor)
        if not case.is_open:
            raise RuleError(_("a closed case takes no new reports; open a new case"),
                            code="illegal_transition")
        _already_joined(report)
        CaseReport.objects.create(case=case, report=report, attached_by=signed_in(actor))
        _step(case, action="attach", actor=actor, before=_fields(case, CASE_AUDIT_FIELDS),
              from_status=case.status, extra={"report": report.reference})
    return case


# --- cases: the state machine -----------------------------------------------------------


def _for_update(case: Case, actor: AnyUser) -> Case:
    """Re-read the case locked for this transaction; refuse if someone else holds it."""
    fresh = Case.objects.select_for_update().select_related("unit", "category").get(pk=case.pk)
    holder = fresh.lock_holder()
    if holder is not None and holder != getattr(actor, "pk", None):
        raise locked_error(fresh)
    return fresh


def locked_error(case: Case) -> RuleError:
    """The refusal naming who holds the case's edit lock and until when."""
    name = case.locked_by.get_username() if case.locked_by else "?"
    until = timezone.localtime(case.locked_until).strftime("%H:%M") if case.locked_until else ""
    return RuleError(
        _("case %(number)s is being edited by %(user)s until %(until)s; try again later"),
        code="locked", number=case.number, user=name, until=Digits(until),
    )


def _status_label(value: str) -> str | Promise:
    """A status's (lazy) label; a stored value outside the choices as it is."""
    return Status(value).label if value in Status.values else value


def _transition(case: Case, target: str) -> str:
    # A case in a status outside the choices (an old row) has no way on: refused, not 500.
    if target not in case.next_statuses():
        # The labels are lazy: said in the reader's language with the message.
        raise RuleError(_("a case that is “%(source)s” cannot become “%(target)s”"),
                        code="illegal_transition", field="status",
                        source=_status_label(case.status), target=_status_label(target))
    previous = case.status
    case.status = target
    return previous


def _move(case: Case, *, target: str, action: str, actor: AnyUser, note: str = "",
          changes: Mapping[str, Any] | None = None,
          extra: Mapping[str, Any] | None = None) -> Case:
    with transaction.atomic():
        case = _for_update(case, actor)
        before = _fields(case, CASE_AUDIT_FIELDS)
        previous = _transition(case, target)
        for name, value in (changes or {}).items():
            setattr(case, name, value)
        case.locked_by, case.locked_until = None, None  # the step ends the edit
        case.save()
        _step(case, action=action, actor=actor, before=before, from_status=previous, note=note,
              extra=extra)
    return case


def case_triage(*, case: Case, actor: AnyUser, severity: int | None = None,
                category: Category | None = None, note: str = "") -> Case:
    """Confirm or correct category and severity; the response clock follows severity."""
    changes: dict[str, Any] = {}
    if category is not None and category.pk != case.category_id:
        changes["category"] = category
        changes["due_at"] = case.opened_at + category.response_time
    if severity is not None:
        if not SEVERITY_MIN <= severity <= SEVERITY_MAX:
            raise RuleError(_("severity must be 1 to 4"), code="out_of_range",
                            field="severity")
        changes["severity"] = severity
    return _move(case, target=Status.TRIAGED, action="triage", actor=actor, note=note,
                 changes=changes)


def case_assign(*, case: Case, actor: AnyUser, agency: Agency | None = None, note: str = ""
                ) -> Case:
    """Route the case to an agency: the category's responsible agency unless another is
    chosen."""
    chosen = agency or case.category.agency
    return _move(case, target=Status.ASSIGNED, action="assign", actor=actor, note=note,
                 changes={"agency": chosen})


def case_start(*, case: Case, actor: AnyUser, note: str = "") -> Case:
    return _move(case, target=Status.IN_PROGRESS, action="start", actor=actor, note=note)


def case_refer(*, case: Case, actor: AnyUser, office: str, referred_on: datetime.date,
               their_reference: str = "", note: str = "") -> Case:
    """Refer to the prosecutor or another body, recording office, date and their number."""
    office = clean_text(office, multiline=False)
    if not office:
        raise RuleError(_("name the office the case is referred to"), code="required",
                        field="office")
    problem = era_problem(referred_on)
    if problem is not None:
        raise RuleError(_("referral date: %(problem)s"), code=problem.reason,
                        field="referred_on", problem=jalali_problem(problem))
    with transaction.atomic():
        case = _move(case, target=Status.REFERRED, action="refer", actor=actor, note=note,
                     extra={"office": office, "referred_on": referred_on,
                            "their_reference": their_reference})
        Referral.objects.create(
            case=case, office=office, referred_on=referred_on, note=note,
            their_reference=clean_text(their_reference, multiline=False),
            created_by=signed_in(actor),
        )
    return case


def _outcome(outcome: str) -> str:
    cleaned = clean_text(outcome or "")
    if not cleaned:
        raise RuleError(_("write the outcome before closing the case"), code="required",
                        field="outcome")
    return cleaned


def case_resolve(*, case: Case, actor: AnyUser, outcome: str) -> Case:
    return _move(case, target=Status.RESOLVED, action="resolve", actor=actor,
                 changes={"outcome": _outcome(outcome), "closed_at": timezone.now()})


def case_dismiss(*, case: Case, actor: AnyUser, outcome: str) -> Case:
    return _move(case, target=Status.DISMISSED, action="dismiss", actor=actor,
                 changes={"outcome": _outcome(outcome), "closed_at": timezone.now()})


# --- cases: the candidate a campaign violation is about ------------------------------------


def case_candidate_set(*, case: Case, actor: AnyUser, candidacy: Candidacy | None,
                       note: str = "") -> Case:
    """Name the candidate the case is about (or clear it): a candidate registered with the
    county office of the case's place, in the case's election. Audited; the case's status
    does not change."""
    note = clean_text(note or "")[:2000]
    with transaction.atomic():
        case = _for_update(case, actor)
        before = _fields(case, CASE_AUDIT_FIELDS)
        if candidacy is not None:
            if not case.unit_path.startswith(candidacy.unit_path):
                raise RuleError(_("Candidate %(reference)s is not registered in the county "
                                  "of this case."), code="other_county", field="candidacy",
                                reference=candidacy.reference)
            if case.election_id is not None and candidacy.election_id != case.election_id:
                raise RuleError(_("Candidate %(reference)s stands in another election."),
                                code="other_election", field="candidacy",
                                reference=candidacy.reference)
        previous = case.candidacy
        if (previous.pk if previous else None) == (candidacy.pk if candidacy else None):
            return case
        case.candidacy = candidacy
        case.save(update_fields=["candidacy", "updated_at"])
        _step(case, action="candidate", actor=actor, before=before, from_status=case.status,
              note=note, extra={"before": previous.reference if previous else None,
                                "after": candidacy.reference if candidacy else None})
    return case


# --- cases: edit locks --------------------------------------------------------------------


def case_lock(*, case: Case, actor: AnyUser, minutes: int = LOCK_MINUTES) -> Case:
    """Lock the case to ``actor`` for a while; renewing one's own lock extends it."""
    with transaction.atomic():
        case = _for_update(case, actor)
        renewing = case.lock_holder() == actor.pk
        case.locked_by = signed_in(actor)
        case.locked_until = timezone.now() + datetime.timedelta(minutes=minutes)
        case.save(update_fields=["locked_by", "locked_until", "updated_at"])
        if not renewing:
            audit_record(action="incidents.case.lock", actor=actor, unit=case.unit, obj=case,
                         after={"locked_until": case.locked_until})
    return case


def case_unlock(*, case: Case, actor: AnyUser) -> Case:
    with transaction.atomic():
        case = _for_update(case, actor)
        if case.lock_holder() is None:
            return case
        case.locked_by, case.locked_until = None, None
        case.save(update_fields=["locked_by", "locked_until", "updated_at"])
        audit_record(action="incidents.case.unlock", actor=actor, unit=case.unit, obj=case)
    return case


# --- cases: more evidence -------------------------------------------------------------


def case_evidence_add(*, case: Case, files: Sequence[CheckedFile], actor: AnyUser,
                      note: str = "") -> Report:
    """Attach more evidence files to an open case.

    Evidence always belongs to a report and reports are append-only, so the files come in
    as a new staff report on the case's place and category, joined to the case at once;
    the case's timeline and the audit log both show the step.  The files must already
    have passed ``evidence.check_upload`` (the same size and type rules as intake).
    """
    if not files:
        raise RuleError(_("choose an evidence file"), code="required", field="evidence")
    if len(files) > MAX_FILES:
        raise RuleError(_("at most %(limit)s files at once"), code="too_many",
                        field="evidence", limit=MAX_FILES)
    with transaction.atomic():
        case = _for_update(case, actor)
        if not case.is_open:
            raise RuleError(_("a closed case takes no new evidence"),
                            code="illegal_transition")
        text = clean_text(note) or str(_("New evidence for case %(number)s")
                                        % {"number": case.number})
        report = report_receive(
            channel=Channel.WEB, category=case.category, text=text, station=case.station,
            unit=case.unit, election=case.election, actor=actor, evidence=files,
            payload={"form": "case_evidence", "case": case.number},
        ).report
        CaseReport.objects.create(case=case, report=report, attached_by=signed_in(actor))
        _step(case, action="evidence", actor=actor, before=_fields(case, CASE_AUDIT_FIELDS),
              from_status=case.status, note=clean_text(note),
              extra={"report": report.reference,
                     "evidence": list(report.evidence.values_list("sha256", flat=True))})
    return report


def evidence_download_record(*, evidence: Evidence, actor: AnyUser) -> None:
    """Evidence leaving the system is recorded: who took which file of which report."""
    report = evidence.report
    audit_record(action="incidents.evidence.download", actor=actor, unit=report.unit,
                 obj=evidence, extra={"report": report.reference})
