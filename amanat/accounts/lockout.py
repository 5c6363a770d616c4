"""Sign-in lockout: django-axes, counting by the client's real address, plus a limit
per address across usernames.

axes locks a (username, address) pair after ``AXES_FAILURE_LIMIT`` failures.  That alone
never slows password spraying: one address trying a few passwords against many
usernames stays under the limit for each pair.  So failures from one address, whatever
the usernames, are summed over axes' own attempt rows (same cool-off), and
``AMANAT_SIGN_IN_ADDRESS_LIMIT`` of them lock the address.  It is higher than the pair's
limit: a county office behind one NAT address shares it.

A wrong current password on the password page (a signed-in session, left open, say) is
a guess at the password like a failed sign-in: it is counted by the same rules
(``password_check_failed``), and a locked pair or address may not try again there
either (``password_check_refused``).
"""

from __future__ import annotations

from typing import Any

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse

from amanat.accounts.services import password_check_failed_record
from amanat.core.clientaddr import client_limit_address


def axes_client_address(request: HttpRequest) -> str | None:
    """axes' ``AXES_CLIENT_IP_CALLABLE``: the address limits count by (None if unknown:
    axes stores it in an address column)."""
    return client_limit_address(request) or None


def address_failures(request: HttpRequest) -> int:
    """Failed sign-ins from this request's address within the cool-off, all usernames."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    total = AccessAttempt.objects.filter(
        ip_address=address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return int(total or 0)


def _address_locked(request: HttpRequest) -> bool:
    return address_failures(request) >= int(settings.AMANAT_SIGN_IN_ADDRESS_LIMIT)


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler; an address over its limit is locked like a pair."""

    def is_locked(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> bool:
        return bool(super().is_locked(request, credentials)) or _address_locked(request)

    def user_login_failed(
        self,
        sender: Any,
        credentials: dict[str, Any],
        request: HttpRequest | None = None,
        **kwargs: Any,
    ) -> None:
        super().user_login_failed(sender, credentials, request, **kwargs)
        # The failure that reaches the address's limit gets the lockout page at once,
        # as axes does for the pair's.
        if request is not None and not getattr(request, "axes_locked_out", False) \
                and _address_locked(request):
            request.axes_locked_out = True  # type: ignore[attr-defined]
            request.axes_credentials = credentials  # type: ignore[attr-defined]


def _credentials(user: User) -> dict[str, Any]:
    return {"username": user.get_username()}


def password_check_refused(request: HttpRequest, user: User) -> HttpResponse | None:
    """The lockout answer (429) if ``user`` may not try a password from this address now,
    as at sign-in; else None.  Asked before the password is checked at all."""
    credentials = _credentials(user)
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    response: HttpResponse = get_lockout_response(request, None, credentials)
    return response


def password_check_failed(request: HttpRequest, user: User) -> None:
    """A wrong current password typed by ``user``'s session: counted as a failed sign-in
    of that username from this address (the failure that reaches a limit gets the
    lockout page at once, through axes' middleware) and recorded like one
    (``auth.password_check_failed``, counted per window as failed sign-ins are)."""
    AxesProxyHandler.user_login_failed(
        sender=password_check_failed, credentials=_credentials(user), request=request
    )
    password_check_failed_record(user=user, request=request)
