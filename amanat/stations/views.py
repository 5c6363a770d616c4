"""The polling-station registry's pages: list, detail, edit, upload, export, readiness.

Views validate and fetch through the scope helpers; services write.  Out of scope is 404.
"""

from __future__ import annotations

import datetime
import io
import tempfile
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, can, get_object_for_user, scope_paths
from amanat.audit.display import describe_events
from amanat.core.replica import replica_read
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.stations import selectors, uploads
from amanat.stations.forms import (
    ColumnMappingForm,
    StationFilterForm,
    StationForm,
    StationImportForm,
)
from amanat.stations.models import Station, StationQuerySet
from amanat.stations.selectors import LABEL
from amanat.stations.services import (
    ImportReport,
    StationInvalid,
    import_errors_download_record,
    import_unknown_columns,
    station_export_audited,
    station_import,
    station_update,
)

PER_PAGE = 50
ERRORS_SHOWN = 500  # the rest are in the downloadable error report
COUNTY_LIST_LIMIT = 200


def today() -> datetime.date:
    """Today in Tehran; tests pin it."""
    return timezone.localdate()


def _require(request: HttpRequest, action: str) -> None:
    if not can(request.user, action, LABEL, None):
        raise Http404("not found")


# --- list and export --------------------------------------------------------------------


def _filtered(
    request: HttpRequest, election: Election, action: str
) -> tuple[StationFilterForm, StationQuerySet]:
    user = request.user
    form = StationFilterForm(
        request.GET,
        provinces=list(selectors.scoped_units(user, Kind.PROVINCE)),
        counties=list(selectors.scoped_units(user, Kind.COUNTY)),
    )
    stations = selectors.stations_for_user(user, election, action=action)
    if form.is_valid():
        stations = selectors.filter_stations(stations, form.cleaned_data)
    else:
        stations = stations.none()
    return form, stations


def _query(request: HttpRequest, *drop: str) -> str:
    query: QueryDict = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    return query.urlencode()


@require_GET
@replica_read
def station_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    election = election_for_request(request)
    context: dict[str, Any] = {
        "election": election,
        "elections": Election.objects.only("pk", "slug", "name"),
        "can_import": can(request.user, policy.CREATE, LABEL, None),
        "can_export": can(request.user, policy.EXPORT, LABEL, None),
    }
    if election is None:
        return render(request, "stations/station_list.html", context)
    form, stations = _filtered(request, election, policy.VIEW)
    sort = form.cleaned_data.get("sort", "code") if form.is_valid() else "code"
    rows = selectors.station_rows(stations, sort)
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context.update(form=form, page=page, sort=sort, query=_query(request, "page"),
                   export_query=_query(request, "page", "sort"))
    return render(request, "stations/station_list.html", context)


def _export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    _require(request, policy.EXPORT)
    election = election_for_request(request)
    if election is None:
        raise Http404("no election")
    form, stations = _filtered(request, election, policy.EXPORT)
    filters = {k: v for k, v in request.GET.items() if k in form.fields and v}
    extra = {"election": election.slug, "filters": filters}
    name = f"stations-{election.slug}.{fmt}"
    if fmt == "csv":
        chunks = station_export_audited(queryset=stations, actor=request.user, extra=extra)
        assert chunks is not None  # CSV without a stream: a generator of chunks
        response = StreamingHttpResponse(chunks, content_type=uploads.CONTENT_TYPES["csv"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    station_export_audited(queryset=stations, actor=request.user, extra=extra, stream=spool,
                           format="xlsx")
    spool.seek(0)
    return FileResponse(spool, as_attachment=True, filename=name,
                        content_type=uploads.CONTENT_TYPES["xlsx"])


# Exports and the error report are POST: each download is recorded in the audit log, and
# a GET (a link from anywhere) must not write.  The filters stay in the query string.
@require_POST
@replica_read
def export_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, "csv")


@require_POST
@replica_read
def export_xlsx(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    return _export(request, "xlsx")


# --- one station -------------------------------------------------------------------------


def _map_config(station: Station) -> dict[str, Any]:
    points = []
    if station.latitude is not None and station.longitude is not None:
        points.append({"lat": station.latitude, "lon": station.longitude,
                       "name": station.name, "code": station.code})
    return {"tileUrl": settings.AMANAT_TILE_URL,
            "attribution": settings.AMANAT_TILE_ATTRIBUTION, "points": points}


@require_GET
def station_detail(request: HttpRequest, station_id: int) -> HttpResponse:
    station = selectors.station_detail(request.user, station_id)
    return render(request, "stations/station_detail.html", {
        "station": station,
        "history": describe_events(selectors.station_history(station)),
        "map_config": _map_config(station),
        "can_edit": can(request.user, policy.CHANGE, LABEL, station.unit or station.county),
    })


@require_http_methods(["GET", "POST"])
def station_edit(request: HttpRequest, station_id: int) -> HttpResponse:
    station = selectors.station_detail(request.user, station_id, write=True)
    form = StationForm(request.POST or None, instance=station)
    if request.method == "POST" and form.is_valid():
        # The form checked the rules; the service checks again and writes + audits.
        fresh = selectors.station_detail(request.user, station.pk, write=True)
        try:
            station_update(station=fresh, data=form.changed_data_values(), actor=request.user)
        except StationInvalid as exc:
            for error in exc.errors:
                form.add_error(None, error.message)
        else:
            messages.success(request, _("The station was saved."))
            return redirect("stations:detail", station_id=station.pk)
    return render(request, "stations/station_edit.html", {"station": station, "form": form})


# --- upload ------------------------------------------------------------------------------


def _scope_unit(user: AnyUser) -> AdminUnit | None:
    """The narrowest unit covering all the user's create scope: whoever may create
    stations there may also read the user's error reports."""
    paths = scope_paths(user, LABEL, policy.CREATE)
    if not paths:
        return None
    split = [p.strip("/").split("/") for p in paths]
    shared: list[str] = []
    for segments in zip(*split, strict=False):
        if len(set(segments)) > 1:
            break
        shared.append(segments[0])
    return AdminUnit.objects.filter(path="/".join(shared) + "/").first() if shared else None


def _allowed_county_codes(user: AnyUser) -> set[str]:
    counties = selectors.scoped_units(user, Kind.COUNTY, action=policy.CREATE)
    return {canonical_unit_code("county", c) for c in counties.values_list("code", flat=True)}


def _report_context(report: ImportReport) -> dict[str, Any]:
    errors = [
        {"row": e.row, "column": e.column, "value": e.value, "message": e.message}
        for e in report.errors[:ERRORS_SHOWN]
    ]
    return {"report": report, "errors": errors,
            "errors_hidden": max(0, len(report.errors) - ERRORS_SHOWN)}


@require_http_methods(["GET", "POST"])
def station_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file (step 1); when it has columns we do not recognise, the file waits on
    the server and the page asks what each holds (step 2, ``step=map``)."""
    _require(request, policy.CREATE)
    current = Election.objects.current()
    if request.method == "POST" and request.POST.get("step") == "map":
        form = StationImportForm(initial={"election": current.slug if current else None})
        context: dict[str, Any] = {"form": form, **_run_mapped_import(request)}
        return render(request, "stations/station_upload.html", context)
    form = StationImportForm(
        request.POST or None, request.FILES or None,
        initial={"election": current.slug if current else None},
    )
    context = {"form": form}
    if request.method == "POST" and form.is_valid():
        context.update(_run_import(request, form))
    return render(request, "stations/station_upload.html", context)


def _store(request: HttpRequest, data: bytes, ext: uploads.Ext, election: Election,
           name: str) -> uploads.StoredImport:
    assert request.user.pk is not None
    unit = _scope_unit(request.user)
    return uploads.import_store(
        data=data, ext=ext, owner_id=request.user.pk, unit_id=unit.pk if unit else None,
        election_id=election.pk, original_name=name,
    )


def _import(request: HttpRequest, *, election: Election, data: bytes, filename: str,
            dry_run: bool, mapping: dict[str, str] | None = None) -> ImportReport:
    return station_import(
        election=election, fileobj=io.BytesIO(data), filename=filename,
        actor=request.user, dry_run=dry_run, mapping=mapping,
        allowed_county_codes=_allowed_county_codes(request.user),
    )


def _run_import(request: HttpRequest, form: StationImportForm) -> dict[str, Any]:
    upload = form.cleaned_data["file"]
    election: Election = form.cleaned_data["election"]
    data = upload.read()
    dry_run = form.cleaned_data["dry_run"]
    report = _import(request, election=election, data=data, filename=upload.name,
                     dry_run=dry_run)
    if report.unknown_columns:
        stored = _store(request, data, upload.amanat_ext, election, upload.name)
        mapping_form = ColumnMappingForm(
            report.unknown_columns, initial={"import_id": stored.id, "dry_run": dry_run}
        )
        return {"mapping_form": mapping_form, "mapping_report": report,
                **_header_problems(report)}
    context = _report_context(report)
    if report.rejected:
        stored = _store(request, data, upload.amanat_ext, election, upload.name)
        uploads.import_write_errors(stored, report)
        context["stored"] = stored
    return context


def _header_problems(report: ImportReport) -> dict[str, Any]:
    """File-level errors other than the columns being asked about (missing columns)."""
    unknown = {u.header for u in report.unknown_columns}
    return {"header_errors": [e.message for e in report.errors if e.column not in unknown]}


def _run_mapped_import(request: HttpRequest) -> dict[str, Any]:
    """Step 2: import the waiting file with the user's column mapping.  Only its
    uploader may; anyone else (or a stale id) gets 404."""
    stored = uploads.import_load(request.POST.get("import_id", ""))
    if stored is None or stored.owner_id != request.user.pk:
        raise Http404("not found")
    data = uploads.import_read(stored)
    if data is None:
        raise Http404("not found")
    election = Election.objects.filter(pk=stored.election_id).first()
    if election is None:
        raise Http404("no such election")
    unknown = import_unknown_columns(data=data, filename=stored.original_name)
    mapping_form = ColumnMappingForm(unknown, request.POST)
    if not mapping_form.is_valid():
        return {"mapping_form": mapping_form}
    report = _import(request, election=election, data=data, filename=stored.original_name,
                     dry_run=mapping_form.cleaned_data["dry_run"],
                     mapping=mapping_form.mapping())
    context = _report_context(report)
    if report.rejected:
        uploads.import_write_errors(stored, report)
        context["stored"] = stored
    elif report.dry_run:
        # Checked: offer the same choices again to import for real, file still waiting.
        context["mapping_form"] = ColumnMappingForm(
            unknown, initial={**mapping_form.cleaned_data, "dry_run": False}
        )
    else:
        uploads.import_discard(stored)
    return context


@require_POST
def import_errors(request: HttpRequest, import_id: str) -> FileResponse:
    """The error report of a rejected upload (see ``uploads.get_import_for_user``)."""
    stored = uploads.get_import_for_user(request.user, import_id)
    handle = uploads.import_errors_open(stored)
    if handle is None:
        raise Http404("not found")
    import_errors_download_record(
        import_id=stored.id, owner_id=stored.owner_id, actor=request.user,
        unit=AdminUnit.objects.filter(pk=stored.unit_id).first() if stored.unit_id else None,
    )
    return FileResponse(handle, as_attachment=True,
                        filename=uploads.download_name(stored),
                        content_type=uploads.CONTENT_TYPES[stored.ext])


# --- readiness ---------------------------------------------------------------------------


@require_GET
@replica_read
def readiness(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    election = election_for_request(request)
    context: dict[str, Any] = {
        "election": election, "elections": Election.objects.only("pk", "slug", "name"),
    }
    if election is None:
        return render(request, "stations/readiness.html", context)
    deadline = selectors.fibre_deadline(election, today())
    stations = selectors.stations_for_user(request.user, election)
    counties = selectors.readiness_table(stations, by="county", overdue=deadline.passed)
    provinces = selectors.readiness_table(stations, by="province", overdue=deadline.passed)
    context.update(
        deadline=deadline, counties=counties, provinces=provinces,
        total=selectors.readiness_total(counties, _("All")),
    )
    return render(request, "stations/readiness.html", context)


@require_GET
@replica_read
def readiness_county(request: HttpRequest, unit_id: int) -> HttpResponse:
    county = get_object_for_user(
        request.user, AdminUnit, unit_id, path_field="path",
        queryset=AdminUnit.objects.filter(kind=Kind.COUNTY).select_related("parent"),
    )
    election = election_for_request(request)
    context: dict[str, Any] = {"county": county, "election": election}
    if election is None:
        return render(request, "stations/readiness_county.html", context)
    deadline = selectors.fibre_deadline(election, today())
    stations = selectors.stations_for_user(request.user, election).filter(county=county)
    rows = selectors.readiness_table(stations, by="county", overdue=deadline.passed)
    figures = rows[0] if rows else selectors.Readiness(county.pk, county.name, county.code)
    not_ready = selectors.station_rows(stations.not_ready(), "code")
    overdue = selectors.station_rows(stations.fibre_overdue(), "code")
    context.update(
        deadline=deadline, figures=figures, figures_rows=[figures],
        not_ready_count=figures.stations - figures.ready,
        not_ready=not_ready[:COUNTY_LIST_LIMIT],
        overdue=overdue[:COUNTY_LIST_LIMIT] if deadline.passed else [],
        limit=COUNTY_LIST_LIMIT,
        list_query=f"election={election.slug}&county={county.pk}&ready=no",
    )
    return render(request, "stations/readiness_county.html", context)
