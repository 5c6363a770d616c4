"""Election rounds, their contests, and the calendar (phases and milestones) of each round.

Every dated rule elsewhere (registration windows, readiness deadlines) reads the calendar
through ``amanat.elections.selectors`` rather than hard-coding a date.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ElectionManager(models.Manager["Election"]):
    def current(self, *, today: datetime.date | None = None) -> Election | None:
        """The next election from ``today`` on; failing that, the most recent one."""
        return next(iter(self.raw(*current_query(today))), None)


def current_query(today: datetime.date | None = None) -> tuple[str, list[datetime.date]]:
    """``Election.objects.current()``'s SELECT; the report intake runs the same text in
    plain SQL (amanat/intake/lookups.py)."""
    today = today or timezone.localdate()
    return ("SELECT * FROM elections_election ORDER BY"
            " CASE WHEN election_day >= %s THEN 0 ELSE 1 END,"
            " CASE WHEN election_day >= %s THEN election_day END,"
            " election_day DESC,"
            " CASE WHEN election_day >= %s THEN id ELSE -id END LIMIT 1",
            [today, today, today])


class Election(models.Model):
    """One election round (دوره انتخابات): all contests held on one election day."""

    name = models.CharField(_("name"), max_length=300)
    slug = models.SlugField(_("slug"), max_length=100, unique=True, allow_unicode=False)
    election_day = models.DateField(_("election day"))
    description = models.TextField(_("description"), max_length=2000, blank=True)

    objects = ElectionManager()

    class Meta:
        verbose_name = _("election")
        verbose_name_plural = _("elections")
        ordering = ["-election_day", "pk"]

    def __str__(self) -> str:
        return self.name


class ContestKind(models.TextChoices):
    CITY_COUNCIL = "city_council", _("City council")
    VILLAGE_COUNCIL = "village_council", _("Village council")
    ASSEMBLY_OF_EXPERTS = "assembly_of_experts", _("Assembly of Experts")
    PARLIAMENT = "parliament", _("Parliament")
    PRESIDENTIAL = "presidential", _("Presidential")


class Contest(models.Model):
    """One race within an election round, e.g. the city councils or a by-election."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="contests")
    kind = models.CharField(_("kind"), max_length=32, choices=ContestKind.choices)
    name = models.CharField(_("name"), max_length=300)
    is_by_election = models.BooleanField(_("by-election"), default=False)
    constituencies = models.ManyToManyField(
        "geo.Constituency", related_name="contests", blank=True, verbose_name=_("constituencies")
    )
    # The contest's own candidate registration window (a by-election, a constituency's
    # race set apart): each end, where set, governs over the calendar's milestones
    # (candidates.selectors.registration_window); empty: the calendar's.
    registration_opens = models.DateField(
        _("candidate registration opens"), null=True, blank=True,
        help_text=_("Empty: the date in the election's calendar."))
    registration_closes = models.DateField(
        _("candidate registration closes"), null=True, blank=True,
        help_text=_("The last day, whole. Empty: the date in the election's calendar."))

    class Meta:
        verbose_name = _("contest")
        verbose_name_plural = _("contests")
        ordering = ["election", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "name"], name="elections_contest_name"),
            models.CheckConstraint(
                condition=models.Q(registration_opens__isnull=True)
                | models.Q(registration_closes__isnull=True)
                | models.Q(registration_closes__gte=models.F("registration_opens")),
                name="elections_contest_registration_order"),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (self.registration_opens and self.registration_closes
                and self.registration_closes < self.registration_opens):
            raise ValidationError({"registration_closes": _(
                "Registration cannot close before it opens.")}, code="registration_order")


class PhaseKind(models.TextChoices):
    BEFORE = "before", _("Before election day")
    DURING = "during", _("Election day")
    AFTER = "after", _("After election day")


class Phase(models.Model):
    """A stretch of the calendar; threats and measures are planned per phase."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(_("phase"), max_length=8, choices=PhaseKind.choices)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["election", "start", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "kind"], name="elections_phase_kind"),
            models.CheckConstraint(
                condition=models.Q(end__gte=models.F("start")), name="elections_phase_order"
            ),
        ]

    def __str__(self) -> str:
        return str(self.get_kind_display())


class MilestoneCode:
    """Codes other apps look deadlines up by (``selectors.milestone_due``)."""

    REGISTRATION_OPENS = "candidate_registration_opens"
    REGISTRATION_CLOSES = "candidate_registration_closes"
    # The candidate review (candidates app, issue 13): the executive boards decide by
    # REVIEW_ENDS, the supervision boards confirm or overturn by SUPERVISION_ENDS,
    # complaints are filed and decided by CANDIDATE_COMPLAINTS_CLOSE, and the final list
    # is published on FINAL_LIST.
    REVIEW_ENDS = "candidate_review_ends"
    SUPERVISION_ENDS = "candidate_supervision_ends"
    CANDIDATE_COMPLAINTS_CLOSE = "candidate_complaints_close"
    FINAL_LIST = "candidate_final_list"
    FIBRE_STATUS_DUE = "fibre_status_due"
    STATIONS_FINAL = "stations_final"
    ELECTION_DAY = "election_day"
    COMPLAINTS_CLOSE = "complaints_close"


class Milestone(models.Model):
    """A dated event or deadline in an election's calendar."""

    election = models.ForeignKey(Election, on_delete=models.CASCADE, related_name="milestones")
    code = models.SlugField(_("code"), max_length=64)
    name = models.CharField(_("name"), max_length=300)
    due = models.DateField(_("due date"))
    phase = models.CharField(_("phase"), max_length=8, choices=PhaseKind.choices)
    description = models.TextField(_("description"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["election", "due", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["election", "code"], name="elections_milestone_code"),
        ]

    def __str__(self) -> str:
        return self.name

    def days_left(self, today: datetime.date) -> int:
        """Days from ``today`` until due: negative once the date has passed."""
        return (self.due - today).days
