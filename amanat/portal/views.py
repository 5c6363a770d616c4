"""Pages of the public portal (no account) and the field app (signed-in field roles).

Public: the home for signed-out visitors (``site.views.home`` hands them here), the
station finder, open data with its dictionary, awareness material.  Field app: the
installable shell, its manifest and service worker, the user's stations and the report
endpoint the offline queue sends to.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amanat.accounts import access, policy
from amanat.core import idempotency
from amanat.core.api_errors import error_body, error_response
from amanat.core.collation import persian
from amanat.core.errors import RuleError
from amanat.elections.models import Election, Milestone
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents import selectors as incident_selectors
from amanat.incidents import services as incident_services
from amanat.incidents.models import Channel
from amanat.portal import opendata, selectors
from amanat.portal.forms import FieldReportForm, StationFinderForm
from amanat.stations.models import Station
from amanat.training import selectors as training_selectors

FORMATS = ("csv", "json")
FIELD_STATION_LIMIT = 500


def _map_points(stations: list[Station]) -> list[dict[str, Any]]:
    return [{"lat": s.latitude, "lon": s.longitude, "name": s.name,
             "code": f"{s.county.code}-{s.code}"}
            for s in stations if s.latitude is not None and s.longitude is not None]


def _map_config(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {"tileUrl": settings.AMANAT_TILE_URL, "attribution": settings.AMANAT_TILE_ATTRIBUTION,
            "points": points}


# --- the public home --------------------------------------------------------------------


def public_home(request: HttpRequest) -> HttpResponse:
    """What a signed-out visitor sees at ``/``: what Amanat is for the public, how to
    report and follow a report, the election calendar, and every public page."""
    election = Election.objects.current()
    milestones = (list(Milestone.objects.filter(election=election).order_by("due", "pk"))
                  if election else [])
    return render(request, "portal/home.html", {
        "election": election, "milestones": milestones, "today": timezone.localdate(),
    })


# --- station finder ---------------------------------------------------------------------


@login_not_required
@require_GET
def station_finder(request: HttpRequest) -> HttpResponse:
    pub = selectors.publication()
    form = StationFinderForm(request.GET or None)
    result = None
    if form.is_valid():
        result = selectors.station_find(pub, form.cleaned_data["q"])
    points = _map_points(result.stations) if result else []
    return render(request, "portal/finder.html", {
        "form": form, "result": result, "pub": pub, "hours": opendata.polling_hours(),
        "map_config": {**_map_config(points), "nearUrl": reverse("portal:finder_places"),
                       "stationsUrl": reverse("portal:open_stations", args=["json"])},
    })


@login_not_required
@require_GET
def finder_places(request: HttpRequest) -> JsonResponse:
    """Counties that have published stations, each at the mean point of its stations:
    "near me" picks the nearest in the browser and loads only their stations, so the
    visitor's position never leaves the browser."""
    pub = selectors.publication()
    points: dict[str, list[float]] = {}
    names: dict[str, str] = {}
    rows = (selectors.published_stations(pub).filter(latitude__isnull=False,
                                                     longitude__isnull=False)
            .values_list("county__code", "county__name", "latitude", "longitude"))
    for code, name, lat, lon in rows.iterator(chunk_size=5000):
        if lat is None or lon is None:  # filtered above; this narrows the type
            continue
        acc = points.setdefault(code, [0.0, 0.0, 0.0])
        acc[0] += lat
        acc[1] += lon
        acc[2] += 1
        names[code] = name
    counties = [{"code": code, "name": names[code], "lat": round(a[0] / a[2], 4),
                 "lon": round(a[1] / a[2], 4)} for code, a in sorted(points.items())]
    return JsonResponse({"counties": counties})


# --- open data --------------------------------------------------------------------------


def _dictionary_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("portal:dictionary"))


@login_not_required
@require_GET
def open_data(request: HttpRequest) -> HttpResponse:
    pub = selectors.publication()
    return render(request, "portal/open_data.html", {
        "datasets": opendata.DATASETS, "pub": pub, "formats": FORMATS,
    })


@login_not_required
@require_GET
def dictionary(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/dictionary.html", {
        "datasets": [d for d in opendata.DATASETS if d.available],
        "licence": opendata.LICENCE, "attribution": opendata.ATTRIBUTION,
        "small_count": selectors.SMALL_COUNT,
    })


@login_not_required
@require_GET
def open_stations(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """Published stations; ``?county=<official code>`` narrows to one county."""
    if fmt not in FORMATS:
        raise Http404("no such format")
    pub = selectors.publication()
    stations = selectors.published_stations(pub).select_related("election")
    county = request.GET.get("county", "").strip()
    if county:
        stations = stations.filter(county__code=county)
    hours = opendata.polling_hours()

    def rows() -> Any:
        for station in stations.iterator(chunk_size=2000):
            yield opendata.station_row(station, hours)

    election = pub.election if pub.published else None
    return opendata.respond(opendata.STATIONS, fmt, rows, _dictionary_url(request), {
        "election": election.slug if election else None,
        "published": pub.published,
    })


@login_not_required
@require_GET
def open_statistics(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    if fmt not in FORMATS:
        raise Http404("no such format")
    election = Election.objects.current()
    cells = selectors.report_statistics(election)
    return opendata.respond(
        opendata.STATISTICS, fmt, lambda: (opendata.statistics_row(c) for c in cells),
        _dictionary_url(request), {
            "election": election.slug if election else None,
            "suppressed_below": selectors.SMALL_COUNT,
            "generated_at": timezone.now().isoformat(timespec="seconds"),
        })


# --- awareness material -----------------------------------------------------------------


@login_not_required
@require_GET
def awareness(request: HttpRequest) -> HttpResponse:
    """Material for voters and candidates: what the public can do now, and the training
    courses published for voters and candidates (amanat.training)."""
    election = Election.objects.current()
    return render(request, "portal/awareness.html",
                  {"courses": training_selectors.public_courses(election)})


# --- the field app ----------------------------------------------------------------------


def _require_field(request: HttpRequest) -> None:
    if not access.can(request.user, policy.CREATE, incident_selectors.REPORT, None):
        raise Http404("not found")


def _field_counties(request: HttpRequest) -> Any:
    units = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by(persian("name"), "pk")
    return access.scope_queryset(request.user, units, action=policy.CREATE, path_field="path",
                                 model_label=incident_selectors.REPORT)


def _field_stations(request: HttpRequest, election: Election | None) -> list[Station]:
    if election is None:
        return []
    stations = Station.objects.filter(election=election).select_related("county", "unit")
    scoped = access.scope_queryset(request.user, stations, action=policy.CREATE,
                                   path_field="unit_path", model_label=incident_selectors.REPORT)
    return list(scoped.order_by("county__code", "code")[:FIELD_STATION_LIMIT])


@require_GET
def field_app(request: HttpRequest) -> HttpResponse:
    """The app shell: the report form (queued in the browser), the unsent count, my
    stations.  The service worker caches it so that it opens without a network."""
    _require_field(request)
    election = Election.objects.current()
    form = FieldReportForm(counties=_field_counties(request), election=election,
                           user=request.user)
    stations = _field_stations(request, election)
    return render(request, "portal/field.html", {
        "form": form, "stations": stations, "election": election,
        "cases": incident_selectors.my_cases(request.user),
    })


@require_POST
def field_report(request: HttpRequest) -> HttpResponse:
    """A report from the field app's queue (multipart, the page's CSRF token), JSON back.

    ``Idempotency-Key`` (made in the browser when the report is written) is required: a
    queue that sends the same report twice (a retry, Background Sync and the page at
    once) stores it once and gets the same reference (200 instead of 201).
    """
    _require_field(request)
    # The outbox lives in the browser, not in the session: on a shared device a report
    # queued by one user would otherwise be filed under whoever signs in next. The page
    # stamps each report with its writer; another user's is kept for its writer (403:
    # the outbox holds it as "sign in again").
    writer = request.POST.get("queued_by", "")
    if writer and writer != str(request.user.pk):
        return error_response([RuleError(
            _("This report was written on this device by another user; it is sent when "
              "they sign in."), code="other_user")], status=403)
    key = request.headers.get(idempotency.HEADER)
    problem = idempotency.key_problem(key, required=True)
    if problem is not None or key is None:
        return error_response([problem or idempotency.MISSING], status=400)
    election = Election.objects.current()
    form = FieldReportForm(request.POST, request.FILES, counties=_field_counties(request),
                           election=election, user=request.user)
    if not form.is_valid():
        # NON_FIELD_ERRORS is "__all__", as RuleError's whole-input field.
        errors = [RuleError(str(message), code="invalid", field=name)
                  for name, messages in form.errors.items() for message in messages]
        return JsonResponse(error_body(errors), status=422)
    data = form.cleaned_data
    station = data["station"]
    unit = station.unit or station.county if station else data["county"]
    if not access.can(request.user, policy.CREATE, incident_selectors.REPORT, unit):
        return error_response([RuleError(_("This polling station is outside your area."),
                                         code="out_of_scope", field="station_code")])
    try:
        received = incident_services.report_receive(
            channel=Channel.WEB, category=data["category"], text=data["text"],
            station=station, unit=unit, election=election, actor=request.user,
            evidence=[data["evidence"]] if data["evidence"] else [],
            payload={"form": "field"}, client_key=f"field:{request.user.pk}:{key}",
        )
    except RuleError as error:
        return JsonResponse(error_body([error]), status=422)
    return JsonResponse({"reference": received.report.reference, "created": received.created},
                        status=201 if received.created else 200)


@login_not_required
@require_GET
def field_manifest(request: HttpRequest) -> HttpResponse:
    """The web app manifest (application/manifest+json).  Public: browsers fetch a
    manifest without cookies."""
    icon = "portal/icons/icon-{}.png"
    body = {
        "name": _("Amanat field app"),
        "short_name": _("Amanat"),
        "description": _("Reports and stations for inspectors and police, also offline"),
        "lang": get_language(), "dir": "rtl" if get_language_bidi() else "ltr",
        "start_url": reverse("portal:field"), "scope": reverse("portal:field"),
        "display": "standalone", "background_color": "#ffffff", "theme_color": "#1b4d3e",
        "icons": [
            {"src": static(icon.format(size)), "sizes": f"{size}x{size}", "type": "image/png",
             "purpose": "any"} for size in (192, 512)
        ] + [{"src": static("portal/icons/icon-maskable-512.png"), "sizes": "512x512",
              "type": "image/png", "purpose": "maskable"}],
    }
    return HttpResponse(json.dumps(body, ensure_ascii=False),
                        content_type="application/manifest+json; charset=utf-8")


# The app shell's static files: cached when the worker installs (workbox precaching).
SHELL_STATIC = (
    "vendor/bootstrap/css/bootstrap.rtl.min.css",
    "vendor/bootstrap/css/bootstrap.min.css",
    "vendor/bootstrap/js/bootstrap.bundle.min.js",
    "vendor/htmx/htmx.min.js",
    "vendor/vazirmatn/Vazirmatn-font-face.css",
    "vendor/vazirmatn/fonts/webfonts/Vazirmatn-Regular.woff2",
    "vendor/vazirmatn/fonts/webfonts/Vazirmatn-Bold.woff2",
    "vendor/dexie/dexie.min.js",
    "amanat/css/amanat.css",
    "amanat/img/emblem.svg",
    "portal/outbox.js",
    "portal/field.js",
    "portal/field.css",
)
WORKBOX_MODULES = ("workbox-core", "workbox-routing", "workbox-strategies",
                   "workbox-precaching", "workbox-expiration")


@cache
def _revision(path: str) -> str:
    found = finders.find(path)
    if not found or isinstance(found, list):
        return "missing"
    with open(found, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()[:16]


@login_not_required
@require_GET
def field_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, at /field/sw.js so that its scope is the field app.  Public:
    the browser fetches it to update, also when the session has ended."""
    config = {
        "precache": [{"url": static(p), "revision": _revision(p)} for p in SHELL_STATIC
                     if _revision(p) != "missing"],
        "workbox": {name: static(f"vendor/{name}/{name}.prod.js") for name in WORKBOX_MODULES},
        "workboxSw": static("vendor/workbox-sw/workbox-sw.js"),
        "dexie": static("vendor/dexie/dexie.min.js"),
        "outbox": static("portal/outbox.js"),
        "shell": reverse("portal:field"),
        "stations": reverse("portal:field_stations"),
    }
    response = render(request, "portal/sw.js", {"config": json.dumps(config)},
                      content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("portal:field")
    return response


@require_GET
def field_stations(request: HttpRequest) -> JsonResponse:
    """My stations (where I may file reports), for the app to keep offline."""
    _require_field(request)
    stations = _field_stations(request, Election.objects.current())
    return JsonResponse({"stations": [
        {"code": f"{s.county.code}-{s.code}", "name": s.name, "address": s.address,
         "place": s.unit.name if s.unit else s.county.name,
         "lat": s.latitude, "lon": s.longitude} for s in stations
    ]})
