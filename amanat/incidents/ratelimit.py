"""A fixed-window request counter in the database, shared by every server process.

Django's default cache is per process (LocMem), so a limit kept there would multiply by
the number of workers; a row per (key, window) in the database holds across all of
them.  Client addresses are stored only as a keyed hash.  Callers key on
``amanat.core.clientaddr.client_limit_address``: the client behind the trusted reverse
proxies, an IPv6 client by its /64.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from amanat.incidents.models import RateCounter


def client_key(scope: str, address: str) -> str:
    """A keyed hash of the address: counters never hold a readable IP address."""
    digest = hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256)
    return f"{scope}:{digest.hexdigest()[:40]}"


def _window_start(now: datetime.datetime, window: datetime.timedelta) -> datetime.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)


def hit(key: str, *, limit: int, window: datetime.timedelta,
        now: datetime.datetime | None = None) -> bool:
    """Count one request for ``key``; True while the window's count is within ``limit``."""
    now = now or timezone.now()
    start = _window_start(now, window)
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=start).update(
            count=F("count") + 1
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=1)
            except IntegrityError:  # a concurrent first hit created it
                RateCounter.objects.filter(key=key, window_start=start).update(
                    count=F("count") + 1
                )
        count = RateCounter.objects.filter(key=key, window_start=start).values_list(
            "count", flat=True
        ).first()
        # Old windows are of no use; drop them now and then rather than with a job.
        if count == 1:
            RateCounter.objects.filter(window_start__lt=start - window).delete()
    return (count or 0) <= limit
