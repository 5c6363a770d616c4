"""Iran's administrative divisions as one tree of units, and constituencies."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from amanat.geo.paths import under


class Kind(models.TextChoices):
    COUNTRY = "country", _("Country")
    PROVINCE = "province", _("Province")
    COUNTY = "county", _("County")
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    RURAL_DISTRICT = "rural_district", _("Rural district")
    VILLAGE = "village", _("Village")


# One letter per kind keeps materialised paths short and unambiguous: a city and a
# district under the same county may share an official code, never a path segment.
KIND_LETTER = {
    Kind.COUNTRY: "I",
    Kind.PROVINCE: "P",
    Kind.COUNTY: "C",
    Kind.DISTRICT: "D",
    Kind.CITY: "T",
    Kind.RURAL_DISTRICT: "R",
    Kind.VILLAGE: "V",
}


class Placement(models.TextChoices):
    """How a unit's coordinates were obtained (see docs/geography.md)."""

    MATCHED_PLACE = "matched_place", _("Matched populated place")
    CHILD_MEAN = "child_mean", _("Mean of matched places within the unit")
    PARENT = "parent", _("Taken from the parent unit")
    NONE = "none", _("No coordinates")


class AdminUnitQuerySet(models.QuerySet["AdminUnit"]):
    def within(self, unit: AdminUnit) -> AdminUnitQuerySet:
        """The unit and everything below it, by materialised path prefix."""
        return self.filter(under("path", unit.path))

    def below(self, unit: AdminUnit) -> AdminUnitQuerySet:
        return self.within(unit).exclude(pk=unit.pk)

    def of_kind(self, kind: str) -> AdminUnitQuerySet:
        return self.filter(kind=kind)


class AdminUnit(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("official code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    # Normalised name (lib.persian.search_key) used for search and matching.
    name_key = models.CharField(max_length=200, db_index=True, editable=False)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    placement = models.CharField(
        _("placement method"), max_length=16, choices=Placement.choices, default=Placement.NONE
    )
    h3_cell = models.CharField(max_length=16, blank=True, db_index=True)
    population = models.PositiveIntegerField(null=True, blank=True)

    objects = AdminUnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("administrative unit")
        verbose_name_plural = _("administrative units")
        constraints = [
            models.UniqueConstraint(fields=["kind", "code"], name="geo_unit_kind_code_unique"),
        ]
        indexes = [models.Index(fields=["kind", "name_key"], name="geo_unit_kind_name")]
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def ancestors(self) -> models.QuerySet[AdminUnit]:
        """All units above this one, root first, in one query."""
        prefixes = []
        segments = self.path.split("/")[:-1]
        for i in range(1, len(segments)):
            prefixes.append("/".join(segments[:i]) + "/")
        return AdminUnit.objects.filter(path__in=prefixes).order_by("depth")


class ConstituencyKind(models.TextChoices):
    """What a constituency is in law (docs/decisions/0003-layers.md, candidates)."""

    # A grouping of counties (the first demo's one-per-county council seats; parliament).
    COUNTIES = "counties", _("Group of counties")
    CITY = "city", _("City")
    VILLAGE = "village", _("Village")
    RURAL_DISTRICT = "rural_district", _("Rural district")
    PROVINCE = "province", _("Province")


class Constituency(models.Model):
    """An electoral district (حوزه انتخابیه).

    Council elections are held per city and per village (or rural district): such a
    constituency is one unit (``unit``) with its number of seats set by population
    (``candidates.seats``). The Assembly of Experts elects per province. The older kind,
    a grouping of counties, stays for the contests that use it.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ConstituencyKind.choices,
                            default=ConstituencyKind.COUNTIES)
    province = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, related_name="constituencies",
        limit_choices_to={"kind": Kind.PROVINCE},
    )
    counties = models.ManyToManyField(
        AdminUnit, related_name="county_constituencies", limit_choices_to={"kind": Kind.COUNTY}
    )
    # The city, village, rural district or province the constituency is (empty for a
    # grouping of counties).
    unit = models.ForeignKey(
        AdminUnit, on_delete=models.PROTECT, null=True, blank=True,
        related_name="unit_constituencies", verbose_name=_("unit"),
    )
    # Copied from ``unit`` (or the province) so that scope filters are one prefix test.
    unit_path = models.CharField(max_length=255, blank=True, editable=False, db_index=True)
    seats = models.PositiveSmallIntegerField(_("seats"), default=0)
    reserve_seats = models.PositiveSmallIntegerField(_("reserve seats"), default=0)
    # The population the seats were set from, and whether it is known (geography data
    # holds populations for matched places only; an unknown one gives the smallest band).
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    # Seats set by hand (an administrator's edit) are kept when the loader runs again.
    seats_edited = models.BooleanField(_("seats set by hand"), default=False)

    class Meta:
        verbose_name = _("constituency")
        verbose_name_plural = _("constituencies")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "unit"], condition=models.Q(unit__isnull=False),
                                    name="geo_constituency_kind_unit"),
        ]

    def __str__(self) -> str:
        return self.name


class Boundary(models.Model):
    """An installation's official boundary of a province or county (``import-boundaries``).

    Without one, maps draw an approximate area computed from the units' points
    (``geo.boundaries``) and say so.
    """

    unit = models.OneToOneField(
        AdminUnit, on_delete=models.CASCADE, related_name="boundary",
        limit_choices_to={"kind__in": [Kind.PROVINCE, Kind.COUNTY]},
    )
    # GeoJSON Polygon or MultiPolygon, WGS84 degrees, simplified for drawing.
    geometry = models.JSONField(_("geometry"))
    west = models.FloatField()
    south = models.FloatField()
    east = models.FloatField()
    north = models.FloatField()
    source = models.CharField(_("source file"), max_length=200)
    sha256 = models.CharField(max_length=64)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("boundary")
        verbose_name_plural = _("boundaries")

    def __str__(self) -> str:
        return str(self.unit)
