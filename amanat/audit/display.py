"""The audit log as people read it: translated actions, labelled before/after values.

The log stores what changed as plain JSON (field names, ids, ISO dates: see
``audit_snapshot``), which is what the verifier hashes and what an export carries.  Every
page that lists events shows them through :func:`describe_events` and the template
``audit/_event_rows.html``: the action by its label, each changed field by the model
field's verbose name, choices by their labels, dates in the Jalali calendar, numbers in
the page's digits, related objects by name, and fields that only the software reads
(search keys, paths, map cells, timestamps it keeps itself) left out.  The stored events
never change.

The action labels are one table here (strings only: naming an action imports nothing
from the app that writes it); a test checks that every action the code writes has one.
"""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from amanat.audit.models import Event
from amanat.core.identity import mask_personal
from amanat.core.templatetags.persian import (
    fadigits,
    jdate,
    jdatetime_filter,
    list_separator,
    localize_digits,
    localize_number,
    ltr,
)

ACTION_LABELS: dict[str, Promise] = {
    # accounts and sign-in
    "auth.sign_in": _("Signed in"),
    "auth.login": _("Signed in"),
    "auth.sign_in_failed": _("Failed sign-in"),
    "auth.login_failed": _("Failed sign-in"),
    "auth.sign_in_failed_repeated": _("Repeated failed sign-ins"),
    "auth.totp_enrol": _("Second factor set up"),
    "auth.totp_failed": _("Wrong second-factor code"),
    "auth.totp_failed_repeated": _("Repeated wrong second-factor codes"),
    "auth.totp_reset": _("Second factor reset"),
    "auth.password_check_failed": _("Wrong current password"),
    "auth.password_check_failed_repeated": _("Repeated wrong current passwords"),
    "access.denied": _("Access denied"),
    "membership.grant": _("Role granted"),
    "membership.revoke": _("Role revoked"),
    "user.deactivate": _("Account deactivated"),
    "user.password_change": _("Password changed"),
    "profile.language": _("Language chosen"),
    "api_token.issue": _("API token issued"),
    "api_token.revoke": _("API token revoked"),
    "api_token.revoke_all": _("API tokens revoked (second factor now required)"),
    "api_token.bind": _("API token bound to stations"),
    "admin.action": _("Bulk action in the back office"),
    # the audit log itself
    "audit.export": _("Audit log downloaded"),
    "audit.checkpoint_new_series": _("New checkpoint series"),
    "audit.checkpoint_refused": _("Checkpoint refused"),
    # geography and elections
    "geo.import": _("Geography imported"),
    "geo.import_boundaries": _("Boundaries imported"),
    "election.create": _("Election created"),
    "contest.create": _("Contest created"),
    "contest.registration": _("Contest's registration window set"),
    "phase.set": _("Phase set"),
    "milestone.create": _("Milestone created"),
    "milestone.update": _("Milestone changed"),
    # stations
    "station.create": _("Station created"),
    "station.update": _("Station changed"),
    "station.delete": _("Station deleted"),
    "station.import": _("Stations imported"),
    "station.export": _("Stations downloaded"),
    "station.demo_seed": _("Demo stations created"),
    "stations.import.errors_download": _("Import errors downloaded"),
    "stations.staffed.update": _("Stations' staffed state updated"),
    # incidents
    "incidents.report.receive": _("Report received"),
    "incidents.case.open": _("Case opened"),
    "incidents.case.attach": _("Report joined"),
    "incidents.case.triage": _("Triaged"),
    "incidents.case.assign": _("Assigned to an agency"),
    "incidents.case.start": _("Work started"),
    "incidents.case.refer": _("Referred"),
    "incidents.case.resolve": _("Resolved"),
    "incidents.case.dismiss": _("Dismissed"),
    "incidents.case.evidence": _("Evidence added"),
    "incidents.case.candidate": _("Candidate named"),
    "incidents.case.lock": _("Case locked"),
    "incidents.case.unlock": _("Case unlocked"),
    "incidents.category.update": _("Category changed"),
    "incidents.evidence.download": _("Evidence downloaded"),
    "incidents.demo_seed": _("Demo incidents created"),
    # councils
    "councils.council.create": _("Council created"),
    "councils.meeting.create": _("Meeting created"),
    "councils.meeting.update": _("Meeting changed"),
    "councils.agenda.add": _("Agenda item added"),
    "councils.agenda.export": _("Agenda downloaded"),
    "councils.decision.add": _("Decision added"),
    "councils.action.add": _("Action item added"),
    "councils.action.open": _("Action item reopened"),
    "councils.action.done": _("Action item done"),
    "councils.action.cancelled": _("Action item cancelled"),
    # atlas
    "atlas.assessment.create": _("Risk assessment added"),
    "atlas.county_history.set": _("County history set"),
    "atlas.national_tier.set": _("National tier set"),
    "atlas.recompute": _("Risk scores recomputed"),
    "atlas.required_measure.create": _("Required measure added"),
    "atlas.snapshot": _("Risk scores saved for the day"),
    "atlas.thresholds.set": _("Tier thresholds set"),
    "atlas.catalogue.set": _("Factor weights changed (new catalogue version)"),
    "atlas.export_pdf": _("County atlas downloaded"),
    "atlas.demo_seed": _("Demo risk data created"),
    # files (docs/decisions/0006-files-in-postgresql.md)
    "files.copy_media": _("Uploaded files copied into the database"),
    # candidates
    "candidates.constituencies.load": _("Constituencies loaded from the geography"),
    "candidates.constituency.update": _("Constituency changed"),
    "candidates.candidacy.register": _("Candidate registered"),
    "candidates.register.refused": _("Candidate registration refused"),
    "candidates.candidacy.confirm": _("Candidate registration confirmed"),
    "candidates.candidacy.read": _("Candidate's national ID and mobile viewed"),
    "candidates.candidacy.supersede": _("Online pre-registration replaced by registration "
                                        "in person"),
    "candidates.document.upload": _("Dossier document received"),
    "candidates.document.reject": _("Dossier document rejected"),
    "candidates.document.download": _("Dossier document downloaded"),
    "candidates.relative.declare": _("Candidate's relative declared"),
    # the review half (issue 13)
    "candidates.inquiry.send": _("Inquiries sent"),
    "candidates.inquiry.answer": _("Inquiry answer recorded"),
    "candidates.inquiry.answer_batch": _("Inquiry answers recorded in bulk"),
    "candidates.inquiry.refused": _("Inquiry answer refused to a party to the case"),
    "candidates.inquiry.view": _("Confidential inquiry answers viewed"),
    "candidates.decision.make": _("Executive board decision"),
    "candidates.decision.confirmed": _("Decision confirmed by the supervision board"),
    "candidates.decision.overturned": _("Decision overturned by the supervision board"),
    "candidates.decision.refused": _("Board decision refused"),
    "candidates.complaint.file": _("Candidate complaint recorded"),
    "candidates.complaint.refused": _("Candidate complaint refused"),
    "candidates.complaint.upheld": _("Candidate complaint upheld"),
    "candidates.complaint.rejected": _("Candidate complaint rejected"),
    "candidates.final_list.publish": _("Final list published"),
    "candidates.final_list.withdraw": _("Withdrawal from the final list recorded"),
    # boards (issue 14)
    "boards.board.create": _("Board formed"),
    "boards.member.appoint": _("Board member appointed"),
    "boards.member.replace": _("Board member replaced"),
    "boards.member.end": _("Board member's service ended"),
    "boards.member.chair": _("Board chair set"),
    "boards.board.read": _("Board members' national IDs viewed"),
    # security plans
    "plans.threat.create": _("Threat added"),
    "plans.threat.rate": _("Threat rated"),
    "plans.measure.create": _("Measure added"),
    "plans.measure.report": _("Measure progress reported"),
    "plans.measure.from_tier": _("Measures added from the atlas tier"),
    "plans.directive.create": _("Directive drafted"),
    "plans.directive.measure_add": _("Measure added to the directive"),
    "plans.directive.issue": _("Directive issued"),
    "plans.localisation.start": _("Localisation started"),
    "plans.localisation.update": _("Localisation changed"),
    "plans.localisation.approve": _("Localisation approved"),
    "plans.scenario.create": _("Scenario added"),
    "plans.scenario.update": _("Scenario changed"),
    "plans.indicator.create": _("Scenario indicator added"),
    "plans.indicator.update": _("Scenario indicator changed"),
    "plans.playbook.step_add": _("Playbook step added"),
    "plans.playbook.step_remove": _("Playbook step removed"),
    "plans.alert.fire": _("Alert raised"),
    "plans.alert.acknowledge": _("Alert acknowledged"),
    "plans.alert.clear": _("Alert cleared"),
    "plans.playbook.start": _("Playbook started"),
    "plans.playbook.step_done": _("Playbook step done"),
    "plans.playbook.step_skipped": _("Playbook step skipped"),
    "plans.playbook.complete": _("Playbook completed"),
    "plans.plan.create": _("Security plan drafted"),
    "plans.plan.update": _("Security plan changed"),
    "plans.plan.in_review": _("Security plan sent to the member agencies"),
    "plans.plan.approved": _("Security plan approved by the governor"),
    "plans.plan.sent": _("Security plan sent to the province"),
    "plans.plan.comment": _("Comment added to the security plan"),
    "plans.plan.export": _("Security plan downloaded"),
    # station staffing
    "staffing.person.create": _("Person added to the staff register"),
    "staffing.person.update": _("Staff register entry changed"),
    "staffing.person.read": _("Person's national ID and mobile viewed"),
    "staffing.people.import": _("People imported into the staff register"),
    "staffing.people.export": _("Staff register downloaded"),
    "staffing.assignment.set": _("Person assigned to a station post"),
    "staffing.assignment.clear": _("Person removed from a station post"),
    "staffing.roster.assign_queued": _("Station staff assignment started"),
    "staffing.roster.assign": _("Station staff assigned by the solver"),
    "staffing.roster.approve": _("Station staff roster approved"),
    "staffing.roster.reopen": _("Station staff roster reopened"),
    "staffing.roster.export": _("Station staff roster downloaded"),
    "staffing.roster.pdf": _("Station staff roster printed"),
    "staffing.letter.pdf": _("Appointment letter printed"),
    # training (issue 14)
    "training.course.create": _("Training course created"),
    "training.session.read": _("Training session's national IDs and mobiles viewed"),
    "training.course.update": _("Training course changed"),
    "training.questions.replace": _("Assessment questions saved"),
    "training.session.create": _("Training session added"),
    "training.session.update": _("Training session changed"),
    "training.enrolment.create": _("Person enrolled on a course"),
    "training.attendance.mark": _("Attendance taken"),
    "training.attendance.import": _("Attendance sheet imported"),
    "training.attendance.export": _("Attendance list downloaded"),
    "training.attempt.record": _("Assessment answers recorded"),
    "training.completion.record": _("Course completions recorded"),
    "training.completions.export": _("Course completions downloaded"),
    "training.certificate.download": _("Training certificate downloaded"),
    # election day by SMS (issue 16)
    "operations.staff.remind": _("Station staff reminded by SMS"),
    # election day (issue 16)
    "operations.checkin.receive": _("Station check-in received"),
    # election day (issue 16): the watch, alerts, flags and rules (opswatch)
    "operations.day.prepare": _("Election-day station rows prepared"),
    "operations.windows.create": _("Election-day check-in windows created"),
    "operations.watch.run": _("Silent-station watch raised or escalated alerts"),
    "operations.alert.acknowledge": _("Election-day alert acknowledged"),
    "operations.alert.note": _("Note added to an election-day alert"),
    "operations.alert.close": _("Election-day alert closed"),
    "operations.alert.staff_read": _("Station staff's mobiles viewed on an election-day alert"),
    "operations.flag.verify": _("Flagged check-in verified"),
    "operations.flag.correct": _("Flagged check-in corrected"),
    "operations.qualityrule.create": _("Quality rule added"),
    "operations.qualityrule.update": _("Quality rule changed"),
    "profile.mobile": _("Mobile number for alerts changed"),
    # election day (issue 16): the dashboard's branch
    "operations.windows.update": _("Election-day windows and settings changed"),
    "operations.windows.retime": _("Election-day windows moved for a simulation"),
    "operations.windows.restore": _("Election-day windows put back on the real day"),
    "operations.checkin.bulk": _("Election-day check-ins written in bulk (simulation)"),
    # election day: maker-checker on flagged figures (ckrules)
    "operations.flag.refused": _("Verifying one's own flagged figures refused"),
    # election day: a reporter's resent figure supersedes their held one (ckfix, F16)
    "operations.checkin.supersede": _("Held check-in superseded by the same reporter's resend"),
    # election day: the tables reconciled with the log (opsverify)
    "operations.verify": _("Election-day tables checked against the audit log"),
}

# Keys of ``extra`` and of snapshots that no model field names (counts, file facts).
KEY_LABELS: dict[str, Promise] = {
    "created": _("created"), "updated": _("updated"), "unchanged": _("unchanged"),
    "file": _("file"), "sha256": _("SHA-256 fingerprint"), "rows": _("rows"),
    "election": _("election"), "ip": _("IP address"), "attempted": _("attempted"),
    "reason": _("reason"), "format": _("format"), "count": _("count"),
    "rule_errors": _("quality rules that could not run"),
    "disputed": _("check-ins disputed by this one"),
    "flagged_again": _("rules the corrected figures still break"),
    "superseded": _("held check-ins of the same reporter superseded by this one"),
    "superseded_by": _("superseded by the check-in"),
    "mismatches": _("differences from the audit log"),
    "clean": _("tables agree with the log"),
    "by_kind": _("differences by kind"), "named": _("differences named"),
    "checkins": _("check-ins read"), "days": _("stations' days read"),
    "events": _("audit events read"),
}

# Never shown: what the software derives or keeps for itself.
_HIDDEN_KEYS = {"id", "pk", "h3_cell", "search_text", "name_key", "unit_path", "path",
                "created_at", "updated_at"}
_EMPTY = "—"


@dataclass
class Change:
    label: str
    before: SafeString | str | None
    after: SafeString | str | None


# Where a record of each type is read: (URL name, how the URL takes the id).  Only types
# with a page of their own; the link is shown to a reader whose roles may open it.
OBJECT_PAGES: dict[str, str] = {
    "stations.station": "stations:detail",
    "incidents.case": "incidents:case",
    "incidents.report": "incidents:report",
    "councils.council": "councils:council",
    "councils.meeting": "councils:meeting",
    "geo.adminunit": "geo:unit",
    "accounts.membership": "accounts_membership",
}


@dataclass
class EventView:
    """One event as shown: ``changes`` pair before/after; ``details`` are ``extra``.

    ``sentence`` says it in the reader's language (who did what to which record, when,
    from where); ``object_url`` is the record's page when the reader may open it;
    ``raw`` is the stored event as JSON, for the reader who wants it as it is."""

    event: Event
    action_label: str
    object_label: SafeString | str
    changes: list[Change] = field(default_factory=list)
    details: list[Change] = field(default_factory=list)
    sentence: SafeString | str = ""
    object_url: str = ""
    raw: str = ""


def action_label(action: str) -> SafeString | str:
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else ltr(action)


def _model(object_type: str) -> type[models.Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


class _Names:
    """Names of the related objects the shown events point at: one query per model."""

    def __init__(self) -> None:
        self.wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
        self.found: dict[tuple[type[models.Model], str], str] = {}

    def want(self, model: type[models.Model], pk: Any) -> None:
        # Ids only: some snapshots name a related object by slug or code instead.
        if isinstance(pk, int) and not isinstance(pk, bool):
            self.wanted[model].add(pk)
        elif isinstance(pk, str) and pk.isascii() and pk.isdigit():
            self.wanted[model].add(int(pk))

    def load(self) -> None:
        for model, pks in self.wanted.items():
            for obj in model._default_manager.filter(pk__in=pks):
                self.found[(model, str(obj.pk))] = localize_digits(str(obj))

    def get(self, model: type[models.Model], pk: Any) -> str | None:
        return self.found.get((model, str(pk)))


def _shown(model: type[models.Model] | None, key: str) -> bool:
    if key in _HIDDEN_KEYS or key.endswith(("_key", "_path")):
        return False
    found = _field(model, key)
    return found is None or found.editable or found.is_relation


def _label(model: type[models.Model] | None, key: str) -> str:
    found = _field(model, key)
    if found is not None:
        return capfirst(str(found.verbose_name))
    known = KEY_LABELS.get(key)
    return capfirst(str(known)) if known is not None else ltr(key)


def _number(value: Any) -> str:
    try:
        number: int | Decimal = value if isinstance(value, int) else Decimal(str(value))
    except InvalidOperation:
        return localize_digits(str(value))
    return fadigits(number)


def _value(value: Any, found: models.Field[Any, Any] | None, names: _Names) -> SafeString | str:
    """One stored value in words: choice label, yes/no, Jalali date, name, number."""
    if value is None or value == "" or value == []:
        return _EMPTY
    if isinstance(value, list):
        # Each part is escaped here (a part that is already HTML, ``ltr``'s, stays as it
        # is): the values are what people typed.
        return format_html_join(list_separator(), "{}", ((_value(v, found, names),) for v in value))
    if isinstance(value, Mapping):
        return format_html_join(list_separator(), "{}: {}",
                                ((k, _value(v, None, names)) for k, v in value.items()))
    if isinstance(value, bool) or isinstance(found, models.BooleanField):
        return str(_("Yes") if value else _("No"))
    if found is not None and found.choices:
        label = dict(found.flatchoices).get(value)
        if label is not None:
            return str(label)
    if found is not None and found.is_relation and found.related_model is not None:
        related = found.related_model
        name = names.get(related, value) if isinstance(related, type) else None
        if name is not None:
            return name
        if isinstance(value, int) or str(value).isdigit():
            return ltr(f"#{localize_digits(str(value))}")
        return ltr(str(value))  # a slug or code stands for the object
    return _scalar(value, found)


def _scalar(value: Any, found: models.Field[Any, Any] | None) -> SafeString | str:
    if isinstance(found, models.DateTimeField) or (found is None and _is_iso_time(value)):
        moment = parse_datetime(str(value))
        if moment is not None:
            return jdatetime_filter(moment)
    if isinstance(found, models.DateField) or (found is None and _is_iso_date(value)):
        day = parse_date(str(value))
        if day is not None:
            return jdate(day)
    numeric = (models.IntegerField, models.FloatField, models.DecimalField)
    if isinstance(value, int) or isinstance(found, numeric):
        return _number(value)
    text = str(value)
    # A code or reference (no letters of a right-to-left script) keeps its order.
    if not any("\u0600" <= ch <= "\u06ff" for ch in text):
        return ltr(localize_number(text) if text.replace("-", "").isdigit() else text)
    return localize_number(text)


def _is_iso_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and parse_date(value) is not None


def _is_iso_time(value: Any) -> bool:
    return isinstance(value, str) and "T" in value and parse_datetime(value) is not None


def _want_names(event: Event, model: type[models.Model] | None, names: _Names) -> None:
    if model is not None and event.object_id:
        names.want(model, event.object_id)
    for data in (event.before, event.after, event.extra):
        if not isinstance(data, Mapping):
            continue
        for key, value in data.items():
            found = _field(model, key)
            if found is not None and found.is_relation and isinstance(found.related_model, type):
                for one in value if isinstance(value, list) else [value]:
                    names.want(found.related_model, one)


def _changes(event: Event, model: type[models.Model] | None, names: _Names) -> list[Change]:
    before = event.before if isinstance(event.before, Mapping) else {}
    after = event.after if isinstance(event.after, Mapping) else {}
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        if not _shown(model, key):
            continue
        found = _field(model, key)
        rows.append(Change(
            label=_label(model, key),
            before=_value(before[key], found, names) if key in before else None,
            after=_value(after[key], found, names) if key in after else None,
        ))
    return rows


def _details(event: Event, model: type[models.Model] | None, names: _Names) -> list[Change]:
    extra = event.extra if isinstance(event.extra, Mapping) else {}
    return [Change(label=_label(model, key), before=None,
                   after=_value(value, _field(model, key), names))
            for key, value in extra.items() if _shown(model, key)]


def _object_label(event: Event, model: type[models.Model] | None,
                  names: _Names) -> SafeString | str:
    if model is None:
        return ltr(event.object_type) if event.object_type else ""
    kind = capfirst(str(model._meta.verbose_name))
    if not event.object_id:
        return kind
    name = names.get(model, event.object_id)
    if name is not None:
        return format_html("{} «{}»", kind, name)
    return format_html("{} {}", kind, ltr(f"#{localize_digits(event.object_id)}"))


def actor_label(name: str) -> SafeString | str:
    """Who acted: a user name, or the software itself (``system:…``, ``cli:<user>``)."""
    if name.startswith("system:") or not name:
        return str(_("the system"))
    if name.startswith("cli:"):
        return format_html(str(_("the command line (as {})")), ltr(name.removeprefix("cli:")))
    return ltr(name)


def event_sentence(event: Event, action: str, record: SafeString | str) -> SafeString:
    """«gharchak_governor — Station changed: Station «…», 1405/09/11 10:32, from 10.0.0.5»."""
    extra = event.extra if isinstance(event.extra, Mapping) else {}
    address = extra.get("ip") or extra.get("address")
    if record:
        text = format_html(str(_("{who} — {what}: {record}, {when}")), who=actor_label(
            event.actor_name), what=action, record=record, when=jdatetime_filter(event.time))
    else:
        text = format_html(str(_("{who} — {what}, {when}")), who=actor_label(event.actor_name),
                           what=action, when=jdatetime_filter(event.time))
    if address:
        text = format_html(str(_("{sentence}, from {address}")), sentence=text,
                           address=ltr(str(address)))
    return text


def raw_event(event: Event) -> str:
    """The stored event as JSON, Persian and joiners as themselves (no ``\\u200c``)."""
    return json.dumps({
        "seq": event.seq, "time": event.time.isoformat(), "actor_id": event.actor_id,
        "actor_name": event.actor_name, "unit_id": event.unit_id,
        "unit_path": event.unit_path, "action": event.action,
        "object_type": event.object_type, "object_id": event.object_id,
        "before": event.before, "after": event.after, "extra": event.extra,
        "prev_hash": event.prev_hash, "hash": event.hash,
    }, ensure_ascii=False, indent=2, default=str)


def object_url(event: Event, opens: Callable[[str], bool] | None) -> str:
    name = OBJECT_PAGES.get(event.object_type)
    if name is None or not event.object_id.isdigit() or opens is None:
        return ""
    if not opens(event.object_type):
        return ""
    try:
        return reverse(name, args=[int(event.object_id)])
    except NoReverseMatch:
        return ""


def _masked(event: Event) -> Event:
    shown = copy.copy(event)
    shown.before, shown.after, shown.extra = (mask_personal(event.before),
                                              mask_personal(event.after),
                                              mask_personal(event.extra))
    return shown


def describe_events(events: Iterable[Event], *, opens: Callable[[str], bool] | None = None
                    ) -> list[EventView]:
    """The events as people read them (one query per kind of related object).

    ``opens(object_type)`` says whether the reader may open records of that type; with
    it, each event links to its record's page."""
    # National IDs and mobiles written into older entries (staffing named people by
    # national ID) are shown masked, like everywhere else; the stored entry and its hash
    # are untouched (the signed export carries them as written).
    events = [_masked(e) for e in events]
    names = _Names()
    models_of = {e.seq: _model(e.object_type) if e.object_type else None for e in events}
    for event in events:
        _want_names(event, models_of[event.seq], names)
    names.load()
    views = []
    for event in events:
        label = action_label(event.action)
        record = _object_label(event, models_of[event.seq], names)
        views.append(EventView(
            event=event,
            action_label=label,
            object_label=record,
            changes=_changes(event, models_of[event.seq], names),
            details=_details(event, models_of[event.seq], names),
            sentence=event_sentence(event, label, record),
            object_url=object_url(event, opens),
            raw=raw_event(event),
        ))
    return views

