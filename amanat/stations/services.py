"""Station registry services: spreadsheet import (all-or-nothing) and export.

The import reads the whole file, parses and validates every row against dictionaries
preloaded with one query each (counties, units, constituencies, existing stations), and
writes only if no row has an error: creates and changed rows through ``core.bulk``, all
in one transaction, with one audit
event summarising the import.  No query is made per row.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import h3
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, scope_queryset
from amanat.accounts.models import ApiToken
from amanat.accounts.services import api_token_issue
from amanat.audit.services import audit_diff, audit_record, audit_snapshot
from amanat.core import bulk, changes
from amanat.core.errors import (
    Digits,
    Grouped,
    RuleError,
    RuleErrors,
    table_warnings,
    tabular_error,
)
from amanat.elections.models import Election
from amanat.geo.codes import canonical_unit_code, unit_code_candidates
from amanat.geo.models import AdminUnit, Constituency
from amanat.geo.selectors import unit_area
from amanat.lib.geodesy import Area
from amanat.lib.persian import to_ascii_digits
from amanat.lib.tabular import (
    HEADER_SCAN_ROWS,
    MAX_CELL_CHARS,
    Cell,
    Format,
    HeaderNotFound,
    Table,
    TabularError,
    check_error_cells,
    csv_chunks,
    read_table,
)
from amanat.lib.tabular import write_table as _write_table
from amanat.stations import tabular as st
from amanat.stations.codes import canonical_station_code
from amanat.stations.models import (
    H3_RESOLUTION,
    VALIDATED_FIELDS,
    BoundToken,
    Station,
    TokenStation,
    station_search_text,
)
from amanat.stations.validation import near_county, validate_station

# Model attributes the import sets; compared to decide updated vs unchanged.
WRITE_FIELDS = (
    "code", "county_id", "unit_id", "constituency_id", "unit_path", "search_text", "name",
    "address",
    "latitude", "longitude", "h3_cell", "venue", "kind", "route", "expected_voters",
    "capacity", "cctv", "cameras", "fibre", "fibre_date", "power_backup", "evoting_planned",
    "evoting_ready", "accessible", "sensitive", "sensitivity_reason", "status",
    "closed_reason",
)
# Parsed-row keys that are copied to the model unchanged.
_PLAIN_FIELDS = tuple(
    f for f in WRITE_FIELDS
    if f not in {"county_id", "unit_id", "constituency_id", "unit_path", "search_text", "h3_cell"}
)
UNIT_KINDS = ("city", "rural_district", "village")
# Rows checked between two progress reports of an import.
PROGRESS_EVERY = 500
# The fields each rule of validate_station reads, by the field its error names: when one
# of them could not be read, the rule ran on a default and its error would mislead.
_RULE_INPUTS = {
    "latitude": {"latitude", "longitude"}, "longitude": {"latitude", "longitude"},
    "cameras": {"cctv", "cameras"}, "route": {"kind", "route"},
    "sensitivity_reason": {"sensitive", "sensitivity_reason"},
    "closed_reason": {"status", "closed_reason"}, "fibre_date": {"fibre", "fibre_date"},
}

T = TypeVar("T")




# Sheet names of the workbooks we write (Persian, like the headers).
EXPORT_SHEET = "شعب"
ERRORS_SHEET = "خطاهای شعب"


class RowError(RuleError):
    """A rule error about one row of an imported file, and the cell it is about."""

    def __init__(self, error: RuleError, *, row: int, column: str = "", value: str = "") -> None:
        super().__init__(error.template, code=error.code, field=error.field, **error.params)
        self.row = row  # as the spreadsheet shows it: the header is row 1
        self.column = column
        self.value = value

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "value": self.value,
                "field": self.field, "code": self.code, "message": self.message}


@dataclass
class ImportReport:
    filename: str
    sha256: str
    format: str = ""
    dry_run: bool = False
    total_rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RuleError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    # Headers matching no column and not mapped: the import stops until they are.
    unknown_columns: list[st.UnknownColumn] = field(default_factory=list)
    sheet: str = ""  # the XLSX sheet read
    header_row: int = 1  # where the header was found (title rows above it are skipped)
    # The file as read, kept only when it was rejected (for write_error_report).
    headers: list[str] = field(default_factory=list)
    rows: list[tuple[int, list[Cell]]] = field(default_factory=list)

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data, its messages in the active language."""
        errors, warnings = self.errors, self.warnings
        self.errors, self.warnings, headers, rows = [], [], self.headers, self.rows
        self.headers, self.rows = [], []
        try:
            data = asdict(self)
        finally:
            self.errors, self.warnings, self.headers, self.rows = errors, warnings, headers, rows
        del data["headers"], data["rows"]
        data["errors"] = [e.as_dict() for e in errors]
        data["warnings"] = [w.message for w in warnings]
        data["rejected"] = self.rejected
        return data


@dataclass
class _Lookups:
    counties: dict[str, tuple[int, str]]  # code -> (id, path)
    units: dict[str, list[tuple[int, str]]]  # code -> [(id, path)]
    constituencies: dict[str, int]
    # (county id, canonical code) -> values; clashes: keys two stored codes share.
    existing: dict[tuple[int, str], dict[str, Any]]
    clashes: dict[tuple[int, str], list[str]]
    # County codes the importing user may write to; None means every county.
    allowed: Container[str] | None = None
    areas: dict[str, Area | None] = field(default_factory=dict)  # county path -> area

    def area(self, county_path: str) -> Area | None:
        if county_path not in self.areas:
            self.areas[county_path] = unit_area(county_path)
        return self.areas[county_path]


@dataclass
class _Plan:
    creates: list[dict[str, Any]] = field(default_factory=list)
    updates: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    county_ids: set[int] = field(default_factory=set)


def import_errors_download_record(*, import_id: str, owner_id: int, unit: AdminUnit | None,
                                  actor: AnyUser) -> None:
    """An import's error report leaving the system is recorded, as evidence downloads
    are: it repeats rows of the uploaded file."""
    audit_record(action="stations.import.errors_download", actor=actor, unit=unit,
                 object_type="stations.import", object_id=import_id,
                 extra={"uploaded_by": owner_id})


def station_import(
    *,
    election: Election,
    file_path: str | Path | None = None,
    fileobj: IO[bytes] | None = None,
    filename: str | None = None,
    actor: AnyUser | None = None,
    dry_run: bool = False,
    allowed_county_codes: Container[str] | None = None,
    mapping: Mapping[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a CSV or XLSX of stations into ``election``: all rows or none.

    Rows upsert by (election, county, code).  Columns absent from the file keep their
    current values on existing stations and take defaults on new ones.  With
    ``allowed_county_codes`` (the importing user's scope), a row for any other county is
    an error (codes in canonical form, ``geo.codes.canonical_unit_code``).  ``mapping``
    (header -> column name, alias or ``"ignore"``) decides headers the importer does not
    recognise; any left undecided reject the file, listed in
    ``report.unknown_columns`` with the fields each could be.  ``progress(row, last_row)``
    is called as the rows are checked (the command's bar).
    """
    data, filename = _read_source(file_path, fileobj, filename)
    report = ImportReport(filename=filename, sha256=hashlib.sha256(data).hexdigest())
    report.dry_run = dry_run
    try:
        table = read_table(
            data, filename=filename, is_header=lambda row: st.header_found(row, mapping)
        )
    except HeaderNotFound as exc:
        report.errors.append(_no_header_error(exc))
        return report
    except TabularError as exc:
        report.errors.append(RowError(tabular_error(exc), row=exc.row or 1, column=exc.column,
                                          value=exc.value))
        return report
    report.format, report.sheet, report.header_row = table.format, table.sheet, table.header_row
    report.warnings += table_warnings(table)
    del data
    hmap = st.map_headers(table.headers, mapping)
    report.ignored_columns = hmap.ignored
    report.unknown_columns = hmap.unknown
    try:
        if _header_errors(hmap, report):
            report.headers, report.rows = table.headers, list(table.rows)
            return report
        # An error value (#N/A) in a column the import reads; other columns may hold them.
        check_error_cells(table, [index for index, _column in hmap.columns])
        plan, rows = _plan_import(election, table, hmap, report, allowed_county_codes,
                                  progress)
    except TabularError as exc:  # an error cell, or the rest of the file unreadable
        report.errors.append(RowError(tabular_error(exc), row=exc.row or report.header_row,
                                      column=exc.column, value=exc.value))
        report.headers = table.headers
        return report
    if report.rejected:
        report.headers, report.rows = table.headers, rows
        return report
    report.created, report.updated = len(plan.creates), len(plan.updates)
    report.unchanged = report.total_rows - report.created - report.updated
    if not dry_run:
        _apply(election, plan, report, actor)
    return report


def import_unknown_columns(*, data: bytes, filename: str) -> list[st.UnknownColumn]:
    """The headers of a file that match no column (what a mapping must decide); the
    rows are not read.  Empty when the file cannot be read or has no header."""
    try:
        table = read_table(data, filename=filename, is_header=st.header_found)
    except TabularError:
        return []
    return st.map_headers(table.headers).unknown


def _read_source(
    file_path: str | Path | None, fileobj: IO[bytes] | None, filename: str | None
) -> tuple[bytes, str]:
    if file_path is not None:
        path = Path(file_path)
        return path.read_bytes(), filename or path.name
    if fileobj is None:
        raise TypeError("station_import needs file_path or fileobj")
    return fileobj.read(), str(filename or getattr(fileobj, "name", None) or "upload.csv")


def _no_header_error(exc: HeaderNotFound) -> RowError:
    """Say exactly what was looked for, and where."""
    required = [c for c in st.COLUMNS if c.name in st.REQUIRED_COLUMNS]
    names = ", ".join(f"{c.header_en} ({c.header_fa})" for c in required)
    if exc.sheets:
        error = RuleError(
            _("no header row found: looked in the first %(rows)s rows of the sheets "
              "%(sheets)s for a row naming at least two of %(names)s, or three known columns "
              "(see docs/stations.md for the accepted names)"),
            code="no_header", rows=HEADER_SCAN_ROWS, sheets=", ".join(exc.sheets), names=names)
    else:
        error = RuleError(
            _("no header row found: looked in the first %(rows)s rows for a row naming at "
              "least two of %(names)s, or three known columns (see docs/stations.md for the "
              "accepted names)"),
            code="no_header", rows=HEADER_SCAN_ROWS, names=names)
    return RowError(error, row=1)


def _header_errors(hmap: st.HeaderMap, report: ImportReport) -> bool:
    row = report.header_row
    for name in hmap.missing:
        column = next(c for c in st.COLUMNS if c.name == name)
        missing = RuleError(_("required column “%(header)s” (%(header_fa)s) is missing"),
                            code="missing_column", field=name, header=column.header_en,
                            header_fa=column.header_fa)
        report.errors.append(RowError(missing, row=row, column=column.header_fa))
    for header in hmap.duplicates:
        repeated = RuleError(_("column “%(header)s” repeats another column with the same "
                               "meaning"), code="duplicate_column", header=Digits(header))
        report.errors.append(RowError(repeated, row=row, column=header, value=header))
    for unknown in hmap.unknown:
        unknown_error = RuleError(
            _("column “%(header)s” is not recognised; it could be: %(fields)s. Map it to a "
              "field or mark it ignored"),
            code="unknown_column", header=Digits(unknown.header), fields=unknown.describe())
        report.errors.append(RowError(unknown_error, row=row, column=unknown.header,
                                      value=unknown.header))
    return report.rejected


def _load_lookups(election: Election, need_units: bool) -> _Lookups:
    # Codes are keyed in their canonical form, so that 808 finds county 0808 and 1
    # finds station 0001 (see geo.codes and stations.codes).
    counties = {
        canonical_unit_code("county", code): (pk, path)
        for code, pk, path in AdminUnit.objects.filter(kind="county").values_list(
            "code", "pk", "path"
        )
    }
    units: dict[str, list[tuple[int, str]]] = {}
    if need_units:
        rows = AdminUnit.objects.filter(kind__in=UNIT_KINDS).values_list(
            "kind", "code", "pk", "path"
        )
        for kind, code, pk, path in rows.iterator(chunk_size=10000):
            units.setdefault(canonical_unit_code(kind, code), []).append((pk, path))
    constituencies = dict(Constituency.objects.values_list("code", "pk"))
    existing: dict[tuple[int, str], dict[str, Any]] = {}
    clashes: dict[tuple[int, str], list[str]] = {}
    values = Station.objects.filter(election=election).values(
        "pk", *WRITE_FIELDS, "unit__code", "constituency__code"
    )
    for row in values.iterator(chunk_size=10000):
        key = (row["county_id"], canonical_station_code(row["code"]))
        if key in existing:  # stored before codes were canonical (see migration 0003)
            clashes.setdefault(key, [existing[key]["code"]]).append(row["code"])
        existing[key] = row
    return _Lookups(counties, units, constituencies, existing, clashes)


def _plan_import(
    election: Election, table: Table, hmap: st.HeaderMap, report: ImportReport,
    allowed: Container[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[_Plan, list[tuple[int, list[Cell]]]]:
    """Parse and check every row; returns what to write and the rows as read."""
    lookups = _load_lookups(election, need_units=hmap.index_for("unit_code") is not None)
    lookups.allowed = allowed
    plan = _Plan()
    seen: dict[tuple[str, str], int] = {}
    kept: list[tuple[int, list[Cell]]] = []
    memo: list[dict[Cell, Any]] = [{} for _column in hmap.columns]
    for number, cells in table.rows:
        kept.append((number, cells))
        report.total_rows += 1
        if progress is not None and report.total_rows % PROGRESS_EVERY == 0:
            progress(number, table.last_row)
        errors = _plan_row(cells, hmap, lookups, seen, number, plan, memo)
        # Persian messages quote cells and codes: their digits are shown in Persian too.
        report.errors += [
            RowError(e, row=number, column=hmap.header_for(e.field),
                     value=_raw(cells, hmap, e.field))
            for e in errors
        ]
    if report.total_rows == 0:
        report.errors.append(RowError(
            RuleError(_("the file has no station rows"), code="no_rows"),
            row=report.header_row + 1,
        ))
    return plan, kept


# How much of a cell an error quotes: enough to find it, not a copy of a huge cell.
QUOTED_CHARS = 200


def _raw(cells: list[Cell], hmap: st.HeaderMap, field_name: str) -> str:
    index = hmap.index_for(field_name)
    if index is None or index >= len(cells) or cells[index] is None:
        return ""
    text = str(cells[index])
    return text if len(text) <= QUOTED_CHARS else text[:QUOTED_CHARS] + "…"


def _too_long(field_name: str, value: Cell) -> RuleError | None:
    """A cell longer than any column holds, refused before it is parsed (a number or
    code of thousands of characters would otherwise be worked on and quoted whole)."""
    if not isinstance(value, str) or len(value) <= MAX_CELL_CHARS:
        return None
    return RuleError(_("cell too long: %(length)s characters; a cell may hold at most "
                       "%(limit)s"), code="too_long", field=field_name,
                     length=Grouped(len(value)), limit=Grouped(MAX_CELL_CHARS))


def _parse_cells(
    cells: list[Cell], hmap: st.HeaderMap, memo: list[dict[Cell, Any]]
) -> tuple[dict[str, Any], list[RuleError]]:
    """Parse the cells of the mapped columns.

    Columns repeat their values a lot (yes/no, enum labels, county codes), so each
    column memoises its parse results, errors included: most cells cost a dict lookup.
    """
    parsed: dict[str, Any] = {}
    errors: list[RuleError] = []
    width = len(cells)
    for (index, column), seen in zip(hmap.columns, memo, strict=True):
        value = cells[index] if index < width else None
        try:
            result = seen[value]
        except KeyError:
            try:
                result = _too_long(column.field, value) or column.parse(value)
            except RuleError as exc:
                result = exc.with_field(column.field)
            seen[value] = result
        if isinstance(result, RuleError):
            errors.append(result)
        else:
            parsed[column.field] = result
    return parsed, errors


def _plan_row(
    cells: list[Cell],
    hmap: st.HeaderMap,
    lookups: _Lookups,
    seen: dict[tuple[str, str], int],
    number: int,
    plan: _Plan,
    memo: list[dict[Cell, Any]],
) -> list[RuleError]:
    parsed, errors = _parse_cells(cells, hmap, memo)
    code, county_code = parsed.get("code") or "", parsed.get("county_code") or ""
    county = lookups.counties.get(county_code)
    current = lookups.existing.get((county[0], code)) if county else None
    row = _merge(parsed, current)
    bad = {e.field for e in errors}
    errors += [e for e in validate_station(row, county_codes=lookups.counties)
               if not _RULE_INPUTS.get(e.field, {e.field}) & bad]
    if code and county_code:
        first = seen.setdefault((county_code, code), number)
        if first != number:
            errors.append(RuleError(
                _("station %(station)s of county %(county)s already appears on row %(first)s"),
                code="duplicate_station", field="code", station=Digits(code),
                county=Digits(county_code), first=first,
            ))
    if county is None:
        return errors
    if lookups.allowed is not None and county_code not in lookups.allowed:
        errors.append(RuleError(_("county %(county)s is outside your area"),
                                code="out_of_scope", field="county_code",
                                county=Digits(county_code)))
        return errors
    clash = lookups.clashes.get((county[0], code))
    if clash:
        errors.append(_clash_error(code, county_code, clash))
    values = _resolve(row, county, lookups, errors)
    if errors:
        return errors
    far = _far_from_county(row, county[1], lookups)
    if far is not None:
        return [far]
    plan.county_ids.add(county[0])
    if current is None:
        plan.creates.append(values)
    elif any(current[k] != values[k] for k in WRITE_FIELDS):
        plan.updates.append((current["pk"], values))
    return errors


def _clash_error(code: str, county_code: str, stored: list[str]) -> RuleError:
    return RuleError(
        _("county %(county)s has stations %(stored)s that all mean station %(station)s; "
          "merge or renumber them before importing"),
        code="code_clash", field="code", county=Digits(county_code),
        stored=Digits(", ".join(sorted(stored))), station=Digits(code),
    )


def _far_from_county(
    row: dict[str, Any], county_path: str, lookups: _Lookups
) -> RuleError | None:
    lat, lon = row["latitude"], row["longitude"]
    if lat is None or lon is None:
        return None
    return near_county(lat, lon, lookups.area(county_path))


def _merge(parsed: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The station's values after this row: file cells over current values or defaults."""
    if current is None:
        row = dict(st.DEFAULTS)
    else:
        row = {k: current[k] for k in _PLAIN_FIELDS}
        row["unit_code"] = current["unit__code"] or ""
        row["constituency_code"] = current["constituency__code"] or ""
        if "unit_code" not in parsed:  # keep the unit as it is, no lookup needed
            row["_unit"] = (current["unit_id"], current["unit_path"])
    for key, value in parsed.items():
        # A blank cell in a column that is present means "the default", not "keep".
        row[key] = st.DEFAULTS.get(key) if value is None else value
    if current is not None:
        row["code"] = current["code"]  # the row names it in another spelling (1 for 0001)
    return row


def _resolve(
    row: dict[str, Any], county: tuple[int, str], lookups: _Lookups, errors: list[RuleError]
) -> dict[str, Any]:
    """Model values of a valid row: foreign keys, denormalised path and H3 cell; empty
    (with the reason in ``errors``) when the row is not valid."""
    county_id, county_path = county
    unit_id, unit_path = None, county_path
    if "_unit" in row:
        unit_id, unit_path = row["_unit"]
    elif row["unit_code"]:
        # A code typed as a number lost its leading zeros: try each official width.
        matches = list({
            u for key in unit_code_candidates(row["unit_code"], UNIT_KINDS)
            for u in lookups.units.get(key, ()) if u[1].startswith(county_path)
        })
        if len(matches) == 1:
            unit_id, unit_path = matches[0]
        else:
            errors.append(_unit_error(row["unit_code"], row["county_code"], len(matches)))
    constituency_id = None
    if row["constituency_code"]:
        constituency_id = lookups.constituencies.get(row["constituency_code"])
        if constituency_id is None:
            errors.append(RuleError(
                _("there is no constituency with code %(constituency)s"),
                code="unknown_constituency", field="constituency_code",
                constituency=Digits(row["constituency_code"]),
            ))
    if errors:  # a cell that could not be read left its field out of the row
        return {}
    values = {k: row[k] for k in _PLAIN_FIELDS}
    lat, lon = row["latitude"], row["longitude"]
    cell = "" if lat is None or lon is None else h3.latlng_to_cell(lat, lon, H3_RESOLUTION)
    values.update(
        county_id=county_id, unit_id=unit_id, constituency_id=constituency_id,
        unit_path=unit_path,
        search_text=station_search_text(row["code"], row["name"]),
        h3_cell=cell,
    )
    return values


def _unit_error(code: str, county_code: str, found: int) -> RuleError:
    if found == 0:
        return RuleError(
            _("there is no city, rural district or village with code %(unit)s in county "
              "%(county)s"),
            code="unknown_unit", field="unit_code", unit=Digits(code), county=Digits(county_code),
        )
    return RuleError(
        _("code %(unit)s names %(found)s units in county %(county)s; it is ambiguous"),
        code="ambiguous_unit", field="unit_code", unit=Digits(code), found=found,
        county=Digits(county_code),
    )


def _apply(election: Election, plan: _Plan, report: ImportReport, actor: AnyUser | None
           ) -> None:
    now = timezone.now()
    with transaction.atomic():
        _insert_many(election.pk, plan.creates, now)
        _update_many(plan.updates, now)
        unit = None
        if len(plan.county_ids) == 1:
            unit = AdminUnit.objects.get(pk=next(iter(plan.county_ids)))
        audit_record(
            action="station.import",
            actor=actor,
            actor_name=None if actor is not None else "import",
            unit=unit,
            object_type="stations.Station",
            object_id=None,
            extra={
                "election": election.slug, "filename": report.filename,
                "sha256": report.sha256, "format": report.format, "rows": report.total_rows,
                "created": report.created, "updated": report.updated,
                "unchanged": report.unchanged, "counties": len(plan.county_ids),
            },
        )
        if plan.creates or plan.updates:
            changes.announce(changes.ElectionStationsChanged(election_id=election.pk))


def _insert_many(election_id: int, creates: list[dict[str, Any]], now: datetime.datetime) -> None:
    stamp = connection.ops.adapt_datetimefield_value(now)
    rows = ([*(v[name] for name in WRITE_FIELDS), election_id, stamp, stamp] for v in creates)
    bulk.insert_rows(Station, (*WRITE_FIELDS, "election_id", "created_at", "updated_at"), rows,
                     ready=("created_at", "updated_at"))


def _update_many(updates: list[tuple[int, dict[str, Any]]], now: datetime.datetime) -> None:
    stamp = connection.ops.adapt_datetimefield_value(now)
    rows = ((pk, [*(v[name] for name in WRITE_FIELDS), stamp]) for pk, v in updates)
    bulk.update_rows(Station, (*WRITE_FIELDS, "updated_at"), rows, ready=("updated_at",))


def write_error_report(
    report: ImportReport, path_or_stream: str | Path | IO[bytes], format: Format = "csv"
) -> None:
    """The rows of a rejected file as read, plus an "error / خطا" column per row."""
    by_row: dict[int, list[str]] = {}
    for error in report.errors:
        label = f"[{error.column}] " if error.column else ""
        # The file goes to county offices whatever the uploader's language: both.
        by_row.setdefault(error.row, []).append(
            f"{label}{error.render('fa')} / {error.render('en')}"
        )
    headers = [*report.headers, st.ERROR_HEADER]
    file_errors = by_row.pop(report.header_row, [])
    rows: list[list[Cell]] = []
    if file_errors:
        rows.append([*([""] * len(report.headers)), " | ".join(file_errors)])
    width = len(report.headers)
    for number, cells in report.rows:
        padded = [*cells[:width], *([None] * (width - len(cells)))]
        if format == "xlsx":
            padded = [_fit_xlsx(cell) for cell in padded]
        rows.append([*padded, " | ".join(by_row.get(number, []))])
    if isinstance(path_or_stream, str | Path):
        with open(path_or_stream, "wb") as stream:
            _write_table(stream, headers, rows, format=format, sheet_title=ERRORS_SHEET)
    else:
        _write_table(path_or_stream, headers, rows, format=format,
                     sheet_title=ERRORS_SHEET)


_CUT_MARK = " …[cut]"


def _fit_xlsx(cell: Cell) -> Cell:
    """A cell of the uploaded file too long for XLSX (its row's error says so), cut with
    a visible mark: XLSX cannot hold it, and a silent cut would pass for the original."""
    if isinstance(cell, str) and len(cell) > MAX_CELL_CHARS:
        return cell[:MAX_CELL_CHARS - len(_CUT_MARK) - 1] + _CUT_MARK
    return cell


def _export_rows(queryset: QuerySet[Station]) -> Iterator[list[Cell]]:
    values = queryset.order_by("county__code", "code").values(*st.EXPORT_VALUE_FIELDS)
    for row in values.iterator(chunk_size=5000):
        yield [fmt(row) for _header, fmt in st.EXPORT_COLUMNS]


def station_export(
    *,
    queryset: QuerySet[Station],
    stream: IO[bytes] | None = None,
    format: Literal["csv", "xlsx"] = "csv",
    on_row: Callable[[], None] | None = None,
) -> Iterator[bytes] | None:
    """Export stations with Persian headers, formula-injection safe.

    CSV without ``stream`` returns a generator of byte chunks (for a
    StreamingHttpResponse); with ``stream`` it writes there.  XLSX needs ``stream`` and
    is written with openpyxl's write-only mode.  ``on_row`` is called after each row (a
    command's progress bar).
    """
    headers = [header for header, _fmt in st.EXPORT_COLUMNS]
    rows = _export_rows(queryset)
    if on_row is not None:
        rows = _counted(rows, on_row)
    if format == "csv" and stream is None:
        return csv_chunks(headers, rows)
    if stream is None:
        raise TypeError("XLSX export needs a stream")
    _write_table(stream, headers, rows, format=format, sheet_title=EXPORT_SHEET)
    return None


def _counted(rows: Iterable[T], on_row: Callable[[], None]) -> Iterator[T]:
    for row in rows:
        yield row
        on_row()


def _derive(station: Station) -> None:
    """Fields computed from others: the scope path, the search key and the map cell.

    A new station's code is put in its canonical form (stations.codes)."""
    if station.pk is None:
        station.code = canonical_station_code(to_ascii_digits(station.code))
    station.unit_path = (station.unit or station.county).path
    station.search_text = station_search_text(station.code, station.name)
    if station.latitude is not None and station.longitude is not None:
        station.h3_cell = h3.latlng_to_cell(station.latitude, station.longitude, H3_RESOLUTION)
    else:
        station.h3_cell = ""


def _station_changed(station: Station) -> None:
    """Tell the apps above (the atlas rescores the station, its county and province)."""
    changes.announce(changes.StationChanged(station_id=station.pk))


def station_save(*, station: Station, actor: AnyUser | None = None) -> Station:
    """Save one station edited by hand (admin, forms): derived fields and an audit event."""
    _derive(station)
    created = station.pk is None
    with transaction.atomic():
        station.save()
        audit_record(
            action="station.create" if created else "station.update",
            actor=actor, unit=station.county, obj=station,
            after={f: getattr(station, f) for f in WRITE_FIELDS},
        )
        _station_changed(station)
    return station


# Fields a person may change on the edit page; identity (election, county, code) is fixed
# because other records and the import match stations by it.
EDITABLE_FIELDS = (
    "name", "address", "unit", "latitude", "longitude", "venue", "kind", "route",
    "expected_voters", "capacity", "cctv", "cameras", "fibre", "fibre_date", "power_backup",
    "evoting_planned", "evoting_ready", "accessible", "sensitive", "sensitivity_reason",
    "status", "closed_reason",
)


class StationInvalid(RuleErrors):
    """``station_update`` refused the data: the rules of stations.validation failed
    (every one in ``errors``)."""


def station_update(*, station: Station, data: Mapping[str, Any], actor: AnyUser) -> Station:
    """Change the editable fields of ``station`` from ``data`` (missing keys keep their
    value); audited with the before and after of the changed fields only.

    The rules are checked again here (forms check first, to show them per field), so no
    caller can store a station the importer would refuse.  Nothing changes when invalid.
    """
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"station_update cannot change {sorted(unknown)}")
    row = {f: data.get(f, getattr(station, f)) for f in VALIDATED_FIELDS}
    errors = validate_station(row)
    point = (row["latitude"], row["longitude"])
    # Only a point being changed is checked: an old one stays editable around it.
    if not errors and None not in point and point != (station.latitude, station.longitude):
        far = near_county(point[0], point[1], unit_area(station.county.path))
        errors += [far] if far is not None else []
    if errors:
        raise StationInvalid(errors)
    # Derived fields that say nothing new to a reader of the log stay out of the diff.
    tracked = [f for f in WRITE_FIELDS if f not in ("h3_cell", "search_text")] + ["h3_cell"]
    names = [f.removesuffix("_id") for f in tracked]
    before = audit_snapshot(station, names)
    for name, value in data.items():
        setattr(station, name, value)
    _derive(station)
    old, new = audit_diff(before, audit_snapshot(station, names))
    if not new:
        return station
    with transaction.atomic():
        station.save()
        audit_record(action="station.update", actor=actor, unit=station.county, obj=station,
                     before=old, after=new)
        _station_changed(station)
    return station


def station_export_audited(
    *,
    queryset: QuerySet[Station],
    actor: AnyUser,
    extra: Mapping[str, Any],
    unit: AdminUnit | None = None,
    stream: IO[bytes] | None = None,
    format: Literal["csv", "xlsx"] = "csv",
) -> Iterator[bytes] | None:
    """``station_export`` for a person: the download is recorded as ``station.export``
    (with its filters in ``extra``) before the first byte leaves."""
    with transaction.atomic():
        audit_record(action="station.export", actor=actor, unit=unit,
                     object_type="stations.station", object_id=None,
                     extra={**extra, "format": format})
    return station_export(queryset=queryset, stream=stream, format=format)


# --- API tokens bound to stations -----------------------------------------------------------


@transaction.atomic
def station_token_issue(*, user: User, name: str, ttl_days: int, actor: User,
                        stations: Iterable[Station] = ()) -> tuple[ApiToken, str]:
    """Issue an API token (``accounts.services.api_token_issue``) bound to ``stations``, in
    one transaction: a field device's token reaches only them, none means the user's whole
    scope.  Every station must be in the user's scope."""
    token, plaintext = api_token_issue(user=user, name=name, ttl_days=ttl_days, actor=actor)
    bound = sorted({s.pk for s in stations})
    if bound:
        reachable = scope_queryset(user, Station.objects.filter(pk__in=bound),
                                   action=policy.VIEW, path_field="unit_path")
        if reachable.count() != len(bound):
            raise ValidationError(_("A token can only be bound to stations its user reaches."))
        BoundToken.objects.create(token=token)  # bound for good, whatever becomes of the rows
        TokenStation.objects.bulk_create(TokenStation(token=token, station_id=pk) for pk in bound)
        audit_record(action="api_token.bind", actor=actor, obj=token, after={"stations": bound})
    return token, plaintext


def stations_staffed_set(*, election: Election, county: AdminUnit, staffed_ids: set[int],
                         actor: AnyUser | None = None) -> int:
    """Mark which stations of ``county`` have every post filled (the staffing app says;
    the readiness figures read it).  One audit entry when anything changed; returns how
    many stations changed."""
    stations = Station.objects.filter(election=election, county=county)
    with transaction.atomic():
        on = stations.filter(pk__in=staffed_ids, staffed=False).update(staffed=True)
        off = stations.exclude(pk__in=staffed_ids).filter(staffed=True).update(staffed=False)
        if on or off:
            audit_record(action="stations.staffed.update", actor=actor, unit=county,
                         object_type="stations.station", object_id=county.code,
                         extra={"staffed": on, "unstaffed": off})
    return on + off
