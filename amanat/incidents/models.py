"""Violations and crimes (تخلفات و جرائم انتخاباتی): categories, reports, cases.

Reports are the raw intake from every channel and are append-only at the database
(triggers, see ``triggers.py``): a correction is a new report pointing at the one it
corrects.  A case groups reports and carries the work: triage, routing to the agency
the category names, referral, outcome.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.core.models import in_language

# Cases at or above this severity are "serious": security councils keep them on their
# agenda until closed.
SERIOUS_SEVERITY = 3
SEVERITY_MIN, SEVERITY_MAX = 1, 4
# A response-time target beyond a year is a typing mistake (and a due date computed from
# a huge one does not fit a datetime).
MAX_RESPONSE_HOURS = 24 * 366


class Severity(models.IntegerChoices):
    LOW = 1, _("Low")
    MEDIUM = 2, _("Medium")
    HIGH = 3, _("High")
    CRITICAL = 4, _("Critical")


class Category(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    sms_code = models.CharField(_("SMS code"), max_length=4, unique=True)
    name_fa = models.CharField(_("Persian name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("responsible agency"),
    )
    severity = models.PositiveSmallIntegerField(
        _("default severity"), choices=Severity.choices, default=Severity.MEDIUM
    )
    response_hours = models.PositiveIntegerField(_("response-time target (hours)"), default=24)
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("violation category")
        verbose_name_plural = _("violation categories")
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__gte=SEVERITY_MIN, severity__lte=SEVERITY_MAX),
                name="incidents_category_severity_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (the rows hold both)."""
        return in_language(self.name_fa, self.name_en)

    @property
    def response_time(self) -> datetime.timedelta:
        # A target stored before it was checked is read as at most a year, so a case's
        # due date can always be computed.
        return datetime.timedelta(hours=max(0, min(self.response_hours, MAX_RESPONSE_HOURS)))


class Channel(models.TextChoices):
    WEB = "web", _("Staff form")
    PUBLIC = "public", _("Public form")
    API = "api", _("API")
    SMS = "sms", _("SMS")


class Report(models.Model):
    """One raw report as received. Append-only: the database refuses UPDATE and DELETE."""

    reference = models.CharField(_("reference number"), max_length=16, unique=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    election = models.ForeignKey(
        "elections.Election", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("election"),
    )
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("polling station"),
    )
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    # Copied from ``unit`` so that scope filters are one indexed prefix comparison.
    unit_path = models.CharField(max_length=255, editable=False)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="reports", verbose_name=_("category")
    )
    text = models.TextField(_("text"), max_length=5000)
    # ``lib.persian.normalize`` of the text: what search and duplicate matching read.
    text_normalized = models.TextField(max_length=5000, editable=False)
    contact = models.CharField(_("contact (optional)"), max_length=200, blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    payload = models.JSONField(_("raw payload"), default=dict, blank=True)
    # The client's idempotency key (API) or the gateway's message id (SMS): unique per
    # channel so that a retry can never store a second report.
    # NULL, not "", when absent: the unique constraint must not collide on empty keys.
    client_key = models.CharField(  # noqa: DJ001
        max_length=300, null=True, blank=True, editable=False
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("submitted by"),
    )
    corrects = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections",
        verbose_name=_("corrects report"),
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "client_key"], condition=models.Q(client_key__isnull=False),
                name="incidents_report_channel_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["unit_path", "received_at"], name="incidents_report_path"),
            models.Index(fields=["received_at"], name="incidents_report_received"),
        ]

    def __str__(self) -> str:
        return self.reference


class Evidence(models.Model):
    """A file sent with a report, stored as evidence/<generated name> in the default file
    storage (MEDIA_ROOT, or the database: decision 0006)."""

    report = models.ForeignKey(
        Report, on_delete=models.PROTECT, related_name="evidence", verbose_name=_("report")
    )
    file = models.FileField(_("file"), upload_to="evidence/", max_length=200)
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    content_type = models.CharField(_("type"), max_length=50)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name or str(self.file.name)


class Status(models.TextChoices):
    NEW = "new", _("New")
    TRIAGED = "triaged", _("Triaged")
    ASSIGNED = "assigned", _("Assigned")
    IN_PROGRESS = "in_progress", _("In progress")
    REFERRED = "referred", _("Referred")
    RESOLVED = "resolved", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


CLOSED_STATUSES = frozenset({Status.RESOLVED, Status.DISMISSED})
OPEN_STATUSES = frozenset(set(Status) - CLOSED_STATUSES)

# The state machine: status → the statuses a case may move to next.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.TRIAGED, Status.DISMISSED}),
    Status.TRIAGED: frozenset({Status.ASSIGNED, Status.DISMISSED}),
    Status.ASSIGNED: frozenset(
        {Status.IN_PROGRESS, Status.REFERRED, Status.RESOLVED, Status.DISMISSED}
    ),
    Status.IN_PROGRESS: frozenset({Status.REFERRED, Status.RESOLVED, Status.DISMISSED}),
    Status.REFERRED: frozenset({Status.RESOLVED, Status.DISMISSED}),
    Status.RESOLVED: frozenset(),
    Status.DISMISSED: frozenset(),
}


class CaseQuerySet(models.QuerySet["Case"]):
    def open(self) -> CaseQuerySet:
        return self.exclude(status__in=CLOSED_STATUSES)

    def overdue(self, now: datetime.datetime | None = None) -> CaseQuerySet:
        return self.open().filter(due_at__lt=now or timezone.now())

    def serious(self) -> CaseQuerySet:
        return self.filter(severity__gte=SERIOUS_SEVERITY)


class Case(models.Model):
    number = models.CharField(_("case number"), max_length=16, unique=True)
    election = models.ForeignKey(
        "elections.Election", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("election"),
    )
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    unit_path = models.CharField(max_length=255, editable=False)
    station = models.ForeignKey(
        "stations.Station", on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("polling station"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    severity = models.PositiveSmallIntegerField(_("severity"), choices=Severity.choices)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW
    )
    summary = models.TextField(_("summary"), max_length=2000)
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("assigned agency"),
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    due_at = models.DateTimeField(_("response due"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    # The candidate a campaign violation is about (issue 13): set on the case by staff
    # from the county's candidates (a report stays as received, append-only).
    candidacy = models.ForeignKey(
        "candidates.Candidacy", on_delete=models.PROTECT, null=True, blank=True,
        related_name="incident_cases", verbose_name=_("candidate"),
    )
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("locked by"),
    )
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-opened_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__gte=SEVERITY_MIN, severity__lte=SEVERITY_MAX),
                name="incidents_case_severity_range",
            ),
        ]
        indexes = [
            models.Index(fields=["unit_path", "status"], name="incidents_case_path_status"),
            models.Index(fields=["status", "due_at"], name="incidents_case_status_due"),
            models.Index(fields=["election", "station"], name="incidents_case_station"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def is_serious(self) -> bool:
        return self.severity >= SERIOUS_SEVERITY

    @property
    def overdue(self) -> bool:
        return self.is_open and self.due_at < timezone.now()

    def next_statuses(self) -> frozenset[str]:
        # None from a status outside the choices (an old row): shown, never moved on.
        return TRANSITIONS.get(self.status, frozenset())

    def lock_holder(self, now: datetime.datetime | None = None) -> int | None:
        """The id of the user holding an unexpired lock, if any."""
        if self.locked_by_id and self.locked_until and self.locked_until > (now or timezone.now()):
            return self.locked_by_id
        return None


class CaseReport(models.Model):
    """A report joined to a case; a report joins at most one case."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="links")
    report = models.OneToOneField(Report, on_delete=models.PROTECT, related_name="case_link")
    attached_at = models.DateTimeField(default=timezone.now)
    attached_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["attached_at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.report_id}"


class Referral(models.Model):
    """A referral of a case to the prosecutor or another body. Never edited: a new
    referral supersedes an earlier one."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="referrals")
    office = models.CharField(_("office referred to"), max_length=200)
    referred_on = models.DateField(_("referral date"))
    their_reference = models.CharField(_("their reference number"), max_length=100, blank=True)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.office} {self.referred_on}"


class CaseStep(models.Model):
    """One step of a case's life, for its timeline (the audit log has the same facts)."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="steps")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(max_length=2000, blank=True)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"

    @property
    def action_label(self) -> str:
        return str(STEP_LABELS.get(self.action, self.action))

    @property
    def to_status_label(self) -> str:
        if self.to_status in Status.values:
            return str(Status(self.to_status).label)
        return self.to_status  # empty, or a stored value outside the choices


STEP_LABELS = {
    "open": _("Case opened"), "attach": _("Report joined"), "triage": _("Triaged"),
    "assign": _("Assigned to an agency"), "start": _("Work started"), "refer": _("Referred"),
    "resolve": _("Resolved"), "dismiss": _("Dismissed"), "evidence": _("Evidence added"),
    "candidate": _("Candidate named"),
}


class UsedFormToken(models.Model):
    """A public form's anti-spam token that has been spent (``incidents.spam``).

    In the database, so that a token is single-use across every server process: the
    primary key makes the second insert of a token fail, whichever process tries.  Rows
    older than the token's lifetime are deleted as new ones come in.
    """

    nonce = models.CharField(max_length=64, primary_key=True)
    used_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.nonce} {self.used_at}"
