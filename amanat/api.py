"""The HTTP API under /api/v1/: django-ninja, bearer tokens, explicit schemas."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import HttpBearer

from amanat.accounts import access
from amanat.accounts.models import ApiToken
from amanat.accounts.services import api_token_authenticate
from amanat.core.api_errors import install_error_handlers
from amanat.core.api_parser import CleanTextParser
from amanat.incidents.api import router as incidents_router
from amanat.stations.api import router as stations_router


class TokenAuth(HttpBearer):
    """``Authorization: Bearer amt_…``; expired, revoked and disabled-user tokens fail (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        # Views and access helpers see the token's user as the request user.
        request.user = api_token.user
        return api_token


api = NinjaAPI(
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
api.add_router("/stations/", stations_router)
api.add_router("/incidents/", incidents_router)


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


def _unit_out(unit: Any) -> UnitOut:
    return UnitOut(
        id=unit.pk,
        kind=unit.kind,
        code=unit.code,
        name=unit.name,
        path=unit.path,
        parent_id=unit.parent_id,
    )


@api.get("/me", response=MeOut, url_name="me", tags=["accounts"])
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


@api.get("/units/{unit_id}", response=UnitOut, url_name="unit", tags=["geo"])
def unit_detail(request: HttpRequest, unit_id: int) -> UnitOut:
    return _unit_out(access.get_unit_for_user(request.user, unit_id))
