"""Election day (issue 16): check-ins from every station, what each station last said,
the data-quality rules and the alerts.

* A **window** (``Window``) says when one kind of check-in is accepted for an election
  (opening from 06:30 to 08:30, the 10:00 turnout from 09:45 to 10:45, ...).  Its
  ``code`` is what an SMS starts with (``O``, ``T1``, ``C``, ``I``).
* A **check-in** (``Checkin``) is one message from a station: opening (staff present by
  post, materials, cameras, network), turnout so far, incident codes, closing totals.
  ``client_key`` is the idempotency key of its channel (Kannel's message id, the API's
  ``Idempotency-Key``): one message makes one row.
* A **station day** (``StationDay``) is one station's state on the day, kept up to date
  by every check-in: when it was last heard from, whether it opened or closed, and the
  published figures.  The dashboard and the silent-station job read only this table.
  Published figures never hold a quarantined value.
* A **quality rule** (``QualityRule``) is data: an expression over a check-in's values
  (``voters > registered``) that flags it.  A flag (``Flag``) quarantines the check-in's
  figures until a person verifies or corrects them.
* An **alert** (``Alert``) is raised for a silent station, a flagged check-in or an
  incident check-in, at the county first and escalated to the province if nobody
  acknowledges it in time; people acknowledge and close it, with notes (``AlertNote``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from amanat.core.models import in_language
from amanat.core.templatetags.persian import localize_digits
from amanat.elections.posts import StationPost


class Kind(models.TextChoices):
    OPENING = "opening", _("Opening")
    TURNOUT = "turnout", _("Turnout")
    INCIDENT = "incident", _("Incident")
    CLOSING = "closing", _("Closing")


class Source(models.TextChoices):
    WEB = "web", _("Web")
    API = "api", _("Field API")
    SMS = "sms", _("SMS")


class DaySettings(models.Model):
    """How one election's day is watched."""

    election = models.OneToOneField("elections.Election", on_delete=models.CASCADE,
                                    related_name="+", verbose_name=_("election"))
    # A station heard from neither this long since its last check-in nor since the
    # first window opened is silent.
    silent_after_minutes = models.PositiveSmallIntegerField(
        _("silent after (minutes)"), default=60)
    # An alert nobody acknowledged at the county for this long goes to the province.
    escalate_after_minutes = models.PositiveSmallIntegerField(
        _("escalate after (minutes)"), default=30)
    # A demo or training election: ``simulate-election-day`` runs on it (load-demo sets
    # it); on any other it refuses unless forced (attack review 2026-12 F5).
    simulation_allowed = models.BooleanField(
        _("demo or training election (simulation allowed)"), default=False,
        db_default=False)

    class Meta:
        verbose_name = _("election-day settings")
        verbose_name_plural = _("election-day settings")

    def __str__(self) -> str:
        return str(self.election_id)


# The default windows' labels that are words (services.DEFAULT_WINDOWS) are stored in
# English and shown in the reader's language; every label in the reader's digits
# (user review 2026-12, F12: «گزارش all day …», «day all» in a right-to-left table).
WINDOW_LABELS = {"closing": _("closing"), "all day": _("all day")}


def window_label_text(label: str) -> str:
    """A window's label as shown in the active language."""
    known = WINDOW_LABELS.get(label)
    return localize_digits(str(known) if known is not None else label)


window_label_lazy = lazy(window_label_text, str)


class Window(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("election"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    code = models.CharField(_("SMS code"), max_length=8)
    label = models.CharField(_("label"), max_length=60)
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("check-in window")
        verbose_name_plural = _("check-in windows")
        ordering = ["election_id", "position", "opens_at"]
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="operations_window_code"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")),
                                   name="operations_window_order"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"

    @property
    def shown_label(self) -> Any:
        """The label in the reader's language and digits, rendered when shown (a lazy
        string: a refusal raised now and shown later is in its reader's language)."""
        return window_label_lazy(self.label)

    def is_open(self, at: object) -> bool:
        return bool(self.opens_at <= at < self.closes_at)  # type: ignore[operator]


class CheckinState(models.TextChoices):
    ACCEPTED = "accepted", _("Accepted")
    # A quality rule flagged it: its figures are kept out of the published ones.
    QUARANTINED = "quarantined", _("Quarantined")
    VERIFIED = "verified", _("Verified")
    CORRECTED = "corrected", _("Corrected")
    # Held, then replaced by the same reporter's later check-in for the same station and
    # window (a resend after "only if it was a typing error, send again"): never
    # published, nobody's to decide any more (user review 2, F16).
    SUPERSEDED = "superseded", _("Superseded")


PUBLISHED_STATES = (CheckinState.ACCEPTED, CheckinState.VERIFIED, CheckinState.CORRECTED)


class Checkin(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("station"))
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    # The station's path: scope is one prefix match.
    unit_path = models.CharField(max_length=255, editable=False)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("window"))
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    source = models.CharField(_("source"), max_length=4, choices=Source.choices)
    # The channel's idempotency key ("sms:<Kannel id>", "api:<user>:<key>"): unique.
    client_key = models.CharField(max_length=200, null=True, blank=True, unique=True,
                                  editable=False)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                 null=True, blank=True, related_name="+",
                                 verbose_name=_("reported by"))
    # The sender's phone (SMS) and the person it belongs to, with their post.
    sender = models.CharField(_("sender"), max_length=16, blank=True)
    person = models.ForeignKey("staffing.Person", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+", verbose_name=_("person"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # Written by ``simulate-election-day``, not by anyone at a station.
    simulated = models.BooleanField(_("simulated"), default=False, db_default=False,
                                    editable=False)
    # Opening: staff present by post ({"representative": 1, "member": 4, "inspector": 1}),
    # materials, cameras recording, network up.
    staff = models.JSONField(_("staff present"), default=dict, blank=True)
    materials = models.BooleanField(_("materials complete"), null=True, blank=True)
    cameras = models.BooleanField(_("cameras recording"), null=True, blank=True)
    network = models.BooleanField(_("network up"), null=True, blank=True)
    # Turnout so far (cumulative) and, at closing, the total of ballots cast.
    voters = models.PositiveIntegerField(_("voters so far"), null=True, blank=True)
    total = models.PositiveIntegerField(_("total votes"), null=True, blank=True)
    # Incident codes (the incidents' SMS codes), space separated.
    incidents = models.CharField(_("incident codes"), max_length=100, blank=True)
    note = models.TextField(_("note"), max_length=1000, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=CheckinState.choices,
                             default=CheckinState.ACCEPTED)
    # The values as received, when a person corrected them.
    original = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-received_at"]
        indexes = [
            models.Index(fields=["station", "received_at"], name="operations_checkin_station"),
            models.Index(fields=["election", "state"], name="operations_checkin_state"),
            models.Index(fields=["election", "unit_path"], name="operations_checkin_scope"),
            # The watch's incident alerts and reports read only the incident check-ins:
            # a partial index, which the hot path's other inserts do not touch.
            models.Index(fields=["election"], condition=Q(kind="incident"),
                         name="operations_checkin_incident"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} {self.kind} {self.received_at:%H:%M}"

    def equipment_shown(self) -> list[tuple[str, bool]]:
        """The opening's yes/no answers that were given (cameras recording, network up,
        materials complete), each by its name in the active language: what the
        headquarters look for first (user review 2, F3)."""
        return [(str(getattr(self._meta.get_field(name), "verbose_name", name)), value)
                for name in ("cameras", "network", "materials")
                if (value := getattr(self, name)) is not None]

    def staff_shown(self) -> list[tuple[str, int]]:
        """Staff present by post, each post by its name in the active language (user
        review 2026-12, F16: «representative ۱» on Persian pages)."""
        names = dict(StationPost.choices)
        return [(str(names.get(post, post)), count) for post, count in self.staff.items()]


class StationDay(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE,
                                 related_name="+", verbose_name=_("election"))
    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("station"))
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    province = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("province"))
    unit_path = models.CharField(max_length=255, editable=False)
    # The station's expected voters when the day was prepared.
    registered = models.PositiveIntegerField(_("registered voters"), default=0)
    last_heard_at = models.DateTimeField(_("last heard from"), null=True, blank=True)
    # db_default: the day's rows are written in bulk (services.day_prepare).
    last_kind = models.CharField(_("last check-in"), max_length=8, choices=Kind.choices,
                                 blank=True, default="", db_default="")
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Published figures: the latest turnout and closing total not in quarantine.
    voters = models.PositiveIntegerField(_("voters so far"), null=True, blank=True)
    total = models.PositiveIntegerField(_("total votes"), null=True, blank=True)
    # Open quality flags on the station's check-ins.
    flagged = models.PositiveSmallIntegerField(_("open flags"), default=0, db_default=0)
    # Set while a silent-station alert is open for it.
    silent_since = models.DateTimeField(_("silent since"), null=True, blank=True)

    class Meta:
        verbose_name = _("station on the day")
        verbose_name_plural = _("stations on the day")
        constraints = [
            models.UniqueConstraint(fields=["election", "station"],
                                    name="operations_stationday_once"),
        ]
        indexes = [
            models.Index(fields=["election", "unit_path"], name="operations_day_scope"),
            models.Index(fields=["election", "last_heard_at"], name="operations_day_heard"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id}/{self.station_id}"


class QualityRule(models.Model):
    """One data-quality check, as data.  ``expression`` is evaluated by
    ``operations.quality`` over the names it documents (``voters``, ``registered``,
    ``previous_voters``, ...); true flags the check-in."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    # The name as data in both languages, as the threat catalogue holds it (Persian first).
    name_fa = models.CharField(_("Persian name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    # The kinds of check-in it reads, comma separated (Kind values).
    kinds = models.CharField(_("check-in kinds"), max_length=60)
    expression = models.TextField(_("expression"), max_length=1000)
    active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("quality rule")
        verbose_name_plural = _("quality rules")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def kind_list(self) -> list[str]:
        return [kind for kind in self.kinds.split(",") if kind]

    @property
    def name(self) -> str:
        """The name in the active language (English falls back to Persian)."""
        return in_language(self.name_fa, self.name_en)


class FlagState(models.TextChoices):
    OPEN = "open", _("Open")
    VERIFIED = "verified", _("Verified")
    CORRECTED = "corrected", _("Corrected")
    # Its check-in was superseded by the same reporter's later one (user review 2, F16).
    SUPERSEDED = "superseded", _("Superseded")


class Flag(models.Model):
    checkin = models.ForeignKey(Checkin, on_delete=models.CASCADE, related_name="flags",
                                verbose_name=_("check-in"))
    rule = models.ForeignKey(QualityRule, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("rule"))
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+")
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+")
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    unit_path = models.CharField(max_length=255, editable=False)
    # The names the rule read and their values when it fired.
    values = models.JSONField(default=dict)
    state = models.CharField(_("state"), max_length=10, choices=FlagState.choices,
                             default=FlagState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    note = models.TextField(_("note"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("quality flag")
        verbose_name_plural = _("quality flags")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["election", "state", "unit_path"], name="operations_flag_open"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}@{self.checkin_id}"


class AlertKind(models.TextChoices):
    SILENT = "silent", _("Silent station")
    QUALITY = "quality", _("Quality flag")
    # An incident check-in (vote buying, equipment failure…): raised by the watch for
    # every channel's check-ins, see operations.incident_alerts.
    INCIDENT = "incident", _("Incident")


class AlertLevel(models.TextChoices):
    COUNTY = "county", _("County")
    PROVINCE = "province", _("Province")


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    CLOSED = "closed", _("Closed")


class Alert(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    station = models.ForeignKey("stations.Station", on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("station"))
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    kind = models.CharField(_("kind"), max_length=8, choices=AlertKind.choices)
    level = models.CharField(_("level"), max_length=8, choices=AlertLevel.choices,
                             default=AlertLevel.COUNTY)
    state = models.CharField(_("state"), max_length=12, choices=AlertState.choices,
                             default=AlertState.OPEN)
    flag = models.ForeignKey(Flag, on_delete=models.PROTECT, null=True, blank=True,
                             related_name="+", verbose_name=_("quality flag"))
    # The incident check-in an incident alert was raised for.
    checkin = models.ForeignKey(Checkin, on_delete=models.PROTECT, null=True, blank=True,
                                related_name="+", verbose_name=_("check-in"))
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                        null=True, blank=True, related_name="+")
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  null=True, blank=True, related_name="+")
    # Raised from the simulation's check-ins (``Checkin.simulated``), or for a silence on a
    # simulated day: an official tells it from a real one (attack review 2, "not a
    # defect of this issue").
    simulated = models.BooleanField(_("simulated"), default=False, db_default=False,
                                    editable=False)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-raised_at"]
        constraints = [
            # One live silent alert per station at a time.
            models.UniqueConstraint(fields=["election", "station", "kind"],
                                    condition=Q(kind="silent") & ~Q(state="closed"),
                                    name="operations_alert_one_silent"),
            # One incident alert per incident check-in.
            models.UniqueConstraint(fields=["checkin"], condition=Q(kind="incident"),
                                    name="operations_alert_one_incident"),
        ]
        indexes = [
            models.Index(fields=["election", "state", "unit_path"], name="operations_alert_open"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.station_id}"


class AlertNote(models.Model):
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="notes")
    # Empty for the system's own notes (the watch: "heard from again").
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                               null=True, blank=True, related_name="+")
    text = models.TextField(_("note"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.text[:40]}"
