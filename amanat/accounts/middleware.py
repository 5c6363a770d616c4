"""Request-time guards: login required, session lifetime, disabled users, second factor."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.middleware import LoginRequiredMiddleware
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import redirect
from django.utils import translation

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, needs_second_factor, user_memberships
from amanat.accounts.services import LANGUAGE_SESSION_KEY, user_has_totp
from amanat.elections.models import Election

SIGNED_IN_AT = "_amanat_signed_in_at"
SEEN_AT = "_amanat_seen_at"
# The end (epoch seconds) of an election-day field session, 0 when the session is ordinary.
FIELD_UNTIL = "_amanat_field_until"
# Refreshing "last seen" on every request would write the session on every request.
SEEN_RESOLUTION = 60

View = Callable[..., HttpResponseBase]


# How a view may be reached by a session that has not passed the second factor yet.
BEFORE_SECOND_FACTOR = "_amanat_before_second_factor"
ALWAYS = "always"  # sign-in, sign-out, verification
UNTIL_ENROLLED = "until_enrolled"  # enrolment: only while the user has no confirmed device


def second_factor_not_required(view: View) -> View:
    """Mark a view reachable before the second factor (sign-in, sign-out, verification)."""
    setattr(view, BEFORE_SECOND_FACTOR, ALWAYS)
    return view


def second_factor_not_required_until_enrolled(view: View) -> View:
    """Mark a view reachable before the second factor only while the user has no confirmed
    device (enrolment): once one exists, a password alone must never replace it."""
    setattr(view, BEFORE_SECOND_FACTOR, UNTIL_ENROLLED)
    return view


def must_verify(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Whether this signed-in user's session must pass TOTP: required by their roles, or
    they have a device (an enrolled factor that is never asked for protects nothing)."""
    if not user.is_authenticated:
        return False
    return needs_second_factor(user) or user_has_totp(user)  # type: ignore[arg-type]


# Framework views that must work signed out: the language switch on the sign-in page
# (it only sets a cookie and redirects to a same-site address).
LOGIN_EXEMPT_URL_NAMES = frozenset({"set_language"})


class PersianFirstLocaleMiddleware(LocaleMiddleware):
    """Persian for everyone unless they chose English: the user's choice (the session's
    copy of their profile's language, or the switch's cookie before sign-in), never the
    browser's Accept-Language (office computers often run English browsers)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info.startswith(settings.AMANAT_API_PREFIX):
            # A client program asks for its language (the served API's own chain,
            # settings.API_MIDDLEWARE, does the same with Django's LocaleMiddleware).
            super().process_request(request)
            return
        supported = dict(settings.LANGUAGES)
        session = getattr(request, "session", None)
        language = session.get(LANGUAGE_SESSION_KEY) if session is not None else None
        if language not in supported:
            language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


# The API's views: its namespace (amanat/api.py) and the route that answers its paths
# without a slash.  Only they check bearer tokens instead of the session.
API_NAMESPACE = "api"
API_FALLBACK = "api_fallback"


def is_api_view(request: HttpRequest) -> bool:
    """Whether the request goes to the API's own views, which authenticate by bearer
    token: a path under the API's prefix is not enough (auth review 2: a page mounted
    there by mistake would have skipped sign-in and the second factor)."""
    match = request.resolver_match
    return (request.path_info.startswith(settings.AMANAT_API_PREFIX) and match is not None
            and (match.namespace == API_NAMESPACE or match.url_name == API_FALLBACK))


class AmanatLoginRequiredMiddleware(LoginRequiredMiddleware):
    """Django's login-required default, except the API, which checks bearer tokens."""

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponseBase | None:
        if is_api_view(request):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in LOGIN_EXEMPT_URL_NAMES:
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


def field_day_session_end(user: AnyUser, signed_in: int) -> int:
    """When a session signed in at ``signed_in`` may last the whole election day: the
    end of that day's field window (epoch seconds), else 0.

    Inspectors and police at a village station cannot sign in again every half hour with
    a phone on a poor network, so a user whose every role is a field role, signed in
    within an election day's window (from ``AMANAT_FIELD_DAY_START_HOUR`` on the day to
    ``AMANAT_FIELD_DAY_END_HOUR`` after midnight, Tehran time), keeps the session to the
    window's end. Office roles see far more personal data and keep the ordinary limits.
    """
    roles = {m.role for m in user_memberships(user)}
    if not roles or not roles <= policy.FIELD_ROLES:
        return 0
    zone = ZoneInfo(settings.TIME_ZONE)
    at = datetime.datetime.fromtimestamp(signed_in, zone)
    # A sign-in after midnight may still belong to the previous day's window.
    for day in (at.date(), at.date() - datetime.timedelta(days=1)):
        start = datetime.datetime.combine(
            day, datetime.time(settings.AMANAT_FIELD_DAY_START_HOUR), zone)
        end = datetime.datetime.combine(
            day + datetime.timedelta(days=1), datetime.time(settings.AMANAT_FIELD_DAY_END_HOUR),
            zone)
        if start <= at < end and Election.objects.filter(election_day=day).exists():
            return int(end.timestamp())
    return 0


class SessionLifetimeMiddleware:
    """End sessions after 30 idle minutes or 12 hours, and those of disabled users; a
    field role's session signed in on election day lasts the day instead."""

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
        refresh = now - seen >= SEEN_RESOLUTION or SEEN_AT not in session
        if refresh:
            # Roles may change during the day: the field session is re-derived as often
            # as "last seen" is written, never trusted for longer.
            self._field_session(request, signed_in, now)
        if now < session.get(FIELD_UNTIL, 0):
            expired = False
        else:
            expired = (now - seen > settings.AMANAT_SESSION_IDLE_SECONDS
                       or now - signed_in > settings.AMANAT_SESSION_ABSOLUTE_SECONDS)
        if expired:
            logout(request)
            return True
        if refresh:
            session[SEEN_AT] = now
        return False

    @staticmethod
    def _field_session(request: HttpRequest, signed_in: int, now: int) -> None:
        session = request.session
        until = field_day_session_end(request.user, signed_in)
        if until != session.get(FIELD_UNTIL, 0):
            session[FIELD_UNTIL] = until
            # The cookie and the stored session last as long as the day (or go back to
            # the ordinary age when the user is no longer field-only).
            session.set_expiry(until - now if until > now else None)


class SecondFactorMiddleware:
    """Until this session has passed TOTP, a user who must pass it reaches only sign-in,
    sign-out, verification and (before they have a device) enrolment.

    Public pages (``@login_not_required``) stay reachable, as they are signed out, but they
    see an anonymous user: a password alone must not act under the user's name anywhere.
    Everything else is sent to verification (or enrolment), POSTs included, before the
    view runs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: Any, view_kwargs: Any
    ) -> HttpResponse | None:
        if is_api_view(request):
            return None  # bearer tokens, no sessions
        user = request.user
        # django-otp's middleware adds is_verified() to the user.
        if not user.is_authenticated or user.is_verified():  # type: ignore[attr-defined]
            return None
        if not must_verify(user):
            return None
        exemption = getattr(view_func, BEFORE_SECOND_FACTOR, None)
        if exemption == ALWAYS:
            return None
        has_device = user_has_totp(user)
        if exemption == UNTIL_ENROLLED and not has_device:
            return None
        if not getattr(view_func, "login_required", True):
            request.user = AnonymousUser()
            return None
        target = "accounts_otp_verify" if has_device else "accounts_otp_enrol"
        response = redirect(target)
        if request.method == "GET":
            response["Location"] += "?next=" + _quote(request.get_full_path())
        return response


class PrivatePagesMiddleware:
    """Answers to a signed-in user (a session or an API token) are ``private, no-store``.

    They carry scoped data (lists, exports, evidence, tokens shown once): no shared cache
    may keep them and no browser may keep them on disk or show them again from history
    after sign-out. So are pages a signed-out visitor sees built from their own session
    (the candidate's registration steps). Static files (WhiteNoise answers before this
    runs) and other pages served signed out keep whatever caching they had. Runs in the
    site's and the API's chain; on the API the token check has named ``request.user`` by
    the time the answer passes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        # A signed-out visitor's own session data read by the page (the candidate's
        # registration steps: their mobile number, their tracking code) is as private.
        visitor_data = session is not None and session.accessed and not session.is_empty()
        if (user is not None and user.is_authenticated) or visitor_data:
            response["Cache-Control"] = "private, no-store"
            if response.has_header("Expires"):
                del response["Expires"]
        return response


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="/")
