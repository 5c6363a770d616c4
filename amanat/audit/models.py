"""The tamper-evident audit log: events in a hash chain, its head, signed checkpoints.

Events are append-only at the database (triggers, see triggers.py). Actor and unit are
kept as plain ids plus snapshots rather than foreign keys: deleting a user or unit must
never touch (or be blocked by) the log, and the log must say who it was at the time.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Event(models.Model):
    seq = models.BigIntegerField(_("sequence number"), unique=True)
    time = models.DateTimeField(_("time"))
    actor_id = models.BigIntegerField(_("actor user id"), null=True, blank=True)
    actor_name = models.CharField(_("actor"), max_length=150)
    unit_id = models.BigIntegerField(_("unit id"), null=True, blank=True)
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    extra = models.JSONField(_("extra"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"], name="audit_event_object")]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action}"


class ChainHead(models.Model):
    """One row: the last seq and hash. Locked by every append so seq has no gaps.

    It is updated in place (not append-only) and the verifier never relies on it.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    log_id = models.UUIDField(_("log id"))
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit chain head")

    def __str__(self) -> str:
        return f"{self.log_id} @ {self.last_seq}"


class Checkpoint(models.Model):
    log_id = models.UUIDField(_("log id"))
    size = models.BigIntegerField(_("log size"))
    root = models.CharField(_("root hash"), max_length=64)
    time = models.DateTimeField(_("time"))
    public_key = models.CharField(_("public key"), max_length=64)
    signature = models.CharField(_("signature"), max_length=100)
    text = models.TextField(_("checkpoint text"))

    class Meta:
        verbose_name = _("audit checkpoint")
        verbose_name_plural = _("audit checkpoints")
        ordering = ["size", "time"]

    def __str__(self) -> str:
        return f"{self.size} @ {self.time:%Y-%m-%dT%H:%M:%SZ}"
