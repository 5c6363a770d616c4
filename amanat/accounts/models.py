"""Agencies, roles at administrative units (memberships) and API tokens."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.core.models import in_language
from amanat.geo.models import AdminUnit, Kind


class AgencyKind(models.TextChoices):
    POLICE = "police", _("Police")
    JUDICIARY = "judiciary", _("Judiciary / prosecutor")
    INTELLIGENCE = "intelligence", _("Intelligence")
    CYBER_POLICE = "cyber_police", _("Cyber police")
    TELECOM = "telecom", _("Telecom and IT")
    MUNICIPALITY = "municipality", _("Municipality")
    FIRE = "fire", _("Fire service")
    HEALTH = "health", _("Health")
    ELECTION_HQ = "election_hq", _("Election headquarters")


class Agency(models.Model):
    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_fa = models.CharField(_("Persian name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=AgencyKind.choices)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (the rows hold both)."""
        return in_language(self.name_fa, self.name_en)


class Role(models.TextChoices):
    NATIONAL_ADMIN = "national_admin", _("National administrator")
    HQ_STAFF = "hq_staff", _("Election headquarters staff")
    GOVERNOR = "governor", _("Governor")
    SECURITY_COMMITTEE = "security_committee", _("Security committee member")
    INSPECTION_BOARD = "inspection_board", _("Inspection board member")
    EXECUTIVE_BOARD = "executive_board", _("Executive board member")
    SUPERVISION_BOARD = "supervision_board", _("Supervision board member")
    AGENCY_OFFICER = "agency_officer", _("Agency officer")
    FIELD_INSPECTOR = "field_inspector", _("Field inspector")
    AUDITOR = "auditor", _("Auditor")
    OBSERVER = "observer", _("Observer")


# Memberships hang on these levels only; stations and villages are reached through them.
MEMBERSHIP_UNIT_KINDS = (Kind.COUNTRY, Kind.PROVINCE, Kind.COUNTY)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(active=True)


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    unit = models.ForeignKey(
        AdminUnit,
        on_delete=models.PROTECT,
        related_name="memberships",
        limit_choices_to={"kind__in": MEMBERSHIP_UNIT_KINDS},
        verbose_name=_("unit"),
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("agency")
    )
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["unit__path", "role", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit", "agency"],
                condition=models.Q(active=True),
                name="accounts_membership_active_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.unit}"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        now = timezone.now()
        return self.filter(
            revoked_at__isnull=True, expires_at__gt=now, user__is_active=True
        )


class ApiToken(models.Model):
    """A bearer token for a field device or script; only its SHA-256 digest is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The stations a field device's token is bound to: stations.TokenStation.
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_usable(self) -> bool:
        return (
            self.revoked_at is None
            and self.expires_at > timezone.now()
            and self.user.is_active
        )


class FailureWindow(models.Model):
    """Failed attempts (e.g. sign-ins) per key per fixed window, counted for the audit log.

    The audit log is append-only, so a count cannot grow inside an event: the first
    failure of a key in a window is an event at once, later ones only add to ``count``
    here, and once the window has closed one summary event records the count and the
    row goes (``services.failure_windows_close``).  Empty ``username`` (and ``address``)
    is the shared count of an address (of everyone) past the caps.
    """

    action = models.CharField(max_length=60)
    username = models.CharField(max_length=150, blank=True)
    address = models.CharField(max_length=64, blank=True)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["action", "username", "address", "window_start"],
                name="accounts_failurewindow_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.username}@{self.address}: {self.count}"


class Profile(models.Model):
    """A user's own settings: the language pages open in (empty: Persian, the default).

    Read once at sign-in into the session (``services.sign_in_record``), so pages cost no
    extra query; changed by the language switch while signed in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    # A code of settings.LANGUAGES (checked by services.profile_language_set).
    language = models.CharField(_("language"), max_length=8, blank=True)
    # Where election-day alerts reach an official by SMS (operations.watch); empty: by
    # e-mail only.
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return f"{self.user} · {self.language or settings.LANGUAGE_CODE}"
