"""Polling stations (شعب اخذ رأی) per election."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.geo.paths import under
from amanat.lib.persian import search_key, to_ascii_digits
from amanat.stations.codes import canonical_station_code
from amanat.stations.validation import TEXT_LIMITS, validate_station

H3_RESOLUTION = 7


class Venue(models.TextChoices):
    SCHOOL = "school", _("School")
    MOSQUE = "mosque", _("Mosque")
    OFFICE = "office", _("Government office")
    HEALTH_CENTRE = "health_centre", _("Health centre")
    OTHER = "other", _("Other")


class StationKind(models.TextChoices):
    FIXED = "fixed", _("Fixed")
    MOBILE = "mobile", _("Mobile")


class Cctv(models.TextChoices):
    NONE = "none", _("No CCTV")
    RECORDED = "recorded", _("Recorded")
    LIVE = "live", _("Live")


class Fibre(models.TextChoices):
    CONNECTED = "connected", _("Connected")
    PLANNED = "planned", _("Planned")
    NONE = "none", _("None")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


def ready_q() -> models.Q:
    """A station is READY for election day (the one definition; ``Station.is_ready``
    mirrors it in Python): CCTV installed, power backup, active, and where e-voting is
    planned both fibre connected and the e-voting equipment ready."""
    return (
        ~models.Q(cctv=Cctv.NONE)
        & models.Q(power_backup=True, status=Status.ACTIVE)
        & (models.Q(evoting_planned=False) | models.Q(fibre=Fibre.CONNECTED, evoting_ready=True))
    )


def fibre_overdue_q() -> models.Q:
    """Stations whose fibre status is overdue once the calendar's fibre-status milestone
    has passed (the caller compares the dates): active, e-voting planned (fibre is only
    needed for e-voting), fibre not connected and no planned connection date."""
    return (
        models.Q(status=Status.ACTIVE, evoting_planned=True, fibre_date__isnull=True)
        & ~models.Q(fibre=Fibre.CONNECTED)
    )


def station_search_text(code: str, name: str) -> str:
    """What the list's text search matches: both keys, "|" keeps them apart."""
    return f"{search_key(code)}|{search_key(name)}"[:255]


class StationQuerySet(models.QuerySet["Station"]):
    def within_path(self, path: str) -> StationQuerySet:
        """Stations at or below the unit with materialised path ``path`` (scope filter)."""
        return self.filter(under("unit_path", path))

    def ready(self) -> StationQuerySet:
        return self.filter(ready_q())

    def not_ready(self) -> StationQuerySet:
        return self.exclude(ready_q())

    def fibre_overdue(self) -> StationQuerySet:
        return self.filter(fibre_overdue_q())


class Station(models.Model):
    election = models.ForeignKey(
        "elections.Election", on_delete=models.PROTECT, related_name="stations",
        verbose_name=_("election"),
    )
    code = models.CharField(_("station code"), max_length=20)
    county = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="county_stations",
        limit_choices_to={"kind": "county"}, verbose_name=_("county"),
    )
    # The lowest unit known for the station: a city, rural district or village.
    unit = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="unit_stations",
        null=True, blank=True, limit_choices_to={"kind__in": ["city", "rural_district", "village"]},
        verbose_name=_("city, rural district or village"),
    )
    constituency = models.ForeignKey(
        "geo.Constituency", on_delete=models.PROTECT, related_name="stations",
        null=True, blank=True, verbose_name=_("constituency"),
    )
    # Path of ``unit`` (or of ``county`` when no unit is known), copied here so that scope
    # filters are one indexed prefix match instead of a join.
    unit_path = models.CharField(max_length=255, editable=False)
    # search_key of the code and the name, so the list's text search is one LIKE on a
    # plain column instead of a regular expression per row (see station_search_text).
    search_text = models.CharField(max_length=255, editable=False, blank=True)
    name = models.CharField(_("name"), max_length=TEXT_LIMITS["name"])
    address = models.CharField(_("address"), max_length=TEXT_LIMITS["address"], blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    h3_cell = models.CharField(max_length=16, blank=True, editable=False)
    venue = models.CharField(_("venue"), max_length=16, choices=Venue.choices, default=Venue.OTHER)
    kind = models.CharField(
        _("kind"), max_length=8, choices=StationKind.choices, default=StationKind.FIXED
    )
    route = models.TextField(
        _("route (mobile stations)"), max_length=TEXT_LIMITS["route"], blank=True
    )
    expected_voters = models.PositiveIntegerField(_("expected voters"), default=0)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    cctv = models.CharField(_("CCTV"), max_length=8, choices=Cctv.choices, default=Cctv.NONE)
    cameras = models.PositiveSmallIntegerField(_("camera count"), default=0)
    fibre = models.CharField(_("fibre"), max_length=9, choices=Fibre.choices, default=Fibre.NONE)
    fibre_date = models.DateField(_("fibre planned date"), null=True, blank=True)
    power_backup = models.BooleanField(_("power backup"), default=False)
    evoting_planned = models.BooleanField(_("e-voting planned"), default=False)
    evoting_ready = models.BooleanField(_("e-voting equipment ready"), default=False)
    accessible = models.BooleanField(_("accessible"), default=False)
    # Every post of the station filled for the election: written by the staffing app
    # (through ``services.stations_staffed_set``), read by the readiness figures.
    # db_default: the bulk writers (imports, the demo) leave the column to the database.
    staffed = models.BooleanField(_("staffed"), default=False, db_default=False, editable=False)
    sensitive = models.BooleanField(_("sensitive"), default=False)
    sensitivity_reason = models.TextField(
        _("sensitivity reason"), max_length=TEXT_LIMITS["sensitivity_reason"], blank=True
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.ACTIVE
    )
    closed_reason = models.TextField(
        _("closed reason"), max_length=TEXT_LIMITS["closed_reason"], blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("polling station")
        verbose_name_plural = _("polling stations")
        ordering = ["county_id", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["election", "county", "code"], name="stations_station_code_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["election", "unit_path"], name="stations_election_path"),
            models.Index(fields=["election", "sensitive"], name="stations_election_sensitive"),
            models.Index(fields=["election", "cctv"], name="stations_election_cctv"),
            models.Index(fields=["election", "fibre"], name="stations_election_fibre"),
            models.Index(fields=["election", "status"], name="stations_election_status"),
            # The list's sort orders.
            models.Index(fields=["election", "name"], name="stations_election_name"),
            models.Index(fields=["election", "expected_voters"], name="stations_election_voters"),
            models.Index(fields=["election", "updated_at"], name="stations_election_updated"),
            # PostgreSQL answers unit_path LIKE 'prefix%' from a pattern-ops index; other
            # databases ignore opclasses (SQLite uses the range form, see geo.paths).
            models.Index(fields=["unit_path"], name="stations_path_pattern",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def is_ready(self) -> bool:
        """``ready_q`` for one loaded station (tests check that the two agree)."""
        evoting_ok = not self.evoting_planned or (
            self.fibre == Fibre.CONNECTED and self.evoting_ready
        )
        return (
            self.cctv != Cctv.NONE and self.power_backup and self.status == Status.ACTIVE
            and evoting_ok
        )

    def clean(self) -> None:
        """The same rules as the importer (stations.validation), for forms and the admin.

        The code is put in its canonical form first (stations.codes), so that the
        uniqueness check that follows compares ``1`` with a stored ``0001``.
        """
        self.code = canonical_station_code(to_ascii_digits(self.code or ""))
        row: dict[str, Any] = {f: getattr(self, f) for f in VALIDATED_FIELDS}
        errors = validate_station(row)
        if errors:
            raise ValidationError(
                {e.field if e.field in VALIDATED_FIELDS else "__all__": e.message
                 for e in errors}
            )


class TokenStation(models.Model):
    """A station an API token is bound to.

    A field device's token reaches only the stations it is bound to (within its user's
    scope); a token bound to none reaches the user's whole scope (a script at
    headquarters).  The binding lives here, not on the token: accounts sits below the
    stations and knows nothing of them (docs/decisions/0003-layers.md).
    """

    token = models.ForeignKey("accounts.ApiToken", on_delete=models.CASCADE,
                              related_name="station_bindings")
    station = models.ForeignKey(Station, on_delete=models.CASCADE,
                                related_name="token_bindings")

    class Meta:
        verbose_name = _("token station")
        verbose_name_plural = _("token stations")
        constraints = [
            models.UniqueConstraint(fields=["token", "station"],
                                    name="stations_tokenstation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.token_id} → {self.station_id}"


VALIDATED_FIELDS = (
    "code", "name", "address", "latitude", "longitude", "venue", "kind", "route",
    "expected_voters", "capacity", "cctv", "cameras", "fibre", "fibre_date", "power_backup",
    "evoting_planned", "evoting_ready", "accessible", "sensitive", "sensitivity_reason",
    "status", "closed_reason",
)


class BoundToken(models.Model):
    """A token issued bound to stations (a field device's), for as long as the token lives.

    ``TokenStation`` rows say *which* stations; this row says that the token is of the
    bound kind at all, so that a token whose bindings are gone (deleted in the admin, a
    cascade, a database edit) reaches no station rather than its user's whole scope:
    losing data must narrow access, never widen it (attack review 2026-12, F4).
    """

    token = models.OneToOneField("accounts.ApiToken", on_delete=models.CASCADE,
                                 primary_key=True, related_name="bound_kind")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("station-bound token")
        verbose_name_plural = _("station-bound tokens")

    def __str__(self) -> str:
        return str(self.token_id)
