"""Files kept in the database (docs/decisions/0006-files-in-postgresql.md)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StoredFile(models.Model):
    """One file of ``amanat.files.storage.DatabaseStorage``: its storage name (a path
    such as ``evidence/<hex>.png``) and its bytes.  Written in the transaction of the
    record that refers to it, so both commit (or roll back, and are restored) together."""

    name = models.CharField(_("name"), max_length=255, unique=True)
    content = models.BinaryField(_("content"))
    size = models.PositiveBigIntegerField(_("size"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("stored file")
        verbose_name_plural = _("stored files")

    def __str__(self) -> str:
        return self.name
