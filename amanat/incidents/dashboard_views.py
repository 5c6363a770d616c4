"""The incidents dashboard and the case map (page and JSON data).

Every figure is read from ``selectors.scope_cases`` (unit scope plus the agency officers'
narrowing), so a governor's dashboard counts only his county's cases and a police
officer's only the cases routed to the police.  Out of scope is 404, never 403.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_GET

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.core.errors import RuleError
from amanat.core.replica import replica_read
from amanat.core.templatetags.persian import persian_active
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.incidents import dashboard, selectors
from amanat.incidents.models import CaseQuerySet, Category, Severity, Status
from amanat.lib.limits import parse_id
from amanat.stations import map as stations_map

ATLAS_PAGES = {Kind.PROVINCE: "atlas:province", Kind.COUNTY: "atlas:county"}
DRILLABLE = frozenset({Kind.COUNTRY, Kind.PROVINCE, Kind.COUNTY, Kind.DISTRICT,
                       Kind.RURAL_DISTRICT})
IRAN_BOUNDS = [[25.0, 44.0], [39.8, 63.4]]
BOUNDS_PAD = 0.3  # degrees (~30 km) around the outermost county centres
JSON_COMPACT = {"separators": (",", ":"), "ensure_ascii": False}


def _require_view(request: HttpRequest) -> None:
    if not access.can(request.user, policy.VIEW, selectors.CASE, None):
        raise Http404("not found")


def _english() -> bool:
    return not persian_active()


# --- the unit the page is about ------------------------------------------------------------


def _home_unit(user: AnyUser) -> AdminUnit:
    """The deepest unit covering all of the user's case scope: the country for a national
    user, the province for a provincial officer, the county for a governor."""
    root = dashboard.common_root(access.scope_paths(user, selectors.CASE, policy.VIEW))
    unit = AdminUnit.objects.filter(path=root).first() if root else None
    if unit is None:
        unit = AdminUnit.objects.filter(kind=Kind.COUNTRY).order_by("pk").first()
    if unit is None:
        raise Http404("no geography")
    return unit


def _focus(request: HttpRequest) -> AdminUnit:
    """``?unit=`` (a drill-down) when the user may see cases there; else the home unit."""
    raw = request.GET.get("unit", "")
    if not raw:
        return _home_unit(request.user)
    return selectors.get_case_unit_for_user(request.user, raw)


def _cases(request: HttpRequest, focus: AdminUnit) -> CaseQuerySet:
    return selectors.scope_cases(request.user).filter(under("unit_path", focus.path))


def _breadcrumbs(user: AnyUser, focus: AdminUnit) -> list[AdminUnit]:
    """The focus unit's ancestors the user may also look at, outermost first."""
    segments = focus.path.strip("/").split("/")
    prefixes = ["/".join(segments[:i]) + "/" for i in range(1, len(segments))]
    ancestors = AdminUnit.objects.filter(path__in=prefixes).order_by("depth")
    return [u for u in ancestors if access.can(user, policy.VIEW, selectors.CASE, u)]


def _atlas_url(user: AnyUser, unit: AdminUnit | None) -> str:
    """The atlas page of a province or county row, when the atlas offers one."""
    if unit is None or unit.kind not in ATLAS_PAGES:
        return ""
    if not access.can(user, policy.VIEW, "atlas.score", unit):
        return ""
    try:
        return reverse(ATLAS_PAGES[Kind(unit.kind)], args=[unit.pk])
    except NoReverseMatch:  # the atlas app is not installed
        return ""


def _unit_rows(request: HttpRequest, cases: CaseQuerySet, focus: AdminUnit
               ) -> list[dict[str, Any]]:
    rows = []
    for row in dashboard.by_unit(cases, focus):
        unit = row.unit
        rows.append({
            "row": row, "unit": unit,
            "drill": bool(unit and not row.direct and unit.kind in DRILLABLE),
            "atlas_url": _atlas_url(request.user, unit),
        })
    return rows


def _columns(rows: list[dashboard.Row]) -> list[dict[str, Any]]:
    """Geometry of the by-day column chart (an SVG of 10 units per day, 100 high)."""
    return [{"row": r, "x": 10 * i + 1, "y": 100 - r.pct, "h": r.pct}
            for i, r in enumerate(rows)]


@require_GET
@replica_read
def case_dashboard(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    focus = _focus(request)
    cases = _cases(request, focus)
    english = _english()
    try:
        atlas_url = reverse("atlas:national")
    except NoReverseMatch:
        atlas_url = ""
    return render(request, "incidents/dashboard.html", {
        "focus": focus, "breadcrumbs": _breadcrumbs(request.user, focus),
        "totals": dashboard.totals(cases),
        "categories": dashboard.by_category(cases, english=english),
        "units": _unit_rows(request, cases, focus),
        "days": _columns(dashboard.by_day(cases)),
        "unit_query": f"unit={focus.pk}&" if focus.kind != Kind.COUNTRY else "",
        "atlas_url": atlas_url, "rtl": not english,
    })


# --- the map ------------------------------------------------------------------------------


def _bounds(points: list[list[Any]]) -> list[list[float]]:
    counties = [p for p in points if p[2] == 1] or points
    if not counties:
        return IRAN_BOUNDS
    lats = [p[0] for p in counties]
    lons = [p[1] for p in counties]
    # One county is a point: give the box some size, or the map zooms in without end.
    pad = BOUNDS_PAD
    return [[min(lats) - pad, min(lons) - pad], [max(lats) + pad, max(lons) + pad]]


def _labels() -> dict[str, Any]:
    return {
        "cases": _("cases"), "open": _("open"), "overdue": _("overdue"),
        "closed": _("closed"), "worst": _("Most severe open case"),
        "severity": {str(v): str(label) for v, label in Severity.choices},
        "status": {str(v): str(label) for v, label in Status.choices},
        "truncated": _("Only the first cases are shown: zoom in to see all."),
        "noTiles": _("Base map unavailable: showing a plain background."),
        "loading": _("Loading…"), "failed": _("The map data could not be loaded."),
        "province": _("Province"), "county": _("County"),
    }


_BAD_CATEGORY = gettext_lazy("category must be the id of a violation category")


def _map_filters(request: HttpRequest) -> dict[str, str]:
    """The page's filters as given: ``open`` (only open cases), ``category`` (an id)."""
    return {name: request.GET[name] for name in ("open", "category") if request.GET.get(name)}


def _filtered(cases: CaseQuerySet, filters: dict[str, str]) -> CaseQuerySet:
    if filters.get("open"):
        cases = cases.open()
    category = filters.get("category", "")
    if category:
        pk = parse_id(category)
        # An id no category has is refused, not answered with an empty map.
        if pk is None or not Category.objects.filter(pk=pk).exists():
            raise RuleError(_BAD_CATEGORY, code="category", field="category")
        cases = cases.filter(category_id=pk)
    return cases


@require_GET
@replica_read
def case_map(request: HttpRequest) -> HttpResponse:
    _require_view(request)
    points = stations_map.unit_points(request.user)
    filters = _map_filters(request)
    categories = list(selectors.active_categories())
    config = {
        "dataUrl": reverse("incidents:map_data"),
        "query": "&".join(f"{k}={v}" for k, v in filters.items()
                          if k == "open" or parse_id(v) is not None),
        "caseUrl": reverse("incidents:case", args=[0]),
        "tileUrl": settings.AMANAT_TILE_URL,
        "attribution": settings.AMANAT_TILE_ATTRIBUTION,
        "bounds": _bounds(points), "units": points,
        "persian": persian_active(), "labels": _labels(),
    }
    return render(request, "incidents/dashboard_map.html", {
        "map_config": config, "categories": categories, "filters": filters,
        "english": _english(),
    })


def _error(error: RuleError) -> JsonResponse:
    """400 with the message in the request's language (as the stations map answers)."""
    return JsonResponse({"error": error.message, "field": error.field, "code": error.code},
                        status=400, json_dumps_params=JSON_COMPACT)


@gzip_page
@require_GET
@replica_read
def case_map_data(request: HttpRequest) -> JsonResponse:
    """H3 cells with case counts, or the cases in view (see ``incidents.dashboard``)."""
    _require_view(request)
    try:
        query = stations_map.parse_map_query(request.GET)
    except stations_map.MapParamError as error:
        return _error(error)
    try:
        cases = _filtered(selectors.scope_cases(request.user), _map_filters(request))
    except RuleError as error:
        return _error(error)
    data = dashboard.map_data(cases, query, english=_english())
    return JsonResponse(data, json_dumps_params=JSON_COMPACT)
