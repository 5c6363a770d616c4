"""Browse and search Iran's administrative units (read-only, public within the app)."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from amanat.accounts.access import get_unit_for_user
from amanat.geo import boundaries, selectors
from amanat.geo.models import Kind

CHILDREN_PER_PAGE = 100


def index(request: HttpRequest) -> HttpResponse:
    context = {
        "provinces": selectors.province_list(),
        "kinds": Kind.choices,
        "query": "",
        "kind": "",
    }
    return render(request, "geo/index.html", context)


def unit_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = get_unit_for_user(request.user, unit_id)
    paginator = Paginator(selectors.unit_children(unit), CHILDREN_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    map_config = {
        "tileUrl": settings.AMANAT_TILE_URL,
        "attribution": settings.AMANAT_TILE_ATTRIBUTION,
        "points": selectors.unit_map_points(unit),
        # A province's or county's page zooms to its area on the base map.
        "focus": unit.pk if unit.kind in (Kind.PROVINCE, Kind.COUNTY) else None,
    }
    context = {
        "unit": unit,
        "ancestors": list(unit.ancestors()),
        "page": page,
        "map_config": map_config,
    }
    return render(request, "geo/unit.html", context)


def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    kind = request.GET.get("kind", "")
    if kind not in Kind.values:
        kind = ""
    hits = selectors.unit_search(query, kind=kind) if query else []
    context = {"query": query, "kind": kind, "kinds": Kind.choices, "hits": hits}
    # htmx asks for the results fragment only; a plain GET gets the whole page.
    is_htmx = request.headers.get("HX-Request") == "true"
    template = "geo/_search_results.html" if is_htmx else "geo/search.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def basemap(request: HttpRequest) -> HttpResponse:
    """The vector base map every map draws (countries, province and county areas, names):
    served by the application itself, so maps need no other server."""
    body, version = boundaries.basemap_json()
    etag = f'"{version}"'
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    return response
