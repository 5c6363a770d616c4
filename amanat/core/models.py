"""Models shared by every app (the project's own plumbing, no domain nouns)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
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

    # No index of its own: the unique constraint's index starts with the user.  With a
    # second, the planner, before statistics exist (a fresh table, or before the first
    # autoanalyze), read every record of the user to find one key: the API's token
    # SELECT grew with a device's reports (docs/benchmarks.md, "PostgreSQL: the intake's
    # result columns").
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
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
    # The last sign of life of the work (its start, each report): a job that has given
    # none for ``core.jobs.STALE_AFTER`` has lost its worker (``core.jobs.job_stale``).
    beat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="core_job_user_recent")]

    def __str__(self) -> str:
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)
class OutboundMessage(models.Model):
    """One message the platform sent or is sending (SMS or e-mail): the outbox.

    Written in the caller's transaction (a refused registration leaves no row and sends
    nothing); the delivery runs after commit in a background task with retries
    (``amanat.core.notify``).  An operator sees what was sent to whom and when, and what
    failed and why.  The text of a sensitive message (a one-time code) is blanked once it
    is delivered or given up on.
    """

    class Channel(models.TextChoices):
        SMS = "sms", "SMS"
        EMAIL = "email", "e-mail"

    class Status(models.TextChoices):
        QUEUED = "queued", "queued"
        SENT = "sent", "sent"
        FAILED = "failed", "failed"

    channel = models.CharField(max_length=8, choices=Channel.choices)
    # A mobile number or an e-mail address; shown masked (notify.mask_phone).
    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255, blank=True)
    text = models.TextField(max_length=20000)
    # What the message is for, e.g. "candidates.mobile_code", "sms.reply".
    purpose = models.CharField(max_length=60, blank=True)
    sensitive = models.BooleanField(default=False)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # The gateway's answer to the last attempt (Kannel: "0: Accepted for delivery").
    gateway_answer = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created_at"], name="core_outbox_status")]

    def __str__(self) -> str:
        return f"{self.channel} {self.pk} {self.status}"


class InboundSms(models.Model):
    """One SMS that reached the platform through the gateway, kept as received.

    Stored before anything reads it, so that a message no handler understands (or one
    whose handling failed) is still there for review.  The gateway's message id is the
    idempotency key: a retried delivery finds its row and makes no second record
    (``amanat.core.sms``).
    """

    class Outcome(models.TextChoices):
        PENDING = "pending", "pending"
        ACCEPTED = "accepted", "accepted"
        REFUSED = "refused", "refused"
        UNKNOWN = "unknown", "not understood"

    gateway_id = models.CharField(max_length=100, unique=True)
    sender = models.CharField(max_length=40)
    receiver = models.CharField(max_length=40, blank=True)
    text = models.TextField(max_length=20000, blank=True)
    # The data coding the gateway reported (0 GSM/UTF-8 text, 1 binary, 2 UCS-2).
    coding = models.CharField(max_length=4, blank=True)
    # The gateway's time of the message, as it sent it.
    gateway_time = models.CharField(max_length=40, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Which handler claimed it ("incidents", later "operations"), and what came of it.
    handler = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices,
                               default=Outcome.PENDING)
    error = models.CharField(max_length=60, blank=True)
    reference = models.CharField(max_length=40, blank=True)
    reply = models.TextField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return f"{self.gateway_id} {self.outcome}"


class RateCounter(models.Model):
    """Requests per key (a hashed client address) per fixed window, for the rate limits
    of the public pages (``amanat.core.ratelimit``).

    In the database, not Django's cache: the default cache is per process, and a limit
    must hold across every server process.
    """

    key = models.CharField(max_length=100)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="core_rate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.window_start}: {self.count}"


class TaskWorkerBeat(models.Model):
    """A task worker's sign of life (``amanat task_worker`` writes it every
    ``AMANAT_TASK_BEAT_SECONDS``): the tasks a worker that stopped beating had claimed
    are put back in the queue (amanat/core/management/commands/task_worker.py)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    beat_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker_id} @ {self.beat_at:%Y-%m-%d %H:%M:%S}"
