"""Request-time guards: login required, session lifetime, disabled users, second factor."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect

from amanat.accounts.access import needs_second_factor
from amanat.accounts.services import user_has_totp

SIGNED_IN_AT = "_amanat_signed_in_at"
SEEN_AT = "_amanat_seen_at"
# Refreshing "last seen" on every request would write the session on every request.
SEEN_RESOLUTION = 60

View = Callable[..., HttpResponseBase]


def second_factor_not_required(view: View) -> View:
    """Mark a view reachable before the second factor (enrolment, verification)."""
    view.second_factor_required = False  # type: ignore[attr-defined]
    return view


# Framework views that must work signed out: the language switch on the sign-in page
# (it only sets a cookie and redirects to a same-site address).
LOGIN_EXEMPT_URL_NAMES = frozenset({"set_language"})


class AmanatLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-required default, except the API, which checks bearer tokens."""

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if request.path_info.startswith(settings.AMANAT_API_PREFIX):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in LOGIN_EXEMPT_URL_NAMES:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SessionLifetimeMiddleware:
    """End sessions after 30 idle minutes or 12 hours, and those of disabled users."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        expired = self._check(request)
        if expired:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        return self.get_response(request)

    def _check(self, request: HttpRequest) -> bool:
        session = request.session
        if not request.user.is_authenticated:
            # A session naming a user who no longer authenticates (disabled or deleted)
            # is dropped rather than left to linger.
            if session.get("_auth_user_id") is not None:
                session.flush()
            return False
        now = int(time.time())
        signed_in = session.setdefault(SIGNED_IN_AT, now)
        seen = session.get(SEEN_AT, now)
        if (
            now - seen > settings.AMANAT_SESSION_IDLE_SECONDS
            or now - signed_in > settings.AMANAT_SESSION_ABSOLUTE_SECONDS
        ):
            logout(request)
            return True
        if now - seen >= SEEN_RESOLUTION or SEEN_AT not in session:
            session[SEEN_AT] = now
        return False


class SecondFactorMiddleware:
    """Send users who need TOTP and have not verified it to enrolment or verification."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if request.path_info.startswith(settings.AMANAT_API_PREFIX):
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        if not getattr(view_func, "login_required", True):
            return None
        user = request.user
        if not user.is_authenticated or not needs_second_factor(user):
            return None
        if user.is_verified():  # type: ignore[attr-defined]  # django-otp adds it
            return None
        target = "accounts_otp_verify" if user_has_totp(user) else "accounts_otp_enrol"
        response = redirect(target)
        response["Location"] += "?next=" + _quote(request.get_full_path())
        return response


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")
