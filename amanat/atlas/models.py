"""The election security atlas (اطلس امنیت انتخابات): inputs people set, scores computed.

Inputs (each write through ``atlas.services``, audited): agency assessments, the national
tier of a county, a county's history (annulled previous election), the tier thresholds of
an election and the required measures per tier. Outputs (derived, rebuilt by
``atlas.compute``): station and unit scores with their explanations, and dated snapshots.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.atlas.scoring import DEFAULT_THRESHOLDS


class Tier(models.IntegerChoices):
    """Tier 1 is the highest risk (the most security-critical counties), 4 the lowest."""

    T1 = 1, _("Tier 1 (highest risk)")
    T2 = 2, _("Tier 2 (high risk)")
    T3 = 3, _("Tier 3 (moderate risk)")
    T4 = 4, _("Tier 4 (low risk)")


class TierThreshold(models.Model):
    """Minimum scores (0–100) of tiers 1, 2 and 3 for one election; below tier 3 is 4."""

    election = models.OneToOneField(
        "elections.Election", on_delete=models.CASCADE, related_name="atlas_thresholds"
    )
    tier1_min = models.FloatField(_("tier 1 from score"), default=DEFAULT_THRESHOLDS[0])
    tier2_min = models.FloatField(_("tier 2 from score"), default=DEFAULT_THRESHOLDS[1])
    tier3_min = models.FloatField(_("tier 3 from score"), default=DEFAULT_THRESHOLDS[2])
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier thresholds")
        verbose_name_plural = _("tier thresholds")

    def __str__(self) -> str:
        return f"{self.tier1_min}/{self.tier2_min}/{self.tier3_min}"

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.tier1_min, self.tier2_min, self.tier3_min)


class CountyHistory(models.Model):
    """What happened in a county at the previous election (e.g. it was annulled)."""

    election = models.ForeignKey(
        "elections.Election", on_delete=models.CASCADE, related_name="+"
    )
    county = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": "county"},
    )
    annulled = models.BooleanField(_("previous election annulled"), default=False)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("county history")
        verbose_name_plural = _("county histories")
        constraints = [
            models.UniqueConstraint(fields=["election", "county"], name="atlas_history_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id}: {self.annulled}"


class Assessment(models.Model):
    """An agency's rating of a county (1 low risk – 5 very high) with its justification.

    Append-only: a new assessment supersedes the agency's earlier ones for the county
    (the latest ``assessed_on``, then the latest created, counts); all are kept."""

    election = models.ForeignKey(
        "elections.Election", on_delete=models.CASCADE, related_name="+"
    )
    agency = models.ForeignKey(
        "accounts.Agency", on_delete=models.PROTECT, related_name="+", verbose_name=_("agency")
    )
    county = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind": "county"}, verbose_name=_("county"),
    )
    stations = models.ManyToManyField(
        "stations.Station", blank=True, related_name="+", verbose_name=_("flagged stations")
    )
    score = models.PositiveSmallIntegerField(_("risk rating (1–5)"))
    justification = models.TextField(_("justification"), max_length=4000)
    assessed_on = models.DateField(_("assessed on"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("agency assessment")
        verbose_name_plural = _("agency assessments")
        ordering = ["-assessed_on", "-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=1, score__lte=5), name="atlas_assessment_score_range"
            ),
        ]
        indexes = [
            models.Index(fields=["election", "county", "agency"], name="atlas_assessment_county"),
        ]

    def __str__(self) -> str:
        return f"{self.agency_id} · {self.county_id} · {self.score}"


class NationalTier(models.Model):
    """The National Security Council's tier for a county or a province: a floor under the
    computed tier (the field keeps its name ``county``; a province is allowed too)."""

    election = models.ForeignKey(
        "elections.Election", on_delete=models.CASCADE, related_name="+"
    )
    county = models.ForeignKey(
        "geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
        limit_choices_to={"kind__in": ["county", "province"]},
    )
    tier = models.PositiveSmallIntegerField(_("national tier"), choices=Tier.choices)
    note = models.TextField(_("note"), max_length=2000, blank=True)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("national tier")
        verbose_name_plural = _("national tiers")
        constraints = [
            models.UniqueConstraint(fields=["election", "county"], name="atlas_tier_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.county_id}: {self.tier}"


class StationScore(models.Model):
    # No single-column indexes on the foreign keys: the two composite indexes below serve
    # every lookup, and each index less makes the 59,000-row rewrite of a recompute faster.
    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+",
                                 db_index=False)
    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE, related_name="+",
                                db_index=False)
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.CASCADE, related_name="+",
                               db_index=False)
    value = models.FloatField()
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    explanation = models.JSONField(default=dict)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "station"], name="atlas_station_score"),
        ]
        indexes = [
            models.Index(fields=["election", "county", "value"], name="atlas_station_rank"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}: {self.value:.1f}"


class UnitLevel(models.TextChoices):
    COUNTY = "county", _("County")
    PROVINCE = "province", _("Province")


class UnitScore(models.Model):
    """The score of a county or province for an election."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.CASCADE, related_name="+")
    level = models.CharField(max_length=8, choices=UnitLevel.choices)
    value = models.FloatField()
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    computed_tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    floor_applied = models.BooleanField(default=False)
    explanation = models.JSONField(default=dict)
    voters = models.PositiveIntegerField(default=0)
    members = models.PositiveIntegerField(default=0)  # stations of a county, counties of a province
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "unit"], name="atlas_unit_score"),
        ]
        indexes = [models.Index(fields=["election", "level", "value"], name="atlas_unit_rank")]

    def __str__(self) -> str:
        return f"{self.unit_id}: {self.value:.1f}"


class Snapshot(models.Model):
    """County and province scores of an election on one day: {unit id: [value, tier]}."""

    election = models.ForeignKey("elections.Election", on_delete=models.CASCADE, related_name="+")
    taken_on = models.DateField(_("date"))
    taken_at = models.DateTimeField(default=timezone.now)
    scores = models.JSONField(default=dict)

    class Meta:
        ordering = ["-taken_on"]
        constraints = [
            models.UniqueConstraint(fields=["election", "taken_on"], name="atlas_snapshot_day"),
        ]

    def __str__(self) -> str:
        return str(self.taken_on)


class MeasureScope(models.TextChoices):
    COUNTY = "county", _("County")
    SENSITIVE_STATION = "station_sensitive", _("Each sensitive station")


class CheckCode(models.TextChoices):
    """Measures the atlas can verify from the registry; anything else is checked by people."""

    CCTV_LIVE_AT_SENSITIVE = "cctv_live_at_sensitive", _("Live CCTV at every sensitive station")
    CCTV_AT_ALL = "cctv_at_all", _("CCTV at every station")
    POWER_BACKUP_ALL = "power_backup_all", _("Power backup at every station")
    FIBRE_FOR_EVOTING = "fibre_for_evoting", _("Fibre at every e-voting station")
    WITHIN_CAPACITY = "within_capacity", _("No station above its capacity")


class RequiredMeasure(models.Model):
    """What a tier requires (the road map): applies to counties at that tier or higher risk."""

    tier = models.PositiveSmallIntegerField(_("from tier"), choices=Tier.choices)
    scope = models.CharField(_("applies to"), max_length=20, choices=MeasureScope.choices)
    description_fa = models.CharField(_("description (Persian)"), max_length=300)
    description_en = models.CharField(_("description (English)"), max_length=300)
    check_code = models.CharField(
        _("automatic check"), max_length=32, choices=CheckCode.choices, blank=True,
        help_text=_("Empty for measures people confirm (e.g. weekly security council)."),
    )
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("required measure")
        verbose_name_plural = _("required measures")
        ordering = ["tier", "scope", "pk"]

    def __str__(self) -> str:
        return self.description_fa


class FactorCatalogue(models.Model):
    """One version of the factor catalogue's weights and parameters, set by a national
    administrator (append-only: an edit is a new version; the highest version is in
    force; without any row the defaults of ``atlas.factors`` apply, version 0)."""

    version = models.PositiveIntegerField(_("version"), unique=True)
    weights = models.JSONField(_("weights"), default=dict)  # {factor code: weight}
    station_mean_weight = models.FloatField(_("weight of the stations' mean in a county"))
    county_mean_weight = models.FloatField(_("weight of the counties' mean in a province"))
    incident_scale = models.FloatField(_("incident load scale"))
    over_capacity_span = models.FloatField(_("share above capacity that counts fully"))
    note = models.TextField(_("reason for the change"), max_length=2000)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        verbose_name = _("factor catalogue version")
        verbose_name_plural = _("factor catalogue versions")
        ordering = ["-version"]

    def __str__(self) -> str:
        return f"v{self.version}"
