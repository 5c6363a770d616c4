#!/usr/bin/env python3
"""Build the project's geography file from Iran's official divisions and GeoNames places.

Usage::

    .venv/bin/python scripts/build_geo.py --source /work/shared/data/iran \\
        --out amanat/geo/data/iran_units.csv.gz

Inputs (see the source folder's README): province/county/district/city/rural_district/
village CSVs (Statistical Centre of Iran divisions, as compiled by django-iranian-cities)
and places_geonames.csv (GeoNames places with population >= 500).  Output: one gzipped CSV
row per unit, sorted, byte-for-byte reproducible.  Matching rules and data quirks are
described in docs/geography.md.  Standard library and amanat.lib only.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from amanat.lib.persian import normalize, search_key

KINDS = ("country", "province", "county", "district", "city", "rural_district", "village")
# The source stores codes as integers, so leading zeros are lost (Markazi is "0", its
# counties "1".."12").  Official codes have a fixed width per level; we pad back to it.
CODE_WIDTH = {
    "province": 2,
    "county": 4,
    "district": 6,
    "city": 10,
    "rural_district": 10,
    "village": 16,
}
# Which column of each file names the parent, and every ancestor column it declares.
PARENT_COLUMN = {
    "county": "province",
    "district": "county",
    "city": "district",
    "rural_district": "district",
    "village": "rural_district",
}
ANCESTOR_COLUMNS = {
    "province": (),
    "county": ("province",),
    "district": ("province", "county"),
    "city": ("province", "county", "district"),
    "rural_district": ("province", "county", "district"),
    "village": ("province", "county", "district", "rural_district"),
}
REQUIRED_COLUMNS = {
    "province": ("id", "name", "code"),
    "county": ("id", "name", "province", "code"),
    "district": ("id", "name", "province", "county", "code"),
    "city": ("id", "name", "city_type", "province", "county", "district", "code"),
    "rural_district": ("id", "name", "province", "county", "district", "code"),
    "village": ("id", "name", "province", "county", "district", "rural_district", "code"),
}
PLACE_COLUMNS = ("geonameid", "names_fa", "latitude", "longitude", "population", "admin1")

# Province (padded official code) -> (GeoNames admin1 code, capital).  Checked at run
# time: the capital must be a city of the province and a GeoNames place in that admin1.
PROVINCES: dict[str, tuple[str, str]] = {
    "00": ("34", "اراک"),  # Markazi
    "01": ("08", "رشت"),  # Gilan
    "02": ("35", "ساری"),  # Mazandaran
    "03": ("33", "تبریز"),  # East Azerbaijan
    "04": ("01", "ارومیه"),  # West Azerbaijan
    "05": ("13", "کرمانشاه"),  # Kermanshah
    "06": ("15", "اهواز"),  # Khuzestan
    "07": ("07", "شیراز"),  # Fars
    "08": ("29", "کرمان"),  # Kerman
    "09": ("42", "مشهد"),  # Razavi Khorasan
    "10": ("28", "اصفهان"),  # Isfahan
    "11": ("04", "زاهدان"),  # Sistan and Baluchestan
    "12": ("16", "سنندج"),  # Kurdistan
    "13": ("09", "همدان"),  # Hamadan
    "14": ("03", "شهرکرد"),  # Chaharmahal and Bakhtiari
    "15": ("23", "خرم آباد"),  # Lorestan
    "16": ("10", "ایلام"),  # Ilam
    "17": ("05", "یاسوج"),  # Kohgiluyeh and Boyer-Ahmad
    "18": ("22", "بوشهر"),  # Bushehr
    "19": ("36", "زنجان"),  # Zanjan
    "20": ("25", "سمنان"),  # Semnan
    "21": ("40", "یزد"),  # Yazd
    "22": ("11", "بندرعباس"),  # Hormozgan
    "23": ("26", "تهران"),  # Tehran
    "24": ("32", "اردبیل"),  # Ardabil
    "25": ("39", "قم"),  # Qom
    "26": ("38", "قزوین"),  # Qazvin
    "27": ("37", "گرگان"),  # Golestan
    "28": ("43", "بجنورد"),  # North Khorasan
    "29": ("41", "بیرجند"),  # South Khorasan
    "30": ("44", "کرج"),  # Alborz
}
COUNTRY_CODE = "IR"
COUNTRY_NAME = "ایران"
# city_type 2 rows are a large city's municipal zones ("تهران 5"); they share the city.
CITY_ZONE_TYPE = "2"
_ZONE_NUMBER = re.compile(r"\s*\d+$")
OUT_COLUMNS = (
    "kind",
    "code",
    "parent_kind",
    "parent_code",
    "name",
    "latitude",
    "longitude",
    "placement",
    "population",
    "geonameid",
)


class BuildError(Exception):
    """Bad input: the message says which file, row and value."""


@dataclass
class Place:
    geonameid: int
    lat: float
    lon: float
    population: int
    keys: frozenset[str]


@dataclass
class Unit:
    kind: str
    code: str
    name: str
    source_id: str
    parent: Unit | None = None
    province: Unit | None = None
    county: Unit | None = None
    zone: bool = False
    lat: float | None = None
    lon: float | None = None
    placement: str = "none"
    population: int | None = None
    place: Place | None = None
    children: list[Unit] = field(default_factory=list)

    @cached_property
    def key(self) -> str:
        return search_key(self.name)

    def place_at(self, lat: float, lon: float, placement: str) -> None:
        self.lat, self.lon, self.placement = round(lat, 5), round(lon, 5), placement


# --- reading and checking the divisions ------------------------------------------------


def read_csv(path: Path, required: Iterable[str]) -> list[dict[str, str]]:
    if not path.exists():
        raise BuildError(f"{path}: file not found")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BuildError(f"{path.name}: missing column(s) {', '.join(missing)}")
        return list(reader)


def official_code(kind: str, raw: str, where: str) -> str:
    code = raw.strip()
    if not code.isdigit():
        raise BuildError(f"{where}: code {raw!r} is not a number")
    if len(code) > CODE_WIDTH[kind]:
        raise BuildError(f"{where}: code {code} is longer than {CODE_WIDTH[kind]} digits")
    return code.zfill(CODE_WIDTH[kind])


class Divisions:
    """The six division files as linked, checked units, keyed by the files' ids."""

    def __init__(self, source: Path, stats: Counter[str]) -> None:
        self.stats = stats
        self.by_id: dict[str, dict[str, Unit]] = {}
        self.rows: dict[str, dict[str, dict[str, str]]] = {}
        for kind in KINDS[1:]:
            self._load(kind, read_csv(source / f"{kind}.csv", REQUIRED_COLUMNS[kind]))
        self.country = Unit("country", COUNTRY_CODE, COUNTRY_NAME, "")
        for unit in self.by_id["province"].values():
            self._attach(unit, self.country)

    def units(self, kind: str) -> list[Unit]:
        return sorted(self.by_id[kind].values(), key=lambda u: u.code)

    def _load(self, kind: str, rows: list[dict[str, str]]) -> None:
        units: dict[str, Unit] = {}
        by_code: dict[str, str] = {}
        rows_by_id: dict[str, dict[str, str]] = {}
        for line, row in enumerate(rows, start=2):
            where = f"{kind}.csv line {line}"
            source_id = row["id"].strip()
            if source_id in units:
                raise BuildError(f"{where}: duplicate id {source_id}")
            code = official_code(kind, row["code"], where)
            if code in by_code:
                raise BuildError(
                    f"{where}: duplicate {kind} code {code} (ids {by_code[code]} and {source_id})"
                )
            name = normalize(row["name"])
            if not name:
                raise BuildError(f"{where}: empty name")
            self.stats[f"{kind}: names changed by normalisation"] += name != row["name"]
            self.stats[f"{kind}: codes padded with leading zeros"] += code != row["code"].strip()
            unit = Unit(kind, code, name, source_id)
            unit.zone = kind == "city" and row["city_type"].strip() == CITY_ZONE_TYPE
            units[source_id], by_code[code] = unit, source_id
            rows_by_id[source_id] = row
            if kind != "province":
                self._link(kind, unit, row, where)
        self.by_id[kind], self.rows[kind] = units, rows_by_id

    def _link(self, kind: str, unit: Unit, row: dict[str, str], where: str) -> None:
        parent = self._lookup(PARENT_COLUMN[kind], row, where)
        # Every ancestor a row names must be the one its parent chain leads to.
        for column in ANCESTOR_COLUMNS[kind]:
            expected = self._lookup(column, row, where)
            actual: Unit | None = parent if column == PARENT_COLUMN[kind] else None
            if actual is None:
                parent_row = self.rows[parent.kind][parent.source_id]
                actual = self.by_id[column].get(parent_row.get(column, "").strip())
            if actual is not expected:
                raise BuildError(f"{where}: {column} {row[column]} disagrees with its parent's")
        if not unit.code.startswith(parent.code):
            raise BuildError(
                f"{where}: {kind} code {unit.code} does not start with its "
                f"{parent.kind}'s code {parent.code}"
            )
        self._attach(unit, parent)

    def _lookup(self, column: str, row: dict[str, str], where: str) -> Unit:
        unit = self.by_id[column].get(row[column].strip())
        if unit is None:
            raise BuildError(f"{where}: unknown {column} id {row[column]!r}")
        return unit

    @staticmethod
    def _attach(unit: Unit, parent: Unit) -> None:
        unit.parent = parent
        parent.children.append(unit)
        unit.province = parent if parent.kind == "province" else parent.province
        unit.county = parent if parent.kind == "county" else parent.county


# --- GeoNames places -------------------------------------------------------------------


def read_places(path: Path, stats: Counter[str]) -> dict[str, list[Place]]:
    """Places grouped by GeoNames admin1; places without a Persian name or admin1 dropped."""
    known_admin1 = {admin1 for admin1, _ in PROVINCES.values()}
    by_admin1: dict[str, list[Place]] = defaultdict(list)
    for line, row in enumerate(read_csv(path, PLACE_COLUMNS), start=2):
        keys = frozenset(k for k in (search_key(n) for n in row["names_fa"].split("|")) if k)
        admin1 = row["admin1"].strip()
        if not keys:
            stats["places: dropped, no Persian name"] += 1
            continue
        if admin1 not in known_admin1:
            stats["places: dropped, admin1 empty or unknown"] += 1
            continue
        try:
            place = Place(
                int(row["geonameid"]),
                float(row["latitude"]),
                float(row["longitude"]),
                int(row["population"] or 0),
                keys,
            )
        except ValueError as exc:
            raise BuildError(f"{path.name} line {line}: {exc}") from exc
        by_admin1[admin1].append(place)
    return by_admin1


def check_provinces(divisions: Divisions, places: dict[str, list[Place]]) -> None:
    """The admin1 table is right if each capital is a city and a place of its admin1."""
    for province in divisions.units("province"):
        if province.code not in PROVINCES:
            raise BuildError(f"province {province.code} ({province.name}) is not in PROVINCES")
        admin1, capital = PROVINCES[province.code]
        key = search_key(capital)
        if not any(key in p.keys for p in places.get(admin1, [])):
            raise BuildError(
                f"province {province.code} ({province.name}): capital {capital} is not a "
                f"GeoNames place in admin1 {admin1}; the PROVINCES table is wrong"
            )
        if not any(c.key == key for c in _cities_in(province)):
            raise BuildError(
                f"province {province.code} ({province.name}): capital {capital} is not one "
                "of its cities"
            )


def _cities_in(province: Unit) -> list[Unit]:
    return [c for county in province.children for d in county.children for c in d.children
            if c.kind == "city"]


# --- matching units to places ----------------------------------------------------------


def match_units(
    units: list[Unit], places: list[Place], taken: set[int], stats: Counter[str], label: str
) -> None:
    """Give units a place with the same name key, one place per unit, deterministically.

    Pass 1 takes units with exactly one free candidate place, if no other unit wants that
    place (two same-named units and one place: we cannot tell which, so neither gets it).
    Pass 2 gives the units that had several candidates the largest remaining one (ties:
    lowest geonameid), in code order.
    """
    index: dict[str, list[Place]] = defaultdict(list)
    for place in places:
        for key in place.keys:
            index[key].append(place)
    candidates = {
        u.code: [p for p in index.get(u.key, []) if p.geonameid not in taken] for u in units
    }
    wanted: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        if len(candidates[unit.code]) == 1:
            wanted[candidates[unit.code][0].geonameid].append(unit)
    places_by_id = {p.geonameid: p for p in places}
    for geonameid, wanting in wanted.items():
        if len(wanting) == 1:
            _give(wanting[0], places_by_id[geonameid], taken)
        else:
            stats[f"{label}: ambiguous, same-named units share one place"] += len(wanting)
    for unit in units:
        free = [p for p in candidates[unit.code] if p.geonameid not in taken]
        if len(candidates[unit.code]) > 1 and free:
            best = min(free, key=lambda p: (-p.population, p.geonameid))
            _give(unit, best, taken)
            stats[f"{label}: several candidate places, largest taken"] += 1


def _give(unit: Unit, place: Place, taken: set[int]) -> None:
    taken.add(place.geonameid)
    unit.place, unit.population = place, place.population
    unit.place_at(place.lat, place.lon, "matched_place")


def match_province(province: Unit, places: list[Place], stats: Counter[str]) -> None:
    cities = [c for c in _cities_in(province) if not c.zone]
    villages = [v for county in province.children for d in county.children
                for r in d.children if r.kind == "rural_district" for v in r.children]
    taken: set[int] = set()
    # Cities first: a city is the likelier owner of a populated place than a same-named
    # village, and villages then choose among the places the cities left.
    match_units(cities, places, taken, stats, "city")
    match_units(villages, places, taken, stats, "village")
    stats["places: matched to a city or village"] += len(taken)
    stats["places: left unmatched"] += len(places) - len(taken)
    by_county_key = {(c.county.code, c.key): c for c in cities if c.place}  # type: ignore[union-attr]
    for zone in (c for c in _cities_in(province) if c.zone):
        base = by_county_key.get((zone.county.code, search_key(_ZONE_NUMBER.sub("", zone.name))))  # type: ignore[union-attr]
        if base is not None and base.lat is not None and base.lon is not None:
            zone.place = base.place
            zone.place_at(base.lat, base.lon, "matched_place")
            stats["city: municipal zones (city_type 2) placed at their city"] += 1


# --- coordinates for the units that did not match ---------------------------------------


def _mean_of(units: Iterable[Unit]) -> tuple[float, float] | None:
    points = [(u.lat, u.lon) for u in units if u.lat is not None and u.lon is not None]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _from_parent(unit: Unit, source: Unit) -> None:
    if source.lat is not None and source.lon is not None:
        unit.place_at(source.lat, source.lon, "parent")


def place_province(province: Unit) -> None:
    cities = _cities_in(province)
    capital_key = search_key(PROVINCES[province.code][1])
    capital = next((c for c in cities if c.key == capital_key and c.place), None)
    if capital is not None and capital.lat is not None and capital.lon is not None:
        province.place_at(capital.lat, capital.lon, "matched_place")
    elif mean := _mean_of(c for c in cities if c.place):
        province.place_at(*mean, "child_mean")


def place_county(county: Unit, province_cities: list[Unit]) -> None:
    cities = [c for d in county.children for c in d.children if c.kind == "city"]
    villages = [v for d in county.children for r in d.children if r.kind == "rural_district"
                for v in r.children]
    # The county seat usually carries the county's name: in the county, else the province.
    seat = next((c for c in cities if c.key == county.key and c.place and not c.zone), None)
    seat = seat or next(
        (c for c in province_cities if c.key == county.key and c.place and not c.zone), None
    )
    if seat is not None and seat.lat is not None and seat.lon is not None:
        county.place_at(seat.lat, seat.lon, "matched_place")
    elif mean := _mean_of(c for c in cities if c.place and not c.zone) or _mean_of(
        v for v in villages if v.place
    ):
        county.place_at(*mean, "child_mean")
    else:
        assert county.parent is not None
        _from_parent(county, county.parent)


def place_inner(county: Unit) -> None:
    """Districts, rural districts, and the cities and villages left unmatched."""
    for district in county.children:
        rurals = [r for r in district.children if r.kind == "rural_district"]
        matched = [c for c in district.children if c.place and not c.zone]
        matched += [v for r in rurals for v in r.children if v.place]
        if mean := _mean_of(matched):
            district.place_at(*mean, "child_mean")
        else:
            _from_parent(district, county)
        for rural in rurals:
            if mean := _mean_of(v for v in rural.children if v.place):
                rural.place_at(*mean, "child_mean")
            else:
                _from_parent(rural, district)
            for village in rural.children:
                if not village.place:
                    _from_parent(village, county)
        for city in district.children:
            if city.kind == "city" and not city.place:
                _from_parent(city, county)


def place_all(divisions: Divisions, places: dict[str, list[Place]], stats: Counter[str]) -> None:
    for province in divisions.units("province"):
        match_province(province, places.get(PROVINCES[province.code][0], []), stats)
        place_province(province)
        province_cities = _cities_in(province)
        for county in province.children:
            place_county(county, province_cities)
            place_inner(county)
    if mean := _mean_of(divisions.units("province")):
        divisions.country.place_at(*mean, "child_mean")


# --- output ----------------------------------------------------------------------------


def out_rows(divisions: Divisions) -> list[tuple[str, ...]]:
    units = [divisions.country] + [u for kind in KINDS[1:] for u in divisions.units(kind)]
    return [
        (
            u.kind,
            u.code,
            u.parent.kind if u.parent else "",
            u.parent.code if u.parent else "",
            u.name,
            "" if u.lat is None else f"{u.lat:.5f}",
            "" if u.lon is None else f"{u.lon:.5f}",
            u.placement,
            "" if u.population is None or u.zone else str(u.population),
            str(u.place.geonameid) if u.place and not u.zone else "",
        )
        for u in units
    ]


def write_gzip_csv(path: Path, rows: list[tuple[str, ...]]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(OUT_COLUMNS)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(
        filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9
    ) as gz:
        gz.write(text.getvalue().encode("utf-8"))


def summarise(divisions: Divisions, stats: Counter[str]) -> None:
    units = [divisions.country] + [u for kind in KINDS[1:] for u in divisions.units(kind)]
    by_kind: dict[str, Counter[str]] = defaultdict(Counter)
    for unit in units:
        by_kind[unit.kind][unit.placement] += 1
    print(f"{'kind':<15}{'units':>8}{'matched':>9}{'rate':>8}  placements")
    for kind in KINDS:
        counts = by_kind[kind]
        total, matched = sum(counts.values()), counts["matched_place"]
        detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
        print(f"{kind:<15}{total:>8}{matched:>9}{matched / total:>8.1%}  {detail}")
    for key in sorted(stats):
        print(f"  {key}: {stats[key]}")


def build(source: Path, out: Path) -> None:
    stats: Counter[str] = Counter()
    divisions = Divisions(source, stats)
    places = read_places(source / "places_geonames.csv", stats)
    check_provinces(divisions, places)
    place_all(divisions, places, stats)
    missing = [c.code for c in divisions.units("county") if c.placement == "none"]
    if missing:
        raise BuildError(f"counties without coordinates: {', '.join(missing)}")
    rows = out_rows(divisions)
    write_gzip_csv(out, rows)
    summarise(divisions, stats)
    print(f"wrote {len(rows)} units to {out}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, required=True, help="folder of input CSVs")
    parser.add_argument("--out", type=Path, required=True, help="output .csv.gz")
    args = parser.parse_args(argv)
    try:
        build(args.source, args.out)
    except BuildError as exc:
        print(f"build_geo: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
