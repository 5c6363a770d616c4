"""The home page: a signed-in user's own work ("my work"); the public portal's home otherwise."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.elections import selectors as election_selectors
from amanat.geo.models import Kind
from amanat.incidents import selectors as incident_selectors
from amanat.portal.views import public_home
from amanat.site import selectors
from amanat.site.selectors import Area


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return my_work(request)
    # Signed out: the public portal's home (amanat/portal), not the sign-in page.
    return public_home(request)


def _url(name: str, *args: Any, **query: Any) -> str:
    url = reverse(name, args=args)
    return f"{url}?{urlencode(query)}" if query else url


def _area_links(user: AnyUser, area: Area) -> dict[str, str]:
    """Where each figure of an area's row is worked on, for the links this user can
    open only (an empty string is no link)."""
    unit = area.unit
    if unit is None:
        return {}
    is_county = unit.kind == Kind.COUNTY
    links = {"unit": reverse("geo:unit", args=[unit.pk])}
    if access.can(user, policy.VIEW, incident_selectors.CASE, unit):
        links["overdue"] = _url("incidents:cases", unit=unit.pk, status="open", overdue="on")
        links["open"] = _url("incidents:cases", unit=unit.pk, status="open")
    if access.can(user, policy.VIEW, selectors.STATION, unit):
        where = {"county": unit.pk} if is_county else {"province": unit.pk}
        links["no_cctv"] = _url("stations:list", cctv="none", **where)
        links["no_fibre"] = _url("stations:list", evoting_planned="yes", fibre="missing", **where)
        if is_county:
            links["readiness"] = reverse("stations:readiness_county", args=[unit.pk])
    return links


def my_work(request: HttpRequest) -> HttpResponse:
    user = request.user
    election = election_selectors.current_election()
    work = selectors.my_work(user, election=election)
    rows = [{"area": area, "links": _area_links(user, area)} for area in work.areas]
    return render(request, "site/my_work.html", {
        "work": work, "rows": rows, "election": election,
        "can_reports": work.sees_reports, "can_cases": work.sees_cases,
    })
