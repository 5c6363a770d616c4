"""The people at the stations (issue 14): who may serve, the posts of each station in an
election, the rules that bar a person from a post, and the county's roster.

* A **person** (``Person``) is registered with a county (scope reads ``unit_path``, the
  path of their home unit or of the county), by national ID, with the posts they may
  take (``StationPost`` values) and whether they are available.
* An **assignment** (``Assignment``) fills one post of one station in one election:
  ``post`` and ``slot`` (1 for single posts, 1..N for the members).  A post without an
  assignment is unfilled.  The database refuses a second post for the same person in
  the same election and two people in the same slot.
* A **conflict rule** (``ConflictRule``) is data: its code names the check in
  ``staffing.rules``, with its legal reference; a rule switched off is not checked.
* A **post notice** (``PostNotice``) is what a person was last told by SMS about their
  post in an election: the approval tells only the people whose post changed since
  (assigned, moved, or taken off), never the same post twice.
* A **roster** (``Roster``) is one county's staffing in one election: the solver's last
  run (its progress, status and what it could not fill) and the governor's approval,
  which locks the county's assignments until it is reopened.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.elections.posts import StationPost

NATIONAL_ID_LENGTH = 10


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class PersonQuerySet(models.QuerySet["Person"]):
    def in_county(self, county_id: int) -> PersonQuerySet:
        return self.filter(county_id=county_id)


class Person(models.Model):
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    home_unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                                  null=True, blank=True, verbose_name=_("home place"))
    # Path of the home unit (or of the county): scope is one prefix match.
    unit_path = models.CharField(max_length=255, editable=False)
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH,
                                   unique=True)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    gender = models.CharField(_("gender"), max_length=8, choices=Gender.choices, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=11, blank=True)
    employer = models.CharField(_("employer"), max_length=200, blank=True)
    # The posts the person may take: StationPost values, comma separated and sorted.
    posts = models.CharField(_("posts"), max_length=80, blank=True)
    available = models.BooleanField(_("available on election day"), default=True)
    search_text = models.CharField(max_length=400, editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(national_id__regex=r"^[0-9]{10}$"),
                                   name="staffing_person_national_id_digits"),
        ]
        indexes = [
            models.Index(fields=["county", "last_name"], name="staffing_person_county"),
            models.Index(fields=["unit_path"], name="staffing_person_path",
                         opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def post_list(self) -> list[str]:
        return [p for p in self.posts.split(",") if p]

    def post_labels(self) -> list[str]:
        labels = dict(StationPost.choices)
        return [str(labels.get(p, p)) for p in self.post_list]


class ConflictRule(models.Model):
    """One rule that bars a person from a post; ``code`` names its check in
    ``staffing.rules``.  Switched off (``active=False``), it is not checked."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    legal_reference = models.CharField(_("legal reference"), max_length=300)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("conflict rule")
        verbose_name_plural = _("conflict rules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.code


def _verification_code() -> str:
    return secrets.token_hex(6).upper()


class Source(models.TextChoices):
    MANUAL = "manual", _("By hand")
    SOLVER = "solver", _("Solver")


class Assignment(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    station = models.ForeignKey("stations.Station", on_delete=models.CASCADE,
                                related_name="+", verbose_name=_("station"))
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    post = models.CharField(_("post"), max_length=16, choices=StationPost.choices)
    slot = models.PositiveSmallIntegerField(_("slot"), default=1)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="assignments",
                               verbose_name=_("person"))
    # Pinned by the governor: the solver keeps it.
    pinned = models.BooleanField(_("pinned"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices,
                              default=Source.MANUAL)
    distance_km = models.FloatField(_("distance (km)"), null=True, blank=True)
    verification_code = models.CharField(max_length=12, unique=True,
                                         default=_verification_code, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["station_id", "post", "slot"]
        constraints = [
            models.UniqueConstraint(fields=["station", "post", "slot"],
                                    name="staffing_assignment_slot_once"),
            models.UniqueConstraint(fields=["election", "person"],
                                    name="staffing_one_post_per_election"),
        ]
        indexes = [
            models.Index(fields=["election", "county"], name="staffing_assignment_county"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id}/{self.post}/{self.slot}"


class PostNotice(models.Model):
    """The post a person was last told by SMS they hold in an election (the station, post
    and slot), or that they hold none any more (``post`` empty): written by
    ``services.assignments_announce`` with each message it sends."""

    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+")
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # Kept when the station is removed (the person is then told the post is gone).
    station = models.ForeignKey("stations.Station", on_delete=models.SET_NULL, null=True,
                                blank=True, related_name="+")
    post = models.CharField(max_length=16, blank=True)
    slot = models.PositiveSmallIntegerField(default=0)
    told_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["election", "person"],
                                    name="staffing_post_notice_once"),
        ]
        indexes = [
            models.Index(fields=["election", "county"], name="staffing_notice_county"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}: {self.station_id}/{self.post}/{self.slot}"


class RosterState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class RunState(models.TextChoices):
    IDLE = "idle", _("Not run")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class Roster(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("election"))
    county = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("county"))
    unit_path = models.CharField(max_length=255, editable=False)
    state = models.CharField(_("state"), max_length=10, choices=RosterState.choices,
                             default=RosterState.DRAFT)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    # The last assignment run: its progress (percent and stage), the solver's status,
    # total distance and what it could not fill (per district and post).
    run_state = models.CharField(max_length=10, choices=RunState.choices,
                                 default=RunState.IDLE)
    run_percent = models.PositiveSmallIntegerField(default=0)
    # The run's job (core.jobs): its page follows the run for the person who started it.
    run_job = models.ForeignKey("core.Job", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    run_stage = models.CharField(max_length=32, blank=True)
    run_status = models.CharField(max_length=32, blank=True)
    run_total_km = models.FloatField(null=True, blank=True)
    run_seconds = models.FloatField(null=True, blank=True)
    run_filled = models.PositiveIntegerField(default=0)
    # [{"district": name, "post": post, "reason": code, "count": n}, ...]
    run_unfilled = models.JSONField(default=list, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)
    # The run's last sign of life (queued, each progress report): a run queued or running
    # without one for core.jobs.STALE_AFTER has lost its worker and may be started again.
    run_beat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        constraints = [
            models.UniqueConstraint(fields=["election", "county"],
                                    name="staffing_roster_once"),
        ]

    def __str__(self) -> str:
        return f"{self.election_id}/{self.county_id}"

    @property
    def locked(self) -> bool:
        return self.state == RosterState.APPROVED

    @property
    def run_busy(self) -> bool:
        return self.run_state in (RunState.QUEUED, RunState.RUNNING)

    @property
    def run_status_label(self) -> str:
        """The solver's word (OPTIMAL, FEASIBLE, GREEDY, ...) in the reader's language."""
        labels = {
            "OPTIMAL": _("the best assignment possible"),
            "FEASIBLE": _("a good assignment, not proven the best"),
            "GREEDY": _("a quick assignment (nearest first)"),
        }
        if not self.run_status:
            return ""
        return str(labels.get(self.run_status, _("the solver stopped early")))
