"""The station registry over HTTP: ``/api/v1/stations/`` (list, get, patch).

Reads are scoped like the pages (``selectors.stations_for_user``); a station outside the
caller's scope, or one they may not change, is 404.  Edits go through the same service
as the edit page (``services.station_update``: validate_station on the merged row, one
transaction, audited with before and after) and accept an ``Idempotency-Key``.
Enumerations travel as their English codes; each has a Persian ``*_label`` beside it.
"""

from __future__ import annotations

import datetime
import math
from typing import Annotated, Any, Literal

from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, can
from amanat.core.api_errors import ErrorOut, error_body, rule_error
from amanat.core.api_types import Integer, Number, storable_text
from amanat.core.errors import RuleError
from amanat.core.forms import jalali_problem
from amanat.core.idempotency import HEADER, Outcome, idempotent, key_parameter
from amanat.elections.models import Election
from amanat.elections.selectors import election_for
from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.jalali import (
    ERA_YEARS_AFTER,
    ERA_YEARS_BEFORE,
    JalaliDateError,
    format_jalali,
    parse_date,
)
from amanat.lib.persian import normalize
from amanat.stations import selectors
from amanat.stations.models import Cctv, Fibre, StationKind, Venue
from amanat.stations.models import Station as StationModel
from amanat.stations.models import Status as StationStatus
from amanat.stations.services import StationInvalid, station_update
from amanat.stations.validation import MAX_CAMERAS, MAX_VOTERS, TEXT_LIMITS

router = Router(tags=["stations"])

MAX_PAGE_SIZE = 500


# --- input types -----------------------------------------------------------------------


def _clean_text(value: str) -> str:
    """Normalised Persian text; NUL and lone surrogates cannot be stored (PostgreSQL)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise rule_error(
            RuleError(_("text contains invalid characters"), code="invalid_characters")
        ) from None
    return normalize(storable_text(value))


# Text fields by their column's length (the check runs before normalising).
ShortText = Annotated[str, StringConstraints(max_length=20), AfterValidator(_clean_text)]
Slug = Annotated[str, StringConstraints(max_length=100), AfterValidator(_clean_text)]
# Station text: the limits of stations.validation (TEXT_LIMITS), as on the edit page.
Name = Annotated[str, StringConstraints(max_length=TEXT_LIMITS["name"]),
                 AfterValidator(_clean_text)]
Address = Annotated[str, StringConstraints(max_length=TEXT_LIMITS["address"]),
                    AfterValidator(_clean_text)]
Route = Annotated[str, StringConstraints(max_length=TEXT_LIMITS["route"]),
                  AfterValidator(_clean_text)]
Reason = Annotated[str, StringConstraints(max_length=TEXT_LIMITS["sensitivity_reason"]),
                   AfterValidator(_clean_text)]
ClosedReason = Annotated[str, StringConstraints(max_length=TEXT_LIMITS["closed_reason"]),
                         AfterValidator(_clean_text)]


def _parse_date(value: Any) -> Any:
    """ISO ``2026-02-19`` or Jalali ``1404/11/30`` (Persian digits too), of this election's
    era: ``lib.jalali.parse_date``, the one reader of dates sent to the API."""
    if isinstance(value, datetime.date):
        value = value.isoformat()
    if not isinstance(value, str):
        return value
    try:
        return parse_date(value)
    except JalaliDateError as exc:
        raise rule_error(jalali_problem(exc)) from None


DateInput = Annotated[
    datetime.date,
    BeforeValidator(_parse_date),
    WithJsonSchema({
        "type": "string",
        "format": "date",
        "description": (
            "ISO date (2026-02-19) or Jalali date (1404/11/30), within this election's "
            f"era: Jalali years from {ERA_YEARS_BEFORE} before to {ERA_YEARS_AFTER} after "
            "the current one"
        ),
        "examples": ["2026-02-19", "1404/11/30"],
    }),
]


# --- schemas ---------------------------------------------------------------------------


class CountyOut(Schema):
    id: int
    code: str
    name: str


class PlaceOut(Schema):
    id: int
    kind: str
    code: str
    name: str


# A value stored outside its choices (an older version, a restore, the shell; input never
# stores one) is answered as stored rather than failing the whole answer: the schema is
# "the enumeration, or else a string", which a generated client reads as such.
_AS_STORED = Field(union_mode="left_to_right")
VenueOut = Annotated[Venue | str, _AS_STORED]
KindOut = Annotated[StationKind | str, _AS_STORED]
CctvOut = Annotated[Cctv | str, _AS_STORED]
FibreOut = Annotated[Fibre | str, _AS_STORED]
StatusOut = Annotated[StationStatus | str, _AS_STORED]


class StationOut(Schema):
    id: int
    election: str = Field(description="the election's slug")
    code: str
    name: str
    county: CountyOut
    unit: PlaceOut | None = Field(description="city, rural district or village, if known")
    unit_path: str
    address: str
    latitude: float | None
    longitude: float | None
    h3_cell: str
    venue: VenueOut
    venue_label: str
    kind: KindOut
    kind_label: str
    route: str
    expected_voters: int
    capacity: int | None
    cctv: CctvOut
    cctv_label: str
    cameras: int
    fibre: FibreOut
    fibre_label: str
    fibre_planned_date: datetime.date | None
    fibre_planned_date_jalali: str | None
    power_backup: bool
    evoting_planned: bool
    evoting_ready: bool
    accessible: bool
    sensitive: bool
    sensitivity_reason: str
    status: StatusOut
    status_label: str
    closed_reason: str
    ready: bool = Field(description="ready for election day (CCTV, power, fibre/e-voting)")
    updated_at: datetime.datetime


class StationPage(Schema):
    count: int
    page: int
    page_size: int
    results: list[StationOut]


class StationFilters(Schema):
    election: Slug | None = Field(
        None, description="election slug; default: the current election"
    )
    province: ShortText | None = Field(
        None, description="province code (808 finds 0808); outside your scope: 422")
    county: ShortText | None = Field(
        None, description="county code (808 finds 0808); outside your scope: 422")
    sensitive: bool | None = None
    cctv: Literal["none", "recorded", "live", "any"] | None = None
    fibre: Fibre | None = None
    status: StationStatus | None = None
    ready: bool | None = None
    q: Slug | None = Field(
        None, description="part of the station code or name (Persian normalised)"
    )
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=MAX_PAGE_SIZE)


class StationPatch(Schema):
    """Only the fields sent change; rules are checked on the station as it would become."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    address: Address | None = None
    # Out of Iran or not finite: refused by stations.validation with the allowed box.
    latitude: Number | None = None
    longitude: Number | None = None
    venue: Venue | None = None
    kind: StationKind | None = None
    route: Route | None = None
    # Station counts: stations.validation's plausible range (inside the columns).
    expected_voters: Integer | None = Field(None, ge=0, le=MAX_VOTERS)
    capacity: Integer | None = Field(None, ge=0, le=MAX_VOTERS)
    cctv: Cctv | None = None
    cameras: Integer | None = Field(None, ge=0, le=MAX_CAMERAS)
    fibre: Fibre | None = None
    fibre_planned_date: DateInput | None = None
    power_backup: bool | None = None
    evoting_planned: bool | None = None
    evoting_ready: bool | None = None
    accessible: bool | None = None
    sensitive: bool | None = None
    sensitivity_reason: Reason | None = None
    status: StationStatus | None = None
    closed_reason: ClosedReason | None = None


# API field name → model field name, where they differ.
_MODEL_FIELD = {"fibre_planned_date": "fibre_date"}
_API_FIELD = {v: k for k, v in _MODEL_FIELD.items()}
# Fields that may be cleared with null; the others need a value when sent.
_NULLABLE = {"latitude", "longitude", "capacity", "fibre_planned_date"}


# --- output ----------------------------------------------------------------------------


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _finite(value: float | None) -> float | None:
    """A stored infinity or NaN (never accepted, but possible in old rows) has no JSON
    form: sent as unknown rather than as invalid JSON that breaks the client."""
    return value if value is not None and math.isfinite(value) else None


def station_out(station: StationModel) -> StationOut:
    """The API's view of a station (election, county and unit loaded with it)."""
    unit = station.unit
    with translation.override("fa"):
        labels = {
            "venue_label": _label(Venue, station.venue),
            "kind_label": _label(StationKind, station.kind),
            "cctv_label": _label(Cctv, station.cctv),
            "fibre_label": _label(Fibre, station.fibre),
            "status_label": _label(StationStatus, station.status),
        }
    return StationOut(
        id=station.pk, election=station.election.slug, code=station.code, name=station.name,
        county=CountyOut(id=station.county.pk, code=station.county.code,
                         name=station.county.name),
        unit=None if unit is None else PlaceOut(
            id=unit.pk, kind=unit.kind, code=unit.code, name=unit.name
        ),
        unit_path=station.unit_path, address=station.address,
        latitude=_finite(station.latitude), longitude=_finite(station.longitude),
        h3_cell=station.h3_cell,
        venue=station.venue, kind=station.kind, route=station.route,
        expected_voters=station.expected_voters, capacity=station.capacity,
        cctv=station.cctv, cameras=station.cameras, fibre=station.fibre,
        fibre_planned_date=station.fibre_date,
        fibre_planned_date_jalali=(
            format_jalali(station.fibre_date, persian_digits=False)
            if station.fibre_date else None
        ),
        power_backup=station.power_backup, evoting_planned=station.evoting_planned,
        evoting_ready=station.evoting_ready, accessible=station.accessible,
        sensitive=station.sensitive, sensitivity_reason=station.sensitivity_reason,
        status=station.status, closed_reason=station.closed_reason,
        ready=station.is_ready, updated_at=station.updated_at, **labels,
    )


# --- list ------------------------------------------------------------------------------


def _unit_by_code(user: AnyUser, kind: Kind, code: str | None, errors: list[RuleError]
                  ) -> AdminUnit | None:
    """The province or county with ``code`` among those the caller's scope touches
    (``selectors.scoped_units``, the list page's choices), the code as typed or in its
    canonical zero-padded form (a spreadsheet's ``808`` is county ``0808``), as the
    intake compares them.  One outside the scope gets the same answer as one that does
    not exist."""
    if not code:
        return None
    typed = {code, canonical_unit_code(str(kind), code)}
    found = selectors.scoped_units(user, kind).filter(code__in=typed).order_by("pk").first()
    if found is None:
        missing = (_("there is no province with code %(unit)s in your area")
                   if kind == Kind.PROVINCE
                   else _("there is no county with code %(unit)s in your area"))
        errors.append(RuleError(missing, code="unknown_unit", field=str(kind), unit=code))
    return found


def _election(slug: str | None, errors: list[RuleError]) -> Election | None:
    election = election_for(slug)
    if slug and election is None:
        errors.append(RuleError(_("there is no election “%(slug)s”"), code="unknown_election",
                                field="election", slug=slug))
    return election


@router.get(
    "/",
    response={200: StationPage, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="stations",
    summary="List stations (filtered, paginated, scoped)",
)
def station_list(request: HttpRequest, filters: Query[StationFilters]) -> Status[Any]:
    # Like the list page: a user with no role that may view stations gets 404.
    if not can(request.user, policy.VIEW, selectors.LABEL, None):
        raise Http404("not found")
    errors: list[RuleError] = []
    election = _election(filters.election, errors)
    province = _unit_by_code(request.user, Kind.PROVINCE, filters.province, errors)
    county = _unit_by_code(request.user, Kind.COUNTY, filters.county, errors)
    if errors:
        return Status(422, error_body(errors))
    page = StationPage(count=0, page=filters.page, page_size=filters.page_size, results=[])
    if election is None:  # no election at all yet
        return Status(200, page)
    yes_no = {True: "yes", False: "no", None: None}
    reachable = selectors.stations_for_user(request.user, election)
    bound = selectors.token_station_ids(request)
    if bound is not None:
        reachable = reachable.filter(pk__in=bound)
    stations = selectors.filter_stations(
        reachable,
        {
            "province": province, "county": county, "sensitive": yes_no[filters.sensitive],
            "ready": yes_no[filters.ready], "cctv": filters.cctv, "fibre": filters.fibre,
            "status": filters.status, "q": filters.q,
        },
    )
    page.count = stations.count()
    start = (filters.page - 1) * filters.page_size
    if start < page.count:
        rows = (
            stations.select_related("election", "county", "unit")
            .order_by("county_id", "code", "pk")[start:start + filters.page_size]
        )
        page.results = [station_out(s) for s in rows]
    return Status(200, page)


# --- one station -----------------------------------------------------------------------


@router.get(
    "/{station_id}", response={200: StationOut, 401: ErrorOut, 404: ErrorOut},
    url_name="station", summary="One station (404 outside your scope)",
)
def station_get(request: HttpRequest, station_id: int) -> StationOut:
    return station_out(_station(request, station_id))


def _station(request: HttpRequest, station_id: int, *, write: bool = False) -> StationModel:
    """The station if the user reaches it and the token (if bound) names it; else 404."""
    station = selectors.station_detail(request.user, station_id, write=write)
    bound = selectors.token_station_ids(request)
    if bound is not None and station.pk not in bound:
        raise Http404("not found")
    return station


@router.patch(
    "/{station_id}", response={200: StationOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    url_name="station", summary="Change some fields of a station",
    # Read by the view itself (core.idempotency), declared here for clients, as on every
    # API write (core/tests/test_openapi.py).
    openapi_extra={"parameters": [key_parameter(required=False)]},
)
def station_patch(request: HttpRequest, station_id: int, payload: StationPatch) -> HttpResponse:
    idempotency_key = request.headers.get(HEADER)
    station = _station(request, station_id, write=True)
    sent = payload.model_dump(exclude_unset=True, mode="json")
    changes = payload.model_dump(exclude_unset=True)
    return idempotent(
        request, key=idempotency_key, payload=sent,
        run=lambda: _patch(station, changes, request.user),
    )


def _patch(station: StationModel, sent: dict[str, Any], actor: AnyUser) -> Outcome:
    errors = [
        RuleError(_("%(name)s cannot be null"), code="null", field=name, name=name)
        for name, value in sent.items() if value is None and name not in _NULLABLE
    ]
    if errors:
        return 422, error_body(errors)
    data = {_MODEL_FIELD.get(name, name): value for name, value in sent.items()}
    try:
        station_update(station=station, data=data, actor=actor)
    except StationInvalid as invalid:
        return 422, error_body(
            e.with_field(_API_FIELD.get(e.field, e.field)) for e in invalid.errors
        )
    return 200, station_out(station)
