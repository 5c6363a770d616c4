"""The geography import refuses coordinates and populations no unit of Iran can have
(issue 11, §3): a broken file changes nothing instead of storing values that break maps."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import translation

from amanat.geo.models import AdminUnit
from amanat.geo.services import GeoImportError, geo_import
from amanat.geo.tests.test_import import write

pytestmark = pytest.mark.django_db

COUNTRY = "country,IR,,,ایران,34.06,51.60,child_mean,,\n"


@pytest.mark.parametrize(("row", "message"), [
    ("province,23,country,IR,تهران,inf,51.4,matched_place,,\n", "Bad coordinate"),
    ("province,23,country,IR,تهران,nan,51.4,matched_place,,\n", "Bad coordinate"),
    ("province,23,country,IR,تهران,1e308,51.4,matched_place,,\n", "Bad coordinate"),
    ("province,23,country,IR,تهران,35.7,180,matched_place,,\n", "Bad coordinate"),
    ("province,23,country,IR,تهران,35.7,51.4,matched_place,99999999999999999999,\n",
     "Bad population"),
    ("province,23,country,IR,تهران,35.7,51.4,matched_place,-5,\n", "Bad population"),
    ("province,23,country,IR,تهران,35.7,51.4,matched_place,many,\n", "Bad population"),
])
def test_values_no_unit_can_have_are_refused(tmp_path: Path, row: str, message: str) -> None:
    with translation.override("en"), pytest.raises(GeoImportError, match=message):
        geo_import(path=write(tmp_path, COUNTRY + row))
    assert not AdminUnit.objects.exists()


def test_plausible_values_are_taken(tmp_path: Path) -> None:
    geo_import(path=write(tmp_path, COUNTRY + (
        "province,23,country,IR,تهران,35.7,51.4,matched_place,13267637,\n")))
    tehran = AdminUnit.objects.get(kind="province")
    assert (tehran.latitude, tehran.population) == (35.7, 13267637)
