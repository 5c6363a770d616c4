"""Training by audience (issue 14): courses for candidates, voters, station staff by post
and the security and police forces; sessions or self-paced material; enrolment and
attendance; a short assessment; completions with a certificate verification code.

Training sits below ``candidates`` and ``staffing`` in the layer contract, so people are
kept here by national ID and full name, not by a row of a higher app: staffing asks
``selectors.passed_national_ids`` before it assigns a post, the candidate's dossier asks
``selectors.candidate_course_status``.

Scope: a course belongs to a unit (the country for a national course, or a province or
county); a session, an enrolment, an attempt and a completion carry the unit they were
given at (a session's county), so "a Kerman officer sees no Gharchak attendee" is one
prefix filter.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.elections.posts import StationPost
from amanat.lib.persian import to_ascii_digits

NATIONAL_ID_LENGTH = 10
# Certificate codes: 12 characters of a 32-letter alphabet without look-alikes (60 bits):
# guessing one among even a million issued codes takes ~10^12 tries.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 12


def new_certificate_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


def normalize_code(text: str) -> str:
    """A typed code as stored: upper case, groups of four joined by dashes (the digits
    a Persian keyboard types count as the code's digits)."""
    raw = "".join(ch for ch in to_ascii_digits(text).upper() if ch in CODE_ALPHABET)
    if len(raw) != CODE_LENGTH:
        return ""
    return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4))


class Audience(models.TextChoices):
    CANDIDATES = "candidates", _("Candidates")
    VOTERS = "voters", _("Voters (the public)")
    STATION_STAFF = "station_staff", _("Station staff")
    SECURITY = "security", _("Security and police forces")


# Audiences whose material may be published on the public pages.
PUBLIC_AUDIENCES = (Audience.CANDIDATES, Audience.VOTERS)


class Delivery(models.TextChoices):
    SELF_PACED = "self_paced", _("Self-paced material")
    SESSIONS = "sessions", _("Sessions with a trainer")


class CourseQuerySet(models.QuerySet["Course"]):
    def public(self) -> CourseQuerySet:
        return self.filter(public=True, audience__in=PUBLIC_AUDIENCES)


class Course(models.Model):
    election = models.ForeignKey("elections.Election", on_delete=models.PROTECT,
                                 related_name="courses", verbose_name=_("election"))
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("given by"),
                             help_text=_("The country for a national course, or a "
                                         "province or county."))
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices)
    post = models.CharField(_("station post"), max_length=16, choices=StationPost.choices,
                            blank=True,
                            help_text=_("For station staff: the post this course qualifies "
                                        "for."))
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    material = models.TextField(_("material"), max_length=30_000, blank=True,
                                help_text=_("The lessons: paragraphs separated by a blank "
                                            "line; a line starting with # is a heading."))
    delivery = models.CharField(_("delivery"), max_length=16, choices=Delivery.choices,
                                default=Delivery.SESSIONS)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark (percent)"), default=70,
        help_text=_("The share of correct answers needed to pass the assessment."))
    public = models.BooleanField(_("published on the public pages"), default=False,
                                 help_text=_("Only courses for voters and candidates are "
                                             "published."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CourseQuerySet.as_manager()

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["audience", "post", "title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(audience="station_staff") & ~Q(post=""))
                | (~Q(audience="station_staff") & Q(post="")),
                name="training_course_post_iff_staff"),
            # One course qualifies for a post in an election: the rule staffing applies.
            models.UniqueConstraint(fields=["election", "post"], condition=~Q(post=""),
                                    name="training_course_one_per_post"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100),
                                   name="training_course_pass_mark_percent"),
            models.CheckConstraint(
                condition=Q(public=False) | Q(audience__in=["candidates", "voters"]),
                name="training_course_public_audiences"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def lessons(self) -> list[dict[str, str]]:
        """The material as blocks: ``{"kind": "heading"|"text", "text": …}``."""
        blocks: list[dict[str, str]] = []
        for chunk in self.material.replace("\r\n", "\n").split("\n\n"):
            text = chunk.strip()
            if not text:
                continue
            if text.startswith("#"):
                blocks.append({"kind": "heading", "text": text.lstrip("#").strip()})
            else:
                blocks.append({"kind": "text", "text": text})
        return blocks


class Session(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="sessions",
                               verbose_name=_("course"))
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("county"))
    place = models.CharField(_("place"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    trainer = models.CharField(_("trainer"), max_length=200)
    capacity = models.PositiveIntegerField(_("capacity"))
    # Kept by the enrolment service; the database refuses more than the capacity.
    enrolled = models.PositiveIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__gt=0),
                                   name="training_session_capacity_positive"),
            models.CheckConstraint(condition=Q(enrolled__lte=F("capacity")),
                                   name="training_session_within_capacity"),
        ]

    def __str__(self) -> str:
        return f"{self.course} — {self.place}"

    @property
    def free_places(self) -> int:
        return max(self.capacity - self.enrolled, 0)


class Enrolment(models.Model):
    """One person on a course (at a session, or self-paced), by national ID."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="enrolments")
    session = models.ForeignKey(Session, on_delete=models.CASCADE, null=True, blank=True,
                                related_name="enrolments")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH)
    full_name = models.CharField(_("full name"), max_length=200)
    mobile = models.CharField(_("mobile"), max_length=11, blank=True)
    attended = models.BooleanField(_("attended"), default=False)
    attended_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["full_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "national_id"],
                                    name="training_enrolment_once_per_course"),
        ]
        indexes = [models.Index(fields=["national_id"])]

    def __str__(self) -> str:
        return self.full_name


class Question(models.Model):
    """One multiple-choice question of a course's assessment."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=1)
    text = models.CharField(_("question"), max_length=500)
    choices = models.JSONField(_("choices"), default=list)
    correct = models.PositiveSmallIntegerField(_("correct choice"),
                                               help_text=_("Counted from 1."))

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class Attempt(models.Model):
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="attempts")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH)
    full_name = models.CharField(_("full name"), max_length=200)
    answers = models.JSONField(default=list)
    score = models.PositiveSmallIntegerField(_("score (percent)"))
    passed = models.BooleanField(_("passed"))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("assessment attempt")
        verbose_name_plural = _("assessment attempts")
        ordering = ["-created_at", "pk"]
        indexes = [models.Index(fields=["course", "national_id"])]

    def __str__(self) -> str:
        return f"{self.full_name}: {self.score}"


class Completion(models.Model):
    """A person passed a course: what staffing checks and the certificate shows."""

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    unit = models.ForeignKey("geo.AdminUnit", on_delete=models.PROTECT, related_name="+")
    national_id = models.CharField(_("national ID"), max_length=NATIONAL_ID_LENGTH)
    full_name = models.CharField(_("full name"), max_length=200)
    score = models.PositiveSmallIntegerField(_("score (percent)"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), default=timezone.now)
    code = models.CharField(_("verification code"), max_length=20, unique=True,
                            default=new_certificate_code)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("completion")
        verbose_name_plural = _("completions")
        ordering = ["-completed_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["course", "national_id"],
                                    name="training_completion_once_per_course"),
        ]
        indexes = [models.Index(fields=["national_id"])]

    def __str__(self) -> str:
        return f"{self.full_name} — {self.course}"
