"""Security plans (docs/plans.md): threats, measures by phase, scenarios with indicators
and playbooks, the ministry's directives and their localisation by every county, and the
county security plan.

Everything that belongs to a place carries the unit and a copy of its materialised path
(``unit_path``) so that scope filters are one indexed prefix comparison.  The national
catalogue (threats, scenarios with no unit) is read by everyone and edited by national
administrators.  Threats and indicators describe places, events and processes, never
people: no field here names a person's ethnicity, religion or politics.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.core.models import in_language

LEVEL_MIN, LEVEL_MAX = 1, 5


class Phase(models.TextChoices):
    """The three periods of the seeds: before, during and after election day."""

    BEFORE = "before", _("Before election day")
    DURING = "during", _("Election day")
    AFTER = "after", _("After election day")


class Threat(models.Model):
    """A threat type: national (``unit`` empty, the catalogue) or added by a county."""

    code = models.SlugField(_("code"), max_length=40)
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("county"),
    )
    unit_path = models.CharField(max_length=255, blank=True, editable=False)
    name_fa = models.CharField(_("Persian name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    # Codes of the atlas factors (atlas.factors.CATALOGUE) that raise this threat.
    factors = models.JSONField(_("atlas factors"), default=list, blank=True)
    # The framework entry it is adapted from (International IDEA's risk factors).
    source = models.CharField(_("source"), max_length=200, blank=True)
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"), default=3)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("threat")
        verbose_name_plural = _("threats")
        ordering = ["unit_path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(unit__isnull=True),
                                    name="plans_threat_national_code"),
            models.UniqueConstraint(fields=["unit", "code"], name="plans_threat_unit_code"),
            models.CheckConstraint(condition=models.Q(impact__gte=LEVEL_MIN,
                                                      impact__lte=LEVEL_MAX),
                                   name="plans_threat_impact_range"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return in_language(self.name_fa, self.name_en or self.name_fa)

    @property
    def national(self) -> bool:
        return self.unit_id is None


class ThreatRating(models.Model):
    """A county's own likelihood and impact of a threat; replaces the computed level."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+")
    threat = models.ForeignKey(Threat, on_delete=models.CASCADE, related_name="ratings")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1–5)"))
    impact = models.PositiveSmallIntegerField(_("impact (1–5)"))
    note = models.TextField(_("reasoning"), max_length=2000, blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("threat rating")
        verbose_name_plural = _("threat ratings")
        constraints = [
            models.UniqueConstraint(fields=["election", "threat", "unit"],
                                    name="plans_rating_unique"),
            models.CheckConstraint(
                condition=models.Q(likelihood__gte=LEVEL_MIN, likelihood__lte=LEVEL_MAX,
                                   impact__gte=LEVEL_MIN, impact__lte=LEVEL_MAX),
                name="plans_rating_range"),
        ]

    def __str__(self) -> str:
        return f"{self.threat_id}@{self.unit_id}: {self.likelihood}×{self.impact}"


# --- directives ----------------------------------------------------------------------------


class DirectiveStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    SUPERSEDED = "superseded", _("Superseded")


class Directive(models.Model):
    """The ministry's election security directive; a new version supersedes the last."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    code = models.SlugField(_("code"), max_length=40)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=300)
    text = models.TextField(_("text"), max_length=20_000)
    status = models.CharField(_("status"), max_length=12, choices=DirectiveStatus.choices,
                              default=DirectiveStatus.DRAFT)
    localise_by = models.DateField(_("localise by"))
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("directive")
        verbose_name_plural = _("directives")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "code", "version"],
                                    name="plans_directive_version"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class MeasureKind(models.TextChoices):
    PREVENTIVE = "preventive", _("Preventive")
    RESPONSE = "response", _("Response")


class DirectiveMeasure(models.Model):
    """A measure the directive requires of every county, with its deadline."""

    directive = models.ForeignKey(Directive, on_delete=models.CASCADE, related_name="measures")
    order = models.PositiveSmallIntegerField(_("order"))
    title = models.CharField(_("measure"), max_length=300)
    threat = models.ForeignKey(Threat, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="+", verbose_name=_("threat"))
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MeasureKind.choices,
                            default=MeasureKind.PREVENTIVE)
    owner = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner agency"))
    due_on = models.DateField(_("due date"))

    class Meta:
        verbose_name = _("directive measure")
        verbose_name_plural = _("directive measures")
        ordering = ["directive", "order"]
        constraints = [
            models.UniqueConstraint(fields=["directive", "order"],
                                    name="plans_directive_measure_order"),
        ]

    def __str__(self) -> str:
        return self.title


class LocalisationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved by the governor")


class Localisation(models.Model):
    """A province's or county's adaptation of a directive (بومی‌سازی)."""

    directive = models.ForeignKey(Directive, on_delete=models.PROTECT,
                                  related_name="localisations")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    unit_path = models.CharField(max_length=255, editable=False)
    text = models.TextField(_("adapted text"), max_length=20_000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=LocalisationStatus.choices,
                              default=LocalisationStatus.DRAFT)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("localisation")
        verbose_name_plural = _("localisations")
        ordering = ["unit_path"]
        constraints = [
            models.UniqueConstraint(fields=["directive", "unit"],
                                    name="plans_localisation_unique"),
        ]
        indexes = [models.Index(fields=["unit_path"], name="plans_localisation_path")]

    def __str__(self) -> str:
        return f"{self.directive_id}@{self.unit_id}"


# --- measures ------------------------------------------------------------------------------


class MeasureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


CLOSED_MEASURE_STATUSES = frozenset({MeasureStatus.DONE, MeasureStatus.NOT_APPLICABLE})


class MeasureSource(models.TextChoices):
    LOCAL = "local", _("Local")
    DIRECTIVE = "directive", _("Directive")
    TIER = "tier", _("Required by the atlas tier")


class MeasureQuerySet(models.QuerySet["Measure"]):
    def open(self) -> MeasureQuerySet:
        return self.exclude(status__in=CLOSED_MEASURE_STATUSES)

    def overdue(self, today: datetime.date | None = None) -> MeasureQuerySet:
        return self.open().filter(due_on__lt=today or timezone.localdate())


class Measure(models.Model):
    """A preventive or response measure of one unit (county or province) for a phase."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("unit"))
    unit_path = models.CharField(max_length=255, editable=False)
    threat = models.ForeignKey(Threat, on_delete=models.PROTECT, null=True, blank=True,
                               related_name="measures", verbose_name=_("threat"))
    title = models.CharField(_("measure"), max_length=300)
    phase = models.CharField(_("phase"), max_length=8, choices=Phase.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=MeasureKind.choices,
                            default=MeasureKind.PREVENTIVE)
    owner = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("owner agency"))
    due_on = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=16, choices=MeasureStatus.choices,
                              default=MeasureStatus.PLANNED)
    evidence = models.TextField(_("evidence"), max_length=4000, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=MeasureSource.choices,
                              default=MeasureSource.LOCAL)
    localisation = models.ForeignKey(Localisation, on_delete=models.PROTECT, null=True,
                                     blank=True, related_name="measures")
    directive_measure = models.ForeignKey(DirectiveMeasure, on_delete=models.PROTECT,
                                          null=True, blank=True, related_name="+")
    # The atlas's tier requirement this measure carries out (one concept: the atlas says
    # what a tier requires, the county's measure is how and by when it is done).
    required_measure = models.ForeignKey("atlas.RequiredMeasure", on_delete=models.PROTECT,
                                         null=True, blank=True, related_name="+")
    reported_at = models.DateTimeField(_("reported"), null=True, blank=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = MeasureQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "directive_measure"],
                condition=models.Q(directive_measure__isnull=False),
                name="plans_measure_directive_once"),
            models.UniqueConstraint(
                fields=["election", "unit", "required_measure"],
                condition=models.Q(required_measure__isnull=False),
                name="plans_measure_tier_once"),
        ]
        indexes = [
            models.Index(fields=["election", "unit_path", "status"], name="plans_measure_path"),
            models.Index(fields=["status", "due_on"], name="plans_measure_due"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return (self.status not in CLOSED_MEASURE_STATUSES
                and self.due_on < (today or timezone.localdate()))


class MeasureAgendaItem(models.Model):
    """An overdue measure put on a council meeting's agenda (once per meeting)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    agenda_item = models.OneToOneField("councils.AgendaItem", on_delete=models.CASCADE,
                                       related_name="+")
    meeting = models.ForeignKey("councils.Meeting", on_delete=models.CASCADE,
                                related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["measure", "meeting"],
                                    name="plans_measure_agenda_once"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}@{self.meeting_id}"


# --- scenarios, indicators, alerts and playbooks -----------------------------------------


class Scenario(models.Model):
    """A probable scenario: a threat, the indicators that announce it and its playbook.

    ``playbook`` follows the shape of OASIS CACAO 2.0's workflow (docs/plans.md): a
    ``workflow_start`` step id and a ``workflow`` map of steps, each with a ``type``,
    a ``name``, an ``agent`` (an agency code) and ``on_completion`` (the next step)."""

    code = models.SlugField(_("code"), max_length=40)
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("unit"))
    unit_path = models.CharField(max_length=255, blank=True, editable=False)
    threat = models.ForeignKey(Threat, on_delete=models.PROTECT, related_name="scenarios",
                               verbose_name=_("threat"))
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), max_length=4000, blank=True)
    playbook = models.JSONField(_("playbook"), default=dict)
    # Roles (accounts.Role values) alerted when an indicator fires.
    alert_roles = models.JSONField(_("roles alerted"), default=list)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("scenario")
        verbose_name_plural = _("scenarios")
        ordering = ["unit_path", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=models.Q(unit__isnull=True),
                                    name="plans_scenario_national_code"),
            models.UniqueConstraint(fields=["unit", "code"], name="plans_scenario_unit_code"),
        ]

    def __str__(self) -> str:
        return self.title


class IndicatorKind(models.TextChoices):
    OPEN_SERIOUS_CASES = "open_serious_cases", _("Open serious cases")
    REPORTS_PER_HOUR = "reports_per_hour", _("Reports per hour")
    READINESS_GAPS = "readiness_gaps", _("Stations with readiness gaps")
    OVERDUE_MEASURES = "overdue_measures", _("Overdue measures")
    # Issue 16: stations with a silent-station alert open (operations.watch).
    SILENT_STATIONS = "silent_stations", _("Stations silent on election day")


class Indicator(models.Model):
    """A trigger of a scenario: a value computed per county compared with a threshold."""

    scenario = models.ForeignKey(Scenario, on_delete=models.CASCADE, related_name="indicators")
    kind = models.CharField(_("indicator"), max_length=24, choices=IndicatorKind.choices)
    category = models.ForeignKey("incidents.Category", on_delete=models.PROTECT, null=True,
                                 blank=True, related_name="+", verbose_name=_("category"))
    threshold = models.FloatField(_("threshold"))
    window_minutes = models.PositiveIntegerField(_("window (minutes)"), default=60)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["scenario", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ≥ {self.threshold}"


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLEARED = "cleared", _("Cleared")


class Alert(models.Model):
    """An indicator crossed its threshold in a county; open until it falls back."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="alerts")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    value = models.FloatField(_("value"))
    threshold = models.FloatField(_("threshold"))
    roles = models.JSONField(default=list)
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices,
                              default=AlertStatus.OPEN)
    fired_at = models.DateTimeField(_("fired"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-fired_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"],
                                    condition=~models.Q(status="cleared"),
                                    name="plans_alert_one_live"),
        ]
        indexes = [models.Index(fields=["unit_path", "status"], name="plans_alert_path")]

    def __str__(self) -> str:
        return f"{self.indicator_id}@{self.unit_id}: {self.value}"


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")


class PlaybookRun(models.Model):
    """A playbook started as a live response in a county."""

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="runs")
    alert = models.ForeignKey(Alert, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="runs")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices,
                              default=RunStatus.RUNNING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("playbook run")
        verbose_name_plural = _("playbook runs")
        ordering = ["-started_at", "-pk"]
        constraints = [
            # One live response per scenario and county (a double click started two).
            models.UniqueConstraint(fields=["scenario", "unit"],
                                    condition=models.Q(status="running"),
                                    name="plans_run_one_running"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario_id}@{self.unit_id}"


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


class RunStep(models.Model):
    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    step_id = models.CharField(max_length=80)
    title = models.CharField(_("step"), max_length=300)
    owner = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+", verbose_name=_("owner agency"))
    status = models.CharField(_("status"), max_length=8, choices=StepStatus.choices,
                              default=StepStatus.PENDING)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["run", "order"]
        constraints = [
            models.UniqueConstraint(fields=["run", "order"], name="plans_step_order"),
        ]

    def __str__(self) -> str:
        return self.title


# --- the county security plan --------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("With the member agencies")
    APPROVED = "approved", _("Approved by the governor")
    SENT = "sent", _("Sent to the province")


class SecurityPlan(models.Model):
    """The county's security plan for an election, drafted from its threats, measures
    and scenarios, commented on by the member agencies, approved and sent up."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    summary = models.TextField(_("summary"), max_length=20_000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=PlanStatus.choices,
                              default=PlanStatus.DRAFT)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    # What the governor approved (threats, measures, scenarios, comments as the PDF prints
    # them), kept at approval: the approved and sent plan prints this, not the county's
    # data as it has changed since (attack review 2026-12). Its SHA-256 is in the
    # approval's audit entry.
    approved_content = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("county security plan")
        verbose_name_plural = _("county security plans")
        constraints = [
            models.UniqueConstraint(fields=["election", "unit"], name="plans_plan_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id}@{self.unit_id}"


class PlanComment(models.Model):
    plan = models.ForeignKey(SecurityPlan, on_delete=models.CASCADE, related_name="comments")
    agency = models.ForeignKey("accounts.Agency", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agency"))
    text = models.TextField(_("comment"), max_length=4000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
