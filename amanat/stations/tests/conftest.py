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
