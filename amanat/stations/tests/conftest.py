"""Fixtures of the stations tests: a small geography of our own and one election."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest

from amanat.elections.models import Election
from amanat.geo.models import KIND_LETTER, AdminUnit, Constituency, Kind
from amanat.lib.persian import normalize, search_key


def unit(kind: str, code: str, name: str, parent: AdminUnit | None = None) -> AdminUnit:
    segment = KIND_LETTER[Kind(kind)] + code
    return AdminUnit.objects.create(
        kind=kind, code=code, name=normalize(name), name_key=search_key(name), parent=parent,
        path=(parent.path if parent else "") + segment + "/",
        depth=parent.depth + 1 if parent else 0,
    )


@dataclass
class Geo:
    gharchak: AdminUnit
    gharchak_city: AdminUnit
    kerman: AdminUnit
    village: AdminUnit
    rural: AdminUnit
    constituency: Constituency


@pytest.fixture
def geo(db: None) -> Geo:
    """Iran → Tehran → Gharchak (city 231001); Kerman → Kerman county (rural, village)."""
    iran = unit("country", "IR", "ایران")
    tehran = unit("province", "23", "تهران", iran)
    gharchak = unit("county", "2310", "قرچک", tehran)
    central = unit("district", "231001", "بخش مرکزی", gharchak)
    city = unit("city", "231001", "قرچک", central)
    kerman_province = unit("province", "8", "كرمان", iran)
    kerman = unit("county", "815", "كرمان", kerman_province)
    kerman_central = unit("district", "81501", "بخش مرکزی", kerman)
    rural = unit("rural_district", "8150101", "اختیارآباد", kerman_central)
    village = unit("village", "815010101", "باغین", rural)
    constituency = Constituency.objects.create(code="T1", name="ورامین و قرچک", province=tehran)
    constituency.counties.add(gharchak)
    return Geo(gharchak, city, kerman, village, rural, constituency)


@pytest.fixture
def election(db: None) -> Election:
    return Election.objects.create(
        name="انتخابات شوراها ۱۴۰۵", slug="councils-1405", election_day=datetime.date(2026, 6, 12)
    )


@pytest.fixture
def tmp_file(tmp_path: Any) -> Any:
    """``tmp_file(name, content)`` writes text (UTF-8) or bytes and returns the path."""

    def write(name: str, content: str | bytes, encoding: str = "utf-8") -> Any:
        path = tmp_path / name
        data = content.encode(encoding) if isinstance(content, str) else content
        path.write_bytes(data)
        return path

    return write


# --- the station pages' fixtures: root small_geo + personas + an election with stations --


def make_station(election: Election, county: AdminUnit, code: str, **values: Any) -> Any:
    """A station with its derived fields filled in (as station_save would)."""
    import h3

    from amanat.stations.models import Station, station_search_text

    unit_obj = values.pop("unit", None)
    values.setdefault("name", f"شعبه {code}")
    if values.get("latitude") is not None:
        values["h3_cell"] = h3.latlng_to_cell(values["latitude"], values["longitude"], 7)
    return Station.objects.create(
        election=election, county=county, unit=unit_obj, code=code,
        unit_path=(unit_obj or county).path,
        search_text=station_search_text(code, values["name"]), **values,
    )


@dataclass
class Registry:
    """Seven stations with known readiness (see ``registry``)."""

    election: Election
    geo: Any
    personas: Any
    g_ready: Any
    g_no_cctv: Any
    g_overdue: Any
    g_planned: Any
    k_ready: Any
    k_closed: Any
    r_ready: Any


FIBRE_DUE = datetime.date(2026, 2, 19)


@pytest.fixture
def registry(small_geo: Any, personas: Any) -> Registry:
    """Gharchak: 4 stations (1 ready; 1 sensitive without CCTV; 1 e-voting without fibre
    or date = overdue after 2026-02-19; 1 with fibre planned for 2026-03-01 and no power
    backup).  Kerman county: 2 (1 ready, 1 closed and sensitive).  Rafsanjan: 1 ready.
    """
    from amanat.elections.models import Milestone, MilestoneCode, PhaseKind

    election = Election.objects.create(
        name="انتخابات شوراها ۱۴۰۵", slug="councils-1405",
        election_day=datetime.date(2026, 6, 12),
    )
    Milestone.objects.create(
        election=election, code=MilestoneCode.FIBRE_STATUS_DUE, name="وضعیت فیبر",
        due=FIBRE_DUE, phase=PhaseKind.BEFORE,
    )
    g, k = small_geo.gharchak, small_geo.kerman_county
    city = small_geo.gharchak_city
    camera = {"cctv": "live", "cameras": 2, "power_backup": True}
    return Registry(
        election=election, geo=small_geo, personas=personas,
        g_ready=make_station(
            election, g, "101", unit=city, name="دبستان فردوسی", expected_voters=900,
            evoting_planned=True, fibre="connected", evoting_ready=True,
            latitude=35.43, longitude=51.57, **camera,
        ),
        g_no_cctv=make_station(
            election, g, "102", unit=city, name="مسجد جامع قلعه‌نو", expected_voters=500,
            power_backup=True, sensitive=True, sensitivity_reason="سابقه درگیری",
        ),
        g_overdue=make_station(
            election, g, "103", unit=city, name="کانون فرهنگی", expected_voters=1200,
            cctv="recorded", cameras=1, power_backup=True, evoting_planned=True,
        ),
        g_planned=make_station(
            election, g, "104", name="دبیرستان شهید", expected_voters=300,
            cctv="recorded", cameras=1, evoting_planned=True, fibre="planned",
            fibre_date=datetime.date(2026, 3, 1),
        ),
        k_ready=make_station(
            election, k, "201", unit=small_geo.kerman_city, name="مدرسه کرمان",
            expected_voters=700, cctv="live", cameras=1, power_backup=True,
        ),
        k_closed=make_station(
            election, k, "202", unit=small_geo.villages[1], name="خانه بهداشت باغین",
            expected_voters=400, cctv="live", cameras=1, power_backup=True, status="closed",
            closed_reason="تخریب ساختمان", sensitive=True, sensitivity_reason="مرزی",
        ),
        r_ready=make_station(
            election, small_geo.rafsanjan, "301", name="مدرسه رفسنجان", expected_voters=100,
            cctv="live", cameras=1, power_backup=True,
        ),
    )


@pytest.fixture
def media_root(settings: Any, tmp_path: Any) -> Any:
    """MEDIA_ROOT in a temporary directory (uploads are kept there)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
