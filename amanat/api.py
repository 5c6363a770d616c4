"""The HTTP API under /api/v1/: django-ninja, bearer tokens, explicit schemas.

The OpenAPI document it serves is the contract a generated client is built from
(amanat/core/tests/test_generated_client.py): every header an operation needs is a
declared parameter or security scheme, and every error answer is declared with its
schema (``complete_openapi``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.db import Error as DatabaseDriverError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from ninja.operation import Operation
from ninja.security import HttpBearer

from amanat.accounts import access
from amanat.accounts.models import ApiToken
from amanat.atlas.api import router as atlas_router
from amanat.candidates.api import router as candidates_router
from amanat.candidates.review_api import router as candidate_review_router
from amanat.core import idempotency as core_idempotency
from amanat.core.api_errors import (
    ErrorOut,
    complete_openapi,
    install_error_handlers,
    not_found_response,
)
from amanat.core.api_parser import CleanTextParser
from amanat.core.outage import outage_of, unavailable
from amanat.core.sms_api import router as sms_router
from amanat.geo.models import AdminUnit
from amanat.incidents.api import router as incidents_router
from amanat.intake.api import router as intake_router
from amanat.intake.auth import token_authenticate
from amanat.intake.checkin_api import router as checkin_router
from amanat.operations.api import router as operations_router
from amanat.plans.api import router as plans_router
from amanat.staffing.api import router as staffing_router
from amanat.stations.api import router as stations_router
from amanat.stations.selectors import token_station_ids

# The operations a token bound to polling stations (a field device) may call: each
# narrows what it answers to the token's stations (``stations.selectors.token_station_ids``)
# or their counties (``token_unit_ids``), or reads nothing scoped (``me``, the geography,
# the atlas's factor catalogue).  Any other operation answers a bound token 404 before
# it runs, so a new endpoint stays closed to field devices until it narrows by the
# binding and is listed here (auth review 2, F3: the inquiry answers let a device's token
# write over its user's whole county).
BOUND_TOKEN_OPERATIONS = frozenset({
    "me", "unit", "stations", "station", "incidents_report_create",
    "operations_checkin_create", "operations_station_day", "staffing_station_posts",
    "candidates", "candidate", "atlas_units", "atlas_unit", "atlas_factors",
    "plans_compliance", "plans_county_measures",
})


class TokenAuth(HttpBearer):
    """``Authorization: Bearer amt_…``; expired, revoked and disabled-user tokens fail (401)."""

    # Read into the document's security scheme (ninja takes every ``openapi_*`` attribute).
    openapi_bearerFormat = "amt_…"
    openapi_description = (
        "An API token issued on /stations/tokens/ (linked from your profile page, "
        "/accounts/profile/): "
        "`Authorization: Bearer amt_…`. It acts as its user, with the same roles and scope."
    )

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        # A create's Idempotency-Key: its stored answer, if any, is read with the token
        # (the report intake's replay, amanat/intake/idempotency.py).
        key = request.headers.get(core_idempotency.HEADER) if request.method == "POST" else None
        replay = None
        if key is not None and core_idempotency.key_problem(key, required=True) is None:
            replay = (core_idempotency.route_of(request), key)
        api_token = token_authenticate(token, replay=replay)
        if api_token is None:
            return None
        # Views and access helpers see the token's user as the request user.
        request.user = api_token.user
        request.auth = api_token  # type: ignore[attr-defined]  # ninja sets it too, later
        if token_station_ids(request) is not None:
            match = request.resolver_match
            if match is None or match.url_name not in BOUND_TOKEN_OPERATIONS:
                raise Http404("not found")
        return api_token


class AmanatApi(NinjaAPI):
    """ninja's API with the document a client generator needs."""

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        complete_openapi(document)
        return document

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The view's name (``report_create``), not its module path: generated clients
        # name their functions after it.  ninja warns if two views share one.
        return operation.view_func.__name__


# ``exc`` is a django.db.Error (ninja's stubs type the handler loosely).
def on_database_error(request: HttpRequest, exc: Any) -> HttpResponse:
    """A database that cannot serve now is 503 with Retry-After (core/outage.py)."""
    outage = outage_of(exc)
    if outage is None:
        raise exc  # a bug, not an outage: Django's 500
    return unavailable(request, outage)


api = AmanatApi(
    version="1",
    title="Amanat API",
    urls_namespace="api",
    auth=TokenAuth(),
    # The interactive docs page loads scripts from a CDN, which the CSP forbids.
    docs_url=None,
    # Every string of every request is cleaned text (bidi and invisible characters out).
    parser=CleanTextParser(),
)
# Unreadable parameters and bodies get the API's bilingual error body (core/api_errors).
install_error_handlers(api)
# Every error of the database driver (Django's wrappers all derive from django.db.Error).
api.add_exception_handler(DatabaseDriverError, on_database_error)
api.add_router("/stations/", stations_router)
api.add_router("/incidents/", incidents_router)
api.add_router("/candidates/", candidates_router)
api.add_router("/staffing/", staffing_router)
api.add_router("/candidate-review/", candidate_review_router)
api.add_router("/atlas/", atlas_router)
api.add_router("/plans/", plans_router)
# The report intake, the election-day hot path (amanat/intake/README.md).
api.add_router("/incidents/", intake_router)
# Incoming SMS from the Kannel gateway (docs/sms.md).
api.add_router("/sms/", sms_router)
# Election day (issue 16): a station's day; check-ins from field devices are the
# election-day hot path, served by the intake (amanat/intake/README.md).
api.add_router("/operations/", operations_router)
api.add_router("/operations/", checkin_router)


class UnitOut(Schema):
    id: int
    kind: str
    code: str
    name: str
    path: str
    parent_id: int | None


class MembershipOut(Schema):
    id: int
    role: str
    unit: UnitOut
    agency_code: str | None


class MeOut(Schema):
    username: str
    memberships: list[MembershipOut]


def _unit_out(unit: AdminUnit) -> UnitOut:
    return UnitOut(
        id=unit.pk,
        kind=unit.kind,
        code=unit.code,
        name=unit.name,
        path=unit.path,
        parent_id=unit.parent_id,
    )


@api.get("/me", response={200: MeOut, 401: ErrorOut}, url_name="me", tags=["accounts"])
def me(request: HttpRequest) -> MeOut:
    user = request.user
    memberships = [
        MembershipOut(
            id=m.pk,
            role=m.role,
            unit=_unit_out(m.unit),
            agency_code=m.agency.code if m.agency else None,
        )
        for m in access.user_memberships(user)
    ]
    return MeOut(username=user.get_username(), memberships=memberships)


@api.get("/units/{unit_id}", response={200: UnitOut, 401: ErrorOut, 404: ErrorOut},
         url_name="unit", tags=["geo"])
def unit_detail(request: HttpRequest, unit_id: int) -> UnitOut:
    return _unit_out(access.get_unit_for_user(request.user, unit_id))


@login_not_required
@csrf_exempt
def api_fallback(request: HttpRequest) -> HttpResponse:
    """Every path under /api/v1/ that no operation matches answers JSON, never HTML.

    A path without its trailing slash is the same operation (``/api/v1/stations`` is
    ``/api/v1/stations/``): Django's APPEND_SLASH would answer an HTML 301 that drops a
    POST's body.  Anything else is the API's JSON 404.
    """
    if not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.namespace == api.urls_namespace:
            request.resolver_match = match  # the operation's name, for the token check
            response: HttpResponse = match.func(request, *match.args, **match.kwargs)
            return response
    return not_found_response()
