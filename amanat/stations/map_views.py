"""The national station map: the page and its JSON data endpoint.

The page carries its configuration in a JSON island (strict CSP: no inline script) and
``station-map.js`` asks ``map_data`` for what the current zoom and box need.  Both go
through the scope filter on ``unit_path``; out of scope is 404, never 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from amanat.accounts import policy
from amanat.accounts.access import can
from amanat.core.replica import replica_read
from amanat.core.templatetags.persian import persian_active
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import Kind
from amanat.stations import map as stations_map
from amanat.stations import selectors
from amanat.stations.forms import StationFilterForm
from amanat.stations.selectors import LABEL

# The filters the map page offers (the data endpoint accepts all of the list's).
PAGE_FILTERS = ("province", "county", "sensitive", "ready")
# Iran with a margin, for a scope without coordinates: [[south, west], [north, east]].
IRAN_BOUNDS = [[25.0, 44.0], [39.8, 63.4]]
JSON_COMPACT = {"separators": (",", ":"), "ensure_ascii": False}


def _require_view(request: HttpRequest) -> None:
    if not can(request.user, policy.VIEW, LABEL, None):
        raise Http404("not found")


def _filter_form(request: HttpRequest, only: Sequence[str] | None = None) -> StationFilterForm:
    return StationFilterForm(
        request.GET,
        provinces=list(selectors.scoped_units(request.user, Kind.PROVINCE)),
        counties=list(selectors.scoped_units(request.user, Kind.COUNTY)),
        only=only,
    )


BOUNDS_MIN_HALF_SPAN = 0.25  # degrees


def _bounds(units: list[list[Any]]) -> list[list[float]]:
    """The box around the counties the user may see (all of Iran for a national user)."""
    counties = [u for u in units if u[2] == 1] or units
    if not counties:
        return IRAN_BOUNDS
    lats = [u[0] for u in counties]
    lons = [u[1] for u in counties]
    # A single county is a single point: Leaflet cannot fit a zero-sized box (its zoom
    # becomes infinite), so open on about 50 km around it.
    pad = BOUNDS_MIN_HALF_SPAN
    return [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]


def _data_query(request: HttpRequest, election: Election) -> str:
    """The page's filters, passed on to the data endpoint."""
    query = QueryDict(mutable=True)
    query["election"] = election.slug
    for name in PAGE_FILTERS:
        value = request.GET.get(name)
        if value:
            query[name] = value
    return query.urlencode()


def _labels() -> dict[str, str]:
    return {
        "stations": _("stations"), "ready": _("ready"), "notReady": _("not ready"),
        "sensitive": _("Sensitive"), "open": _("Open station page"),
        "truncated": _("Only the first stations are shown: zoom in to see all."),
        "noTiles": _("Base map unavailable: showing a plain background."),
        "loading": _("Loading…"), "failed": _("The map data could not be loaded."),
        "province": _("Province"), "county": _("County"),
    }


@require_GET
@replica_read
def station_map(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    election = election_for_request(request)
    context: dict[str, Any] = {
        "election": election, "elections": Election.objects.only("pk", "slug", "name"),
    }
    if election is None:
        return render(request, "stations/map.html", context)
    units = stations_map.unit_points(request.user)
    context["form"] = _filter_form(request, only=PAGE_FILTERS)
    context["map_config"] = {
        "dataUrl": reverse("stations:map_data"),
        "query": _data_query(request, election),
        "stationUrl": reverse("stations:detail", args=[0]),
        "tileUrl": settings.AMANAT_TILE_URL,
        "attribution": settings.AMANAT_TILE_ATTRIBUTION,
        "bounds": _bounds(units),
        "units": units,
        "stationsFromZoom": stations_map.STATIONS_FROM_ZOOM,
        "persian": persian_active(),
        "labels": _labels(),
    }
    return render(request, "stations/map.html", context)


def _bad_request(error: stations_map.MapParamError) -> JsonResponse:
    return JsonResponse(
        {"error": error.message, "field": error.field, "code": error.code},
        status=error.status, json_dumps_params=JSON_COMPACT,
    )


def _filter_problem(form: StationFilterForm) -> JsonResponse:
    """A malformed filter is 400; a well-formed province or county outside the user's
    scope (or unknown) is 404, like any object out of scope."""
    for name in ("province", "county"):
        value = form.data.get(name)
        if name in form.errors and value and str(value).strip().isdigit():
            raise Http404("not found")
    errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
    first = next(iter(errors))
    return JsonResponse(
        {"error": f"{first}: {errors[first][0]}", "field": first, "errors": errors},
        status=400, json_dumps_params=JSON_COMPACT,
    )


@gzip_page
@require_GET
@replica_read
def map_data(request: HttpRequest) -> JsonResponse:
    """Cells or stations for ``zoom`` and ``bbox`` (see ``stations.map``), compressed:
    the national view is a few hundred cells, a few kilobytes gzipped."""
    _require_view(request)
    election = election_for_request(request)
    if election is None:
        raise Http404("no election")
    try:
        query = stations_map.parse_map_query(request.GET)
    except stations_map.MapParamError as error:
        return _bad_request(error)
    form = _filter_form(request)
    if not form.is_valid():
        return _filter_problem(form)
    stations = selectors.filter_stations(
        selectors.stations_for_user(request.user, election), form.cleaned_data
    )
    data = stations_map.map_data(stations, query)
    return JsonResponse(data, json_dumps_params=JSON_COMPACT)
