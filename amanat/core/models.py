"""Models shared by every app (the project's own plumbing, no domain nouns)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


def in_language(name_fa: str, name_en: str) -> str:
    """The name of a row named in both languages (categories, agencies) for the active
    language: English in the English interface (when it has one), Persian otherwise."""
    english = (get_language() or "fa").startswith("en")
    return name_en if english and name_en else name_fa


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` a user has used on one route, with the answer it got.

    The unique constraint is what makes a concurrent duplicate execute only once: the
    second request's insert waits for the first transaction and then fails, and the
    stored answer is replayed.  Records older than 24 hours are deleted
    (``amanat.core.idempotency.idempotency_cleanup``).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # Method and path, e.g. "PATCH /api/v1/stations/12": a key is scoped to one resource.
    route = models.CharField(max_length=255)
    key = models.CharField(max_length=255)
    # SHA-256 of the request body in canonical JSON (sorted keys): tells a retry from a
    # different request that reuses the key.
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "route", "key"], name="core_idempotency_user_route_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.key}"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """Long work a person started from a page and runs in a background task: its page
    (``/jobs/<id>/``) shows how far it is and says when it has finished
    (``amanat.core.jobs``)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # What kind of work ("atlas.recompute"): earlier runs of the same kind estimate the time.
    kind = models.CharField(max_length=64)
    title = models.CharField(_("work"), max_length=300)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=JobStatus.choices,
                              default=JobStatus.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    message = models.TextField(max_length=2000, blank=True)
    # Where the result is (the page the work changed, a file to download).
    result_url = models.CharField(max_length=500, blank=True)
    # The starter's language: the task words its closing message in it.
    language = models.CharField(max_length=8, default="fa")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="core_job_user_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
