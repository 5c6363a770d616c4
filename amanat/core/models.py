"""Models shared by every app (the project's own plumbing, no domain nouns)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language


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
