"""Writes to the geography: importing the project's data file of administrative units."""

from __future__ import annotations

import contextlib
import csv
import functools
import gc
import gzip
import hashlib
import io
import json
import math
import operator
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h3
import shapefile
import shapely
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from shapely.geometry import mapping, shape
from shapely.validation import explain_validity

from amanat.accounts.access import AnyUser
from amanat.audit.services import audit_record
from amanat.core import bulk
from amanat.core.errors import RuleError
from amanat.geo.models import KIND_LETTER, AdminUnit, Boundary, Kind, Placement
from amanat.lib.persian import normalize, search_key

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "iran_units.csv.gz"
H3_RESOLUTION = 7
# Where a unit of Iran can be (its bounding box with a margin for border places) and how
# many people it can hold: a value outside is a broken file, and the import refuses it.
LAT_RANGE = (24.0, 41.0)
LON_RANGE = (43.0, 64.5)
MAX_POPULATION = 200_000_000
COLUMNS = ("kind", "code", "parent_kind", "parent_code", "name", "latitude", "longitude",
           "placement", "population")
# Fields the importer owns; a unit is "unchanged" when all of them already match.
FIELDS = ("name", "name_key", "parent_id", "path", "depth", "latitude", "longitude",
          "placement", "h3_cell", "population")
# What the file alone determines: FIELDS without parent_id, which needs the database.
VALUE_FIELDS = tuple(f for f in FIELDS if f != "parent_id")
_PARENT = FIELDS.index("parent_id")
_DEPTH = VALUE_FIELDS.index("depth")
KIND_ORDER = list(Kind.values)
_KINDS = frozenset(Kind.values)
_PLACEMENTS = frozenset(Placement.values)
_COUNTRY = str(Kind.COUNTRY.value)
_LETTER = {str(kind.value): letter for kind, letter in KIND_LETTER.items()}
FULL_SCAN_ABOVE = 5000

Key = tuple[str, str]  # (kind, code)


class GeoImportError(ValueError):
    """The data file is malformed; nothing was written."""


@dataclass
class ImportResult:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(Kind.values, 0))

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    @property
    def total_updated(self) -> int:
        return sum(self.updated.values())

    @property
    def total_unchanged(self) -> int:
        return sum(self.unchanged.values())

    @property
    def total(self) -> int:
        return self.total_created + self.total_updated + self.total_unchanged


@dataclass
class _Row:
    """One unit as the file describes it, with everything derived except the parent id."""

    kind: str
    code: str
    parent: Key | None
    values: tuple[Any, ...]  # in VALUE_FIELDS order

    @property
    def depth(self) -> int:
        return int(self.values[_DEPTH])


def geo_import(
    *, path: Path | str | None = None, actor: AnyUser | None = None, actor_name: str | None = None
) -> ImportResult:
    """Upsert every unit of the data file by (kind, code), in one transaction.

    The whole file is read and checked before anything is written, so a bad file changes
    nothing.  Units already in the database but absent from the file are left alone:
    stations and memberships may point at them.  A run that changes anything writes one
    audit event with the counts and the file's SHA-256.
    """
    source = Path(path) if path is not None else DEFAULT_PATH
    with _gc_paused():
        rows = _read_rows(source)
        result = ImportResult()
        with transaction.atomic():
            keys = {(r.kind, r.code) for items in rows.values() for r in items}
            ids, current = _existing(keys)
            for kind in _levels(rows):
                _apply_level(rows[kind], ids, current, result)
            if result.total_created or result.total_updated:
                _audit_import(source, result, actor, actor_name)
    return result


def _audit_import(source: Path, result: ImportResult, actor: AnyUser | None,
                  actor_name: str | None) -> None:
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    audit_record(
        action="geo.import", actor=actor, actor_name=actor_name or "system",
        object_type="geo.adminunit",
        extra={"file": source.name, "sha256": digest, "created": result.total_created,
               "updated": result.total_updated, "unchanged": result.total_unchanged},
    )


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building ~100,000 rows of tuples.

    The import creates no reference cycles, yet every few thousand allocations the
    collector would rescan the growing heap: a quarter of the run time.  Plain reference
    counting still frees everything.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- reading and checking the file ------------------------------------------------------


# Positions of COLUMNS in a record as _read_csv yields it.
_K, _C, _PK, _PC, _N, _LAT, _LON, _PL, _POP = range(len(COLUMNS))
_Record = tuple[str, ...]


def _read_rows(path: Path) -> dict[str, list[_Row]]:
    """Rows by kind, in tree order (parents' kinds first), paths and depths computed."""
    by_key: dict[Key, _Record] = {}
    for line, rec in _read_csv(path):
        key = _check_record(rec, line)
        if key in by_key:
            raise GeoImportError(_("Line %(line)d: duplicate %(kind)s code %(code)s.")
                                 % {"line": line, "kind": key[0], "code": key[1]})
        by_key[key] = rec
    paths: dict[Key, tuple[str, int]] = {}
    rows: dict[str, list[_Row]] = {kind: [] for kind in KIND_ORDER}
    for key, rec in by_key.items():
        parent = (rec[_PK], rec[_PC]) if rec[_PK] else None
        unit_path, depth = _path_of(key, by_key, paths)
        rows[key[0]].append(_Row(key[0], key[1], parent, _values(rec, unit_path, depth)))
    return rows


def _read_csv(path: Path) -> Iterator[tuple[int, _Record]]:
    """(line number, record) with the record's fields in COLUMNS order."""
    try:
        data = path.read_bytes()
        text = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
        lines = io.StringIO(text.decode("utf-8"))
        header = next(csv.reader(lines), [])
        missing = [c for c in COLUMNS if c not in header]
    except (OSError, UnicodeDecodeError, EOFError, zlib.error) as exc:
        raise GeoImportError(_("Cannot read %(path)s: %(error)s")
                             % {"path": path, "error": exc}) from exc
    if missing:
        raise GeoImportError(_("%(path)s lacks column(s): %(columns)s")
                             % {"path": path, "columns": ", ".join(missing)})
    width = len(header)
    pick = operator.itemgetter(*(header.index(c) for c in COLUMNS))
    for line, fields in enumerate(csv.reader(lines), start=2):
        if len(fields) != width:
            raise GeoImportError(_("Line %(line)d: %(count)d fields, expected %(width)d.")
                                 % {"line": line, "count": len(fields), "width": width})
        yield line, pick(fields)


def _check_record(rec: _Record, line: int) -> Key:
    kind, code = rec[_K], rec[_C]
    problem = None
    if kind not in _KINDS:
        problem = _("unknown kind %(value)r") % {"value": kind}
    elif not code or len(code) > 20:
        problem = _("missing or too long code %(value)r") % {"value": code}
    elif not rec[_N].strip():
        problem = _("empty name")
    elif rec[_PL] not in _PLACEMENTS:
        problem = _("unknown placement %(value)r") % {"value": rec[_PL]}
    elif bool(rec[_PK]) != (kind != _COUNTRY):
        problem = _("only the country has no parent")
    if problem:
        raise GeoImportError(_("Line %(line)d: %(problem)s.") % {"line": line, "problem": problem})
    return kind, code


def _path_of(
    key: Key, by_key: dict[Key, _Record], paths: dict[Key, tuple[str, int]]
) -> tuple[str, int]:
    """Materialised path and depth, walking up to the root (iteratively, with memo)."""
    rec = by_key[key]
    known = paths.get((rec[_PK], rec[_PC]))
    if known is not None:  # the usual case: the file lists parents before children
        paths[key] = (f"{known[0]}{_segment(key)}/", known[1] + 1)
        return paths[key]
    chain: list[Key] = []
    cursor: Key | None = key
    while cursor is not None and cursor not in paths:
        if cursor in chain:
            raise GeoImportError(_("%(kind)s %(code)s is its own ancestor.")
                                 % {"kind": cursor[0], "code": cursor[1]})
        found = by_key.get(cursor)
        if found is None:
            child = chain[-1]
            raise GeoImportError(_("%(kind)s %(code)s: parent %(pkind)s %(pcode)s is not in the "
                                   "file.") % {"kind": child[0], "code": child[1],
                                               "pkind": cursor[0], "pcode": cursor[1]})
        chain.append(cursor)
        cursor = (found[_PK], found[_PC]) if found[_PK] else None
    prefix, depth = paths[cursor] if cursor is not None else ("", -1)
    for item in reversed(chain):
        prefix, depth = f"{prefix}{_segment(item)}/", depth + 1
        paths[item] = (prefix, depth)
    return paths[key]


def _segment(key: Key) -> str:
    """Path segment: kind letter + code; the root's has a dash ("I-IR") to stand apart."""
    letter = _LETTER[key[0]]
    return f"{letter}-{key[1]}" if key[0] == _COUNTRY else f"{letter}{key[1]}"


def _values(rec: _Record, unit_path: str, depth: int) -> tuple[Any, ...]:
    """The row's VALUE_FIELDS, in order."""
    name, name_key = _names(rec[_N])
    lat, lon, placement, cell = _point(rec[_LAT], rec[_LON], rec[_PL])
    return (name, name_key, unit_path, depth, lat, lon, placement, cell,
            _population(rec[_POP]))


def _population(text: str) -> int | None:
    try:
        population = int(text) if text else None
    except ValueError:
        population = -1
    if population is not None and not 0 <= population <= MAX_POPULATION:
        raise GeoImportError(_("Bad population %(value)r.") % {"value": text})
    return population


@functools.lru_cache(maxsize=1 << 17)
def _names(raw: str) -> tuple[str, str]:
    """Stored name and search key; cached because village names repeat a lot."""
    return normalize(raw), search_key(raw)


@functools.lru_cache(maxsize=1 << 14)
def _point(lat_text: str, lon_text: str, placement: str) -> tuple[Any, ...]:
    """(lat, lon, placement, H3 cell); cached: most villages share their county's point."""
    lat, lon = _float(lat_text, LAT_RANGE), _float(lon_text, LON_RANGE)
    if lat is None or lon is None:
        return None, None, str(Placement.NONE), ""
    return lat, lon, placement, h3.latlng_to_cell(lat, lon, H3_RESOLUTION)


def _float(text: str, bounds: tuple[float, float]) -> float | None:
    try:
        value = float(text) if text else None
    except ValueError:
        value = math.nan
    # Not finite or outside Iran: NaN fails the comparison too.
    if value is not None and not bounds[0] <= value <= bounds[1]:
        raise GeoImportError(_("Bad coordinate %(value)r.") % {"value": text})
    return value


def _levels(rows: dict[str, list[_Row]]) -> list[str]:
    """Kinds ordered so that every parent's kind comes before its children's."""
    depth_of: dict[str, int] = {}
    for kind, items in rows.items():
        if items:
            depth_of[kind] = items[0].depth
            if any(r.depth != depth_of[kind] for r in items):
                raise GeoImportError(_("Units of kind %(kind)s sit at different depths.")
                                     % {"kind": kind})
    return sorted(depth_of, key=lambda kind: (depth_of[kind], KIND_ORDER.index(kind)))


# --- writing ----------------------------------------------------------------------------


def _existing(keys: set[Key]) -> tuple[dict[Key, int], dict[Key, tuple[Any, ...]]]:
    """Ids and current values of the file's units that are already stored."""
    columns = ("pk", "kind", "code", *FIELDS)
    if len(keys) > FULL_SCAN_ABOVE:
        queries = [AdminUnit.objects.order_by().values_list(*columns)]
    else:  # a small file: fetch just its units
        by_kind: dict[str, list[str]] = {}
        for kind, code in sorted(keys):
            by_kind.setdefault(kind, []).append(code)
        queries = [
            AdminUnit.objects.filter(kind=kind, code__in=codes[i:i + 500])
            .order_by().values_list(*columns)
            for kind, codes in by_kind.items() for i in range(0, len(codes), 500)
        ]
    ids: dict[Key, int] = {}
    current: dict[Key, tuple[Any, ...]] = {}
    for query in queries:
        for pk, kind, code, *values in query.iterator(chunk_size=10_000):
            if (kind, code) in keys:
                ids[(kind, code)] = pk
                current[(kind, code)] = tuple(values)
    return ids, current


def _apply_level(
    rows: list[_Row], ids: dict[Key, int], current: dict[Key, tuple[Any, ...]],
    result: ImportResult,
) -> None:
    to_create: list[tuple[Any, ...]] = []
    to_update: list[tuple[int, tuple[Any, ...]]] = []
    for row in rows:
        key = (row.kind, row.code)
        parent_id = ids[row.parent] if row.parent else None
        values = (*row.values[:_PARENT], parent_id, *row.values[_PARENT:])
        if key not in ids:
            to_create.append((row.kind, row.code, *values))
            result.created[row.kind] += 1
        elif values != current[key]:
            to_update.append((ids[key], values))
            result.updated[row.kind] += 1
        else:
            result.unchanged[row.kind] += 1
    if to_update:
        bulk.update_rows(AdminUnit, FIELDS, to_update)
    if to_create:
        bulk.insert_rows(AdminUnit, ("kind", "code", *FIELDS), to_create)
        _remember_ids({row.kind for row in rows}, ids)


def _remember_ids(kinds: set[str], ids: dict[Key, int]) -> None:
    for pk, kind, code in AdminUnit.objects.filter(kind__in=kinds).order_by().values_list(
        "pk", "kind", "code"
    ).iterator(chunk_size=10_000):
        ids[(kind, code)] = pk


# --- official boundaries ----------------------------------------------------------------

# Stored geometry is simplified to about 10 m and rounded to 5 decimals (about 1 m).
BOUNDARY_TOLERANCE = 0.0001
BOUNDARY_DECIMALS = 5
_GEOMETRY_TYPES = frozenset({"Polygon", "MultiPolygon"})


@dataclass
class BoundaryImportResult:
    provinces: int = 0
    counties: int = 0
    codes: list[str] = field(default_factory=list)


def boundaries_import(
    *, path: Path | str, actor: AnyUser | None = None, actor_name: str | None = None,
    code_field: str = "code",
) -> BoundaryImportResult:
    """Store an installation's official province and county boundaries, all or nothing.

    The file is GeoJSON (a FeatureCollection) or an ESRI shapefile (``.shp`` beside its
    ``.dbf``, or a ``.zip`` holding them), in WGS84 degrees.  Each feature names its
    unit by official code in the property ``code_field`` (a 2-digit code is a province,
    a 4-digit code a county).  Every feature is checked first: an unknown code, a code
    given twice, a geometry that is not a valid polygon or that lies outside Iran is
    refused, and then nothing is stored.  One audit event records the file and its codes.
    """
    source = Path(path)
    features = _read_boundary_file(source, code_field)
    errors: list[RuleError] = []
    checked: list[tuple[str, Any]] = []
    for number, (value, geometry) in enumerate(features, start=1):
        try:
            code = _boundary_code(value, number, code_field)
            checked.append((code, _boundary_geometry(geometry, number, code)))
        except RuleError as exc:
            errors.append(exc)
    units = _units_by_code({code for code, _geometry in checked})
    seen: set[int] = set()
    resolved: list[tuple[AdminUnit, Any]] = []
    for code, geometry in checked:
        unit = units.get(code)
        if unit is None:
            errors.append(RuleError(
                gettext_lazy("No province or county has the code %(unit_code)s: check the "
                             "code field."), code="unknown_code", unit_code=code))
        elif unit.pk in seen:
            errors.append(RuleError(gettext_lazy("The code %(unit_code)s is given twice."),
                                    code="duplicate", unit_code=code))
        else:
            seen.add(unit.pk)
            resolved.append((unit, geometry))
    if not features:
        errors.append(RuleError(gettext_lazy("The file holds no boundaries."), code="empty"))
    if errors:
        raise BoundaryImportError(errors)
    result = BoundaryImportResult()
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    with transaction.atomic():
        for unit, geometry in resolved:
            west, south, east, north = geometry.bounds
            Boundary.objects.update_or_create(unit=unit, defaults={
                "geometry": _rounded(mapping(geometry)), "west": west, "south": south,
                "east": east, "north": north, "source": source.name[:200], "sha256": digest,
            })
            if unit.kind == Kind.PROVINCE:
                result.provinces += 1
            else:
                result.counties += 1
            result.codes.append(unit.code)
        audit_record(
            action="geo.import_boundaries", actor=actor, actor_name=actor_name or "system",
            object_type="geo.boundary",
            extra={"file": source.name, "sha256": digest, "provinces": result.provinces,
                   "counties": result.counties, "codes": result.codes},
        )
    return result


class BoundaryImportError(Exception):
    """The boundary file was refused; ``errors`` says why, feature by feature."""

    def __init__(self, errors: list[RuleError]) -> None:
        super().__init__(errors)
        self.errors = errors


def _read_boundary_file(source: Path, code_field: str) -> list[tuple[Any, Any]]:
    """(code, GeoJSON geometry) of each feature of a GeoJSON file or a shapefile."""
    suffix = source.suffix.lower()
    try:
        if suffix in (".shp", ".zip"):
            with shapefile.Reader(str(source)) as reader:
                names = [f[0] for f in reader.fields[1:]]
                field_name = _pick_field(names, code_field)
                return [(rec.record.as_dict().get(field_name) if field_name else None,
                         rec.shape.__geo_interface__ if rec.shape.shapeType else None)
                        for rec in reader.iterShapeRecords()]
        data = json.loads(source.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError, shapefile.ShapefileException) as exc:
        raise BoundaryImportError([RuleError(
            gettext_lazy("Cannot read %(file)s as GeoJSON or a shapefile: %(error)s"),
            code="unreadable", file=source.name, error=str(exc))]) from exc
    items = data.get("features") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise BoundaryImportError([RuleError(
            gettext_lazy("%(file)s is not a GeoJSON FeatureCollection."),
            code="not_collection", file=source.name)])
    out = []
    for item in items:
        properties = item.get("properties") if isinstance(item, dict) else None
        properties = properties if isinstance(properties, dict) else {}
        field_name = _pick_field(list(properties), code_field)
        out.append((properties.get(field_name) if field_name else None,
                    item.get("geometry") if isinstance(item, dict) else None))
    return out


def _pick_field(names: list[str], wanted: str) -> str | None:
    """The field called ``wanted``, in any letter case."""
    for name in names:
        if name.lower() == wanted.lower():
            return name
    return None


def _boundary_code(value: Any, number: int, code_field: str) -> str:
    text = str(value).strip() if value is not None else ""
    if text.endswith(".0"):  # a shapefile's numeric field
        text = text[:-2]
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise RuleError(
            gettext_lazy("Feature %(number)s: %(column)s %(value)s is not the official code "
                         "of a province or a county (up to 4 digits)."),
            code="bad_code", number=number, column=code_field, value=text or "-")
    return text


def _units_by_code(codes: set[str]) -> dict[str, AdminUnit]:
    """Provinces and counties by code as written in the file: the stored code, or the
    stored code without its zero padding (a shapefile's numeric field drops it)."""
    wanted = codes | {c.zfill(2) for c in codes} | {c.zfill(4) for c in codes}
    found: dict[str, AdminUnit] = {}
    rows = AdminUnit.objects.filter(kind__in=[Kind.PROVINCE, Kind.COUNTY], code__in=wanted)
    for unit in rows.order_by("depth"):
        for code in codes:
            if code.zfill(len(unit.code)) == unit.code:
                found.setdefault(code, unit)
    return found


def _boundary_geometry(geometry: Any, number: int, code: str) -> Any:
    if not isinstance(geometry, dict) or geometry.get("type") not in _GEOMETRY_TYPES:
        raise RuleError(gettext_lazy("Feature %(number)s (code %(unit_code)s): the geometry is "
                                     "not a polygon."), code="not_polygon", number=number,
                        unit_code=code)
    try:
        shaped = shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError) as exc:
        raise RuleError(gettext_lazy("Feature %(number)s (code %(unit_code)s): the polygon cannot "
                                     "be read (%(error)s)."), code="bad_polygon", number=number,
                        unit_code=code, error=str(exc)) from exc
    if shaped.is_empty or not shaped.is_valid:
        reason = "empty" if shaped.is_empty else explain_validity(shaped)
        raise RuleError(gettext_lazy("Feature %(number)s (code %(unit_code)s): the polygon is not "
                                     "valid (%(reason)s)."), code="invalid_polygon",
                        number=number, unit_code=code, reason=reason)
    west, south, east, north = shaped.bounds
    if not (LON_RANGE[0] <= west and east <= LON_RANGE[1] and LAT_RANGE[0] <= south
            and north <= LAT_RANGE[1]):
        raise RuleError(gettext_lazy("Feature %(number)s (code %(unit_code)s): the polygon lies "
                                     "outside Iran; coordinates must be WGS84 longitude and "
                                     "latitude in degrees."), code="outside", number=number,
                        unit_code=code)
    return shapely.set_precision(shaped.simplify(BOUNDARY_TOLERANCE, preserve_topology=True),
                                 10 ** -BOUNDARY_DECIMALS)


def _rounded(geo: Any) -> dict[str, Any]:
    def rnd(coords: Any) -> Any:
        if isinstance(coords, (int, float)):
            return round(float(coords), BOUNDARY_DECIMALS)
        return [rnd(c) for c in coords]
    return {"type": geo["type"], "coordinates": rnd(geo["coordinates"])}
