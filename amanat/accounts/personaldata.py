"""National IDs and mobiles on pages: masked by default, shown in full only through an
audited POST, one mechanism for every app that keeps people (staffing, boards,
candidates, training).

A page that shows personal data asks :func:`reveal` what to show::

    shown = personaldata.reveal(request, allowed=can(user, VIEW, "boards.personaldata",
                                unit), action="boards.board.read", unit=unit, obj=board)
    shown.national_id(member.national_id)   # "******1234", or in full once revealed

``allowed`` is the policy's answer (accounts/policy.py, ``<app>.personaldata``).  A GET
writes nothing and shows the masked form; a POST carrying ``reveal`` from someone allowed
records one audit entry (``action``) and shows the values in full for that one answer.
The page offers the button with ``{% include "accounts/_reveal.html" %}`` while
``shown.may_reveal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.http import HttpRequest

from amanat.audit.services import audit_record
from amanat.core.identity import mask_mobile, mask_national_id
from amanat.geo.models import AdminUnit

REVEAL_FIELD = "reveal"


@dataclass(frozen=True)
class Shown:
    """What one answer shows: masked, or in full (``revealed``) after an audited POST."""

    allowed: bool
    revealed: bool

    @property
    def may_reveal(self) -> bool:
        """Offer the button: allowed, and not already shown in full."""
        return self.allowed and not self.revealed

    def national_id(self, value: str) -> str:
        return value if self.revealed else mask_national_id(value)

    def mobile(self, value: str) -> str:
        return value if self.revealed else mask_mobile(value)


MASKED = Shown(allowed=False, revealed=False)


def asks_reveal(request: HttpRequest) -> bool:
    return request.method == "POST" and bool(request.POST.get(REVEAL_FIELD))


def reveal(request: HttpRequest, *, allowed: bool, action: str, unit: AdminUnit | None,
           obj: models.Model, extra: Mapping[str, Any] | None = None) -> Shown:
    """Masked unless the request is a POST with ``reveal`` from someone ``allowed``; that
    read is recorded (``action`` on ``obj``) before anything is shown."""
    if not (allowed and asks_reveal(request)):
        return Shown(allowed=allowed, revealed=False)
    with transaction.atomic():
        audit_record(action=action, actor=request.user, unit=unit, obj=obj, extra=extra)
    return Shown(allowed=True, revealed=True)
