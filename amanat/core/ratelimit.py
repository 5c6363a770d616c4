"""The one throttle of the public pages: a fixed-window request counter in the database,
shared by every server process.

Django's default cache is per process (LocMem), so a limit kept there would multiply by
the number of workers; a row per (key, window) in the database holds across all of
them.  Client addresses are stored only as a keyed hash, counted by
``amanat.core.clientaddr.client_limit_address``: the client behind the trusted reverse
proxies, an IPv6 client by its /64.

* ``allow(request, scope, limit=, window=)``: count one request, False once over;
* ``@public_lookup(scope)``: every public page that looks something up by a code (a
  letter's or a certificate's verification, a report's status) counts each lookup and
  answers 429 beyond ``AMANAT_PUBLIC_LOOKUP_LIMIT`` an hour per client;
* ``too_many(request, message)``: the 429 page.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import hmac
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from amanat.core.clientaddr import client_limit_address
from amanat.core.models import RateCounter

WINDOW = datetime.timedelta(hours=1)
# Lookups by a code from one client an hour: a person checks a few letters or
# certificates, an office at one address a few dozen; guessing codes takes far more.
LOOKUP_LIMIT = 60


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


def allow(request: HttpRequest, scope: str, *, limit: int,
          window: datetime.timedelta = WINDOW) -> bool:
    """Count this request of the client for ``scope``; False once over ``limit``."""
    return hit(client_key(scope, client_limit_address(request)), limit=limit, window=window)


def too_many(request: HttpRequest, message: str | None = None) -> HttpResponse:
    return render(request, "core/rate_limited.html", {
        "message": message or _("Too many lookups were made from your connection in a short "
                                "time. Please try again in an hour.")}, status=429)


def lookup_limit() -> int:
    return int(getattr(settings, "AMANAT_PUBLIC_LOOKUP_LIMIT", LOOKUP_LIMIT))


View = Callable[..., HttpResponse]


def public_lookup(scope: str) -> Callable[[View], View]:
    """A public page that looks something up by what the visitor typed: each lookup (a
    request that carries a query or a form) is counted; over the limit, 429.  The empty
    form itself is never counted."""
    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            asks = bool(request.GET) or request.method == "POST"
            if asks and not allow(request, scope, limit=lookup_limit()):
                return too_many(request)
            return view(request, *args, **kwargs)
        return wrapped
    return decorate
