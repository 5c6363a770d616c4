"""The national demo registry: about 59,000 clearly synthetic polling stations.

``seed_demo_stations`` places stations by population over the real geography loaded by
``amanat import-geo`` and writes them in one transaction with one audit event (and, as
after an import, queues an atlas recompute for when it commits).  It is
deterministic for a seed (every random choice comes from a generator seeded with the
seed and the county's code, and units are visited in code order) and idempotent (a
station whose (county, code) already exists in the election is left alone).

Choices, documented here because none of this is official data:

* **Population proxy.**  GeoNames gives a population to about 850 cities and 1,000
  villages.  A city without one counts as ``CITY_DEFAULT_POPULATION`` people (many are
  small towns or the municipal zones of a large city), a village without one as
  ``VILLAGE_DEFAULT_POPULATION`` (the unmatched ones are those under 500 people).  A
  county's urban and rural populations are the sums over its cities and villages.
* **Urban/rural split.**  Nationally ``URBAN_SHARE`` of the stations are urban; each
  county's split follows its own urban and rural populations, so it varies by county.
  Counties get stations by largest remainder (every county at least one); a county's
  urban stations go to its cities by population, its rural ones to its villages by
  population, ties (most villages) broken by the county's random generator.
* **Shares by province.**  Provinces fall in three illustrative infrastructure tiers
  (``_TIER``), each province jittered a little around its tier; rural stations have
  less CCTV, fibre and power backup.  E-voting is planned only in cities of at least
  ``EVOTING_CITY_POPULATION`` people, and there fibre is connected or planned with a
  date.
* **Clearly synthetic.**  Names are built from small word lists (schools, mosques,
  offices, health centres) and every address ends with «(نشانی ساختگی)».
* **Deliberately incomplete.**  About ``INCOMPLETE_RATE`` of the stations (≈300
  nationally) lack coordinates, an address, expected voters, or fibre where e-voting is
  planned, and have no power backup, so the readiness pages have something to show.
  ``incomplete_q`` selects exactly them.  Every row still passes stations.validation.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import h3
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amanat.audit.services import audit_record
from amanat.core import changes
from amanat.elections.models import Election
from amanat.geo.models import KIND_LETTER, AdminUnit, Constituency, Kind, Placement
from amanat.lib.persian import normalize, search_key
from amanat.stations.models import (
    H3_RESOLUTION,
    Cctv,
    Fibre,
    Station,
    StationKind,
    Status,
    Venue,
    fibre_overdue_q,
    station_search_text,
)
from amanat.stations.services import WRITE_FIELDS, _insert_many
from amanat.stations.validation import LAT_RANGE, LON_RANGE, validate_station

DEFAULT_SEED = 1405
DEFAULT_TARGET = 59_000
URBAN_SHARE = 0.75
CITY_DEFAULT_POPULATION = 10_000
VILLAGE_DEFAULT_POPULATION = 180
EVOTING_CITY_POPULATION = 200_000
MOBILE_RATE = 0.03
INCOMPLETE_RATE = 0.005
# Mean expected voters: 0.75 × 1,180 + 0.25 × 700, less the small mobile stations,
# ≈ 1,035 ≈ 61 million eligible / 59,000.
URBAN_VOTERS = (1180, 320)  # mean, standard deviation
RURAL_VOTERS = (700, 250)
MOBILE_VOTERS = (150, 600)  # uniform range


@dataclass(frozen=True)
class _Profile:
    """Shares of a province's urban stations; rural ones are scaled by ``_RURAL``."""

    cctv: float
    live: float  # of the stations with CCTV
    fibre: float  # connected
    power: float
    evoting: float  # of the stations in large cities
    sensitive: float


_TIERS = {
    "high": _Profile(cctv=0.92, live=0.55, fibre=0.85, power=0.90, evoting=0.95, sensitive=0.035),
    "mid": _Profile(cctv=0.78, live=0.40, fibre=0.65, power=0.80, evoting=0.80, sensitive=0.045),
    "low": _Profile(cctv=0.58, live=0.25, fibre=0.40, power=0.62, evoting=0.60, sensitive=0.06),
}
_URBAN = {"cctv": 1.0, "fibre": 1.0, "power": 1.0}
_RURAL = {"cctv": 0.7, "fibre": 0.45, "power": 0.85}
# Illustrative tiers by province name (not official): the rest are "mid".
_TIER = {search_key(name): tier for name, tier in [
    ("تهران", "high"), ("اصفهان", "high"), ("البرز", "high"), ("یزد", "high"),
    ("قم", "high"), ("خراسان رضوی", "high"), ("فارس", "high"), ("سمنان", "high"),
    ("سیستان وبلوچستان", "low"), ("کهگیلویه وبویراحمد", "low"), ("ایلام", "low"),
    ("خراسان جنوبی", "low"), ("خراسان شمالی", "low"), ("هرمزگان", "low"),
    ("چهارمحال وبختیاری", "low"), ("لرستان", "low"), ("کردستان", "low"),
]}


def _words(text: str) -> tuple[str, ...]:
    return tuple(normalize(w) for w in text.split("|"))


_PEOPLE = _words(
    "شهید مطهری|شهید بهشتی|شهید رجایی|شهید باهنر|شهید چمران|شهید همت|شهید باکری|"
    "شهید فهمیده|فردوسی|سعدی|حافظ|ابن‌سینا|خیام|پروین اعتصامی|فارابی|رازی|خواجه نصیر|"
    "علامه طباطبایی|امام علی (ع)|امام حسین (ع)|فاطمیه|دانش|آزادگان|ایثار|نور|امید"
)
_SCHOOLS = _words("دبستان|دبستان دخترانه|دبستان پسرانه|دبیرستان|هنرستان|مدرسه")
_MOSQUES = _words(
    "مسجد جامع|مسجد امام حسین (ع)|مسجد امام رضا (ع)|مسجد الزهرا (س)|مسجد قائم|"
    "مسجد ولیعصر (عج)|مسجد المهدی|مسجد النبی|حسینیه اعظم"
)
_OFFICES_URBAN = _words(
    "اداره آموزش و پرورش|شهرداری|اداره ثبت احوال|اداره فرهنگ و ارشاد اسلامی|"
    "فرمانداری|سالن اجتماعات بخشداری|کانون پرورش فکری"
)
_OFFICES_RURAL = _words("دهیاری|شورای اسلامی روستا|مرکز خدمات کشاورزی")
_HEALTH_URBAN = _words("مرکز بهداشت|درمانگاه|مرکز جامع سلامت")
_HEALTH_RURAL = _words("خانه بهداشت|مرکز بهداشتی درمانی روستایی")
_OTHER = _words("سالن ورزشی|کتابخانه عمومی|فرهنگسرا|پایگاه مقاومت")
_STREETS = _words(
    "امام خمینی|انقلاب|آزادی|طالقانی|شریعتی|ولیعصر|جمهوری اسلامی|مدرس|بهار|گلستان|"
    "بهشتی|کشاورز|فردوسی|سعدی|حافظ|پاسداران|شهدا|معلم|دانشگاه|مطهری"
)
_LANDMARKS = _words("مسجد|مدرسه|خانه بهداشت|دهیاری|میدان اصلی|قنات|پل")
_SENSITIVITY_REASONS = _words(
    "سابقه ابطال صندوق در دوره قبل|رقابت شدید میان داوطلبان محلی|نزدیکی به نوار مرزی|"
    "سابقه ازدحام و تنش در روز رأی‌گیری|دسترسی دشوار و دوری از مرکز شهرستان|"
    "حضور رأی‌دهندگان فصلی و غیربومی|گزارش تخلف انتخاباتی در دوره گذشته"
)
_SYNTHETIC = normalize("(نشانی ساختگی)")
_VENUES = (  # (venue, weight)
    (Venue.SCHOOL, 58), (Venue.MOSQUE, 22), (Venue.OFFICE, 10),
    (Venue.HEALTH_CENTRE, 5), (Venue.OTHER, 5),
)
_INCOMPLETE_KINDS = ("no_coordinates", "no_address", "fibre_overdue", "no_voters")


def incomplete_q() -> Q:
    """The deliberately incomplete demo stations (every other demo station has a point,
    an address, expected voters and fibre where e-voting is planned)."""
    return (
        Q(latitude__isnull=True) | Q(address="") | Q(expected_voters=0) | fibre_overdue_q()
    )


@dataclass
class DemoResult:
    planned: int = 0
    created: int = 0
    existing: int = 0
    counties: int = 0
    urban: int = 0
    rural: int = 0
    mobile: int = 0
    sensitive: int = 0
    incomplete: int = 0
    expected_voters: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} created, {self.existing} already there "
            f"({self.planned} planned in {self.counties} counties: {self.urban} urban, "
            f"{self.rural} rural, {self.mobile} mobile, {self.sensitive} sensitive, "
            f"{self.incomplete} incomplete, {self.expected_voters} expected voters)"
        )

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class _Place:
    """A city or village that can hold stations."""

    pk: int
    code: str
    name: str
    path: str
    lat: float | None
    lon: float | None
    placed: bool  # its point is its own (matched), not its county's
    population: int | None
    urban: bool  # a city, not a village

    @property
    def weight(self) -> int:
        if self.population:
            return self.population
        return CITY_DEFAULT_POPULATION if self.urban else VILLAGE_DEFAULT_POPULATION


@dataclass
class _County:
    pk: int
    code: str
    path: str
    lat: float | None
    lon: float | None
    profile: _Profile
    constituency_id: int | None
    cities: list[_Place] = field(default_factory=list)
    villages: list[_Place] = field(default_factory=list)
    urban: int = 0  # stations allocated
    rural: int = 0


def seed_demo_stations(
    *, election: Election, seed: int = DEFAULT_SEED, target: int = DEFAULT_TARGET,
    check: bool = False,
) -> DemoResult:
    """Create the demo stations of ``election`` that do not exist yet.

    With ``check`` every generated row is run through ``validate_station`` first (the
    tests do; the rows are valid by construction, so the demo load skips it).
    """
    counties = _load_counties(seed)
    _allocate(counties, target)
    rows: list[dict[str, Any]] = []
    for county in counties:
        rows += _county_rows(county, election, seed)
    if check:
        _check(rows)
    existing = set(
        Station.objects.filter(election=election).values_list("county_id", "code")
    )
    creates = [r for r in rows if (r["county_id"], r["code"]) not in existing]
    result = _summary(rows, counties)
    result.created, result.existing = len(creates), len(rows) - len(creates)
    if creates:
        with transaction.atomic():
            _insert_many(election.pk, creates, timezone.now())
            _audit(election, seed, target, result)
            # As after an import: the atlas rescores the election once this commits.
            changes.announce(changes.ElectionStationsChanged(election_id=election.pk))
    return result


def _audit(election: Election, seed: int, target: int, result: DemoResult) -> None:
    audit_record(
        action="station.demo_seed", actor_name="demo", object_type="stations.station",
        object_id=None,
        extra={"election": election.slug, "seed": seed, "target": target,
               **result.as_dict()},
    )


# --- geography --------------------------------------------------------------------------


def _segment_prefix(path: str, letter: str) -> str | None:
    """The path of the ancestor whose segment starts with ``letter`` (e.g. the county)."""
    end = 0
    for segment in path.split("/")[:-1]:
        end += len(segment) + 1
        if segment.startswith(letter):
            return path[:end]
    return None


def _load_counties(seed: int) -> list[_County]:
    """Counties in code order with their cities and villages: three queries."""
    provinces = dict(AdminUnit.objects.filter(kind=Kind.PROVINCE).values_list("path", "name_key"))
    constituencies = dict(
        Constituency.objects.filter(code__startswith="CC-").values_list("code", "pk")
    )
    counties: dict[str, _County] = {}
    rows = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("code", "pk").values_list(
        "pk", "code", "path", "latitude", "longitude"
    )
    profiles: dict[str, _Profile] = {}
    for pk, code, path, lat, lon in rows:
        province = _segment_prefix(path, KIND_LETTER[Kind.PROVINCE]) or ""
        if province not in profiles:
            profiles[province] = _province_profile(provinces.get(province, ""), province, seed)
        counties[path] = _County(pk, code, path, lat, lon, profiles[province],
                                 constituencies.get(f"CC-{code}"))
    places = AdminUnit.objects.filter(kind__in=(Kind.CITY, Kind.VILLAGE)).order_by(
        "kind", "code", "pk"
    ).values_list("pk", "kind", "code", "name", "path", "latitude", "longitude",
                  "placement", "population")
    county_letter = KIND_LETTER[Kind.COUNTY]
    for pk, kind, code, name, path, lat, lon, placement, population in places.iterator(
        chunk_size=10_000
    ):
        county = counties.get(_segment_prefix(path, county_letter) or "")
        if county is None:
            continue
        place = _Place(pk, code, name, path, lat, lon,
                       placement == Placement.MATCHED_PLACE, population, kind == Kind.CITY)
        (county.cities if place.urban else county.villages).append(place)
    return list(counties.values())


def _province_profile(name_key: str, path: str, seed: int) -> _Profile:
    """The province's tier, each share jittered by up to ±8% so provinces differ."""
    base = _TIERS[_TIER.get(name_key, "mid")]
    rng = random.Random(f"{seed}/province/{path}")

    def jitter(value: float) -> float:
        return min(0.98, value * rng.uniform(0.92, 1.08))

    return _Profile(
        cctv=jitter(base.cctv), live=jitter(base.live), fibre=jitter(base.fibre),
        power=jitter(base.power), evoting=jitter(base.evoting),
        sensitive=base.sensitive * rng.uniform(0.8, 1.2),
    )


# --- allocation -------------------------------------------------------------------------


def apportion(total: int, weights: Sequence[float], tiebreak: Sequence[float]) -> list[int]:
    """Split ``total`` in proportion to ``weights`` by largest remainder; equal
    remainders go in ``tiebreak`` order (lowest first)."""
    whole = sum(weights)
    if total <= 0 or whole <= 0:
        return [0] * len(weights)
    quotas = [total * w / whole for w in weights]
    counts = [int(q) for q in quotas]
    left = total - sum(counts)
    order = sorted(range(len(weights)), key=lambda i: (counts[i] - quotas[i], tiebreak[i]))
    for i in order[:left]:
        counts[i] += 1
    return counts


def _allocate(counties: list[_County], target: int) -> None:
    """Stations per county and urban/rural: ``URBAN_SHARE`` nationally, every county
    at least one (in a city when it has one)."""
    urban = [float(sum(p.weight for p in c.cities)) for c in counties]
    rural = [float(sum(p.weight for p in c.villages)) for c in counties]
    total_urban, total_rural = sum(urban), sum(rural)
    # Rescale so that the national split is URBAN_SHARE whatever the populations say.
    u_scale = URBAN_SHARE / total_urban if total_urban else 0.0
    r_scale = (1 - URBAN_SHARE) / total_rural if total_rural else 0.0
    weights = [w * u_scale for w in urban] + [w * r_scale for w in rural]
    floor = min(len(counties), target)
    shares = apportion(target - floor, weights, range(len(weights)))
    n = len(counties)
    for i, county in enumerate(counties):
        county.urban, county.rural = shares[i], shares[n + i]
        if i < floor:
            if county.cities or not county.villages:
                county.urban += 1
            else:
                county.rural += 1


# --- stations ---------------------------------------------------------------------------


def _county_rows(county: _County, election: Election, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(f"{seed}/county/{county.code}")
    per_city = apportion(county.urban, [p.weight for p in county.cities],
                         [rng.random() for _ in county.cities])
    per_village = apportion(county.rural, [p.weight for p in county.villages],
                            [rng.random() for _ in county.villages])
    rows: list[dict[str, Any]] = []
    gen = _Generator(rng, county, election)
    for place, count in zip(county.cities, per_city, strict=True):
        rows += [gen.station(len(rows) + j + 1, place, urban=True) for j in range(count)]
    for place, count in zip(county.villages, per_village, strict=True):
        rows += [gen.station(len(rows) + j + 1, place, urban=False) for j in range(count)]
    if county.urban + county.rural and not county.cities and not county.villages:
        rows += [gen.station(j + 1, None, urban=True)
                 for j in range(county.urban + county.rural)]
    return rows


class _Generator:
    """Builds the station rows of one county from its random generator."""

    def __init__(self, rng: random.Random, county: _County, election: Election) -> None:
        self.rng, self.county, self.profile = rng, county, county.profile
        self.day: datetime.date = election.election_day

    def station(self, number: int, place: _Place | None, *, urban: bool) -> dict[str, Any]:
        rng, county = self.rng, self.county
        mobile = rng.random() < MOBILE_RATE
        venue = Venue.OTHER if mobile else _pick_venue(rng)
        lat, lon = self._point(place, urban)
        row: dict[str, Any] = {
            "code": f"{number:04d}", "county_id": county.pk,
            "unit_id": place.pk if place else None,
            "constituency_id": county.constituency_id,
            "unit_path": place.path if place else county.path,
            "name": self._name(number, venue, place, urban, mobile),
            "address": self._address(place, urban),
            "latitude": lat, "longitude": lon, "venue": venue,
            "kind": StationKind.MOBILE if mobile else StationKind.FIXED,
            "route": self._route(place, urban) if mobile else "",
            "status": Status.ACTIVE, "closed_reason": "",
            "accessible": rng.random() < (0.6 if urban else 0.35),
            "_urban": urban,  # for the summary; not a column
        }
        row.update(self._voters(urban, mobile))
        row.update(self._equipment(place, urban))
        row.update(self._sensitivity())
        if rng.random() < INCOMPLETE_RATE:
            _make_incomplete(row, rng.choice(_INCOMPLETE_KINDS))
        row["search_text"] = station_search_text(row["code"], row["name"])
        row["h3_cell"] = (
            h3.latlng_to_cell(row["latitude"], row["longitude"], H3_RESOLUTION)
            if row["latitude"] is not None else ""
        )
        return row

    def _point(self, place: _Place | None, urban: bool) -> tuple[float | None, float | None]:
        """Jittered around the place; a city's spread grows with its population, a
        village placed at its county's point spreads over the county."""
        if place is not None and place.lat is not None and place.lon is not None:
            lat, lon = place.lat, place.lon
            if not place.placed:
                spread = 0.2
            elif urban:
                spread = 0.01 + 0.04 * ((place.population or 0) / 1e6) ** 0.5
            else:
                spread = 0.008
        elif self.county.lat is not None and self.county.lon is not None:
            lat, lon, spread = self.county.lat, self.county.lon, 0.2
        else:
            return None, None
        lat += self.rng.uniform(-spread, spread)
        lon += self.rng.uniform(-spread, spread)
        return (round(min(max(lat, LAT_RANGE[0]), LAT_RANGE[1]), 6),
                round(min(max(lon, LON_RANGE[0]), LON_RANGE[1]), 6))

    def _name(
        self, number: int, venue: str, place: _Place | None, urban: bool, mobile: bool
    ) -> str:
        rng = self.rng
        where = place.name if place else ""
        if mobile:
            return f"شعبه سیار {number} {where}".strip()
        if venue == Venue.SCHOOL:
            return f"{rng.choice(_SCHOOLS)} {rng.choice(_PEOPLE)}"
        if venue == Venue.MOSQUE:
            name = rng.choice(_MOSQUES)
            return name if urban else f"{name} {where}".strip()
        if venue == Venue.OFFICE:
            return f"{rng.choice(_OFFICES_URBAN if urban else _OFFICES_RURAL)} {where}".strip()
        if venue == Venue.HEALTH_CENTRE:
            return f"{rng.choice(_HEALTH_URBAN if urban else _HEALTH_RURAL)} {where}".strip()
        return f"{rng.choice(_OTHER)} {rng.choice(_PEOPLE)}"

    def _address(self, place: _Place | None, urban: bool) -> str:
        rng = self.rng
        where = place.name if place else ""
        if urban:
            text = (f"{where}، خیابان {rng.choice(_STREETS)}، کوچه {rng.randint(1, 60)}، "
                    f"پلاک {rng.randint(1, 250)}")
        else:
            text = f"روستای {where}، جنب {rng.choice(_LANDMARKS)}"
        return f"{text.strip('، ')} {_SYNTHETIC}"

    def _route(self, place: _Place | None, urban: bool) -> str:
        if urban or not self.county.villages:
            where = place.name if place else ""
            return f"بیمارستان‌ها، مراکز درمانی و خانه‌های سالمندان {where}".strip()
        stops = self.rng.sample(self.county.villages, min(3, len(self.county.villages)))
        return "، ".join(f"روستای {p.name}" for p in sorted(stops, key=lambda p: p.code))

    def _voters(self, urban: bool, mobile: bool) -> dict[str, Any]:
        rng = self.rng
        if mobile:
            voters = rng.randint(*MOBILE_VOTERS)
        else:
            mean, sd = URBAN_VOTERS if urban else RURAL_VOTERS
            voters = int(min(max(rng.gauss(mean, sd), 120), 2500))
        capacity = None if rng.random() < 0.1 else int(voters * rng.uniform(1.05, 1.5)) // 10 * 10
        return {"expected_voters": voters, "capacity": capacity}

    def _equipment(self, place: _Place | None, urban: bool) -> dict[str, Any]:
        rng, p = self.rng, self.profile
        scale = _URBAN if urban else _RURAL
        cctv = Cctv.NONE
        if rng.random() < p.cctv * scale["cctv"]:
            cctv = Cctv.LIVE if rng.random() < p.live else Cctv.RECORDED
        cameras = 0 if cctv == Cctv.NONE else rng.randint(1, 4) + (cctv == Cctv.LIVE)
        large = urban and place is not None and (place.population or 0) >= EVOTING_CITY_POPULATION
        evoting = large and rng.random() < p.evoting
        draw = rng.random()
        if evoting:  # e-voting needs fibre: connected, or planned with a date
            fibre = Fibre.CONNECTED if draw < max(p.fibre, 0.85) else Fibre.PLANNED
        elif draw < p.fibre * scale["fibre"]:
            fibre = Fibre.CONNECTED
        else:
            fibre = Fibre.PLANNED if rng.random() < 0.2 else Fibre.NONE
        fibre_date = (self.day - datetime.timedelta(days=rng.randint(40, 160))
                      if fibre == Fibre.PLANNED else None)
        return {
            "cctv": cctv, "cameras": cameras, "fibre": fibre, "fibre_date": fibre_date,
            "power_backup": rng.random() < p.power * scale["power"],
            "evoting_planned": evoting,
            "evoting_ready": evoting and fibre == Fibre.CONNECTED and rng.random() < 0.85,
        }

    def _sensitivity(self) -> dict[str, Any]:
        if self.rng.random() < self.profile.sensitive:
            return {"sensitive": True, "sensitivity_reason": self.rng.choice(_SENSITIVITY_REASONS)}
        return {"sensitive": False, "sensitivity_reason": ""}


def _pick_venue(rng: random.Random) -> str:
    draw = rng.random() * 100
    for venue, weight in _VENUES:
        draw -= weight
        if draw < 0:
            return str(venue)
    return str(Venue.OTHER)


def _make_incomplete(row: dict[str, Any], kind: str) -> None:
    """A gap someone still has to fill; the station is not ready (no power backup)."""
    row["power_backup"] = False
    if kind == "no_coordinates":
        row["latitude"] = row["longitude"] = None
    elif kind == "no_address":
        row["address"] = ""
    elif kind == "no_voters":
        row["expected_voters"], row["capacity"] = 0, None
    else:  # e-voting planned without fibre or a date to connect it
        row.update(evoting_planned=True, evoting_ready=False, fibre=Fibre.NONE,
                   fibre_date=None)


def _check(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        errors = validate_station(row)
        if errors:
            raise AssertionError(f"demo station {row['code']} of county {row['county_id']} "
                                 f"is invalid: {[e.render('en') for e in errors]}")
        missing = set(WRITE_FIELDS) - set(row)
        if missing:
            raise AssertionError(f"demo station row lacks {sorted(missing)}")


def _summary(rows: list[dict[str, Any]], counties: list[_County]) -> DemoResult:
    result = DemoResult(planned=len(rows))
    result.counties = sum(1 for c in counties if c.urban + c.rural)
    for row in rows:
        if row["_urban"]:
            result.urban += 1
        else:
            result.rural += 1
        result.mobile += row["kind"] == StationKind.MOBILE
        result.sensitive += row["sensitive"]
        result.expected_voters += row["expected_voters"]
        result.incomplete += (
            row["latitude"] is None or not row["address"] or not row["expected_voters"]
            or (row["evoting_planned"] and row["fibre"] == Fibre.NONE)
        )
    return result
