"""The WSGI application: the API under its own, shorter middleware chain.

Every API call authenticates with a bearer token (``amanat.api.TokenAuth``) and answers
JSON, so the site's session, CSRF, sign-in, second-factor, messages, lockout (axes),
static files (WhiteNoise) and CSP middleware have nothing to do there; on election day
the API's report intake is the busiest path, and passing a request through them cost
about a tenth of its server time (docs/intake-load.md).  Django has no per-path
middleware, so ``/api/`` requests go to a second handler built from
``settings.API_MIDDLEWARE``; everything else goes to the usual one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponse

Environ = dict[str, Any]
StartResponse = Callable[..., Any]


class ApiHandler(WSGIHandler):
    """A WSGI handler whose middleware chain is ``settings.API_MIDDLEWARE``."""

    def load_middleware(self, is_async: bool = False) -> None:
        # Django reads the chain from settings.MIDDLEWARE only.  This runs once, when
        # the WSGI module is imported and before any request thread exists.
        site_chain = settings.MIDDLEWARE
        settings.MIDDLEWARE = settings.API_MIDDLEWARE
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = site_chain


class AnonymousUntilTokenMiddleware:
    """``request.user`` is anonymous until the API's token check names the token's user.

    In the site's chain the session middleware sets it; endpoints without a token (the
    SMS webhook, the OpenAPI schema) must still find an anonymous user there.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.user = AnonymousUser()
        return self.get_response(request)


class PathDispatch:
    """Send ``/api/`` to the API's handler and every other path to the site's."""

    def __init__(self) -> None:
        self.site = WSGIHandler()
        self.api = ApiHandler()
        self.prefix = settings.AMANAT_API_PREFIX

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        handler = self.api if environ.get("PATH_INFO", "").startswith(self.prefix) else self.site
        return handler(environ, start_response)
