"""Importing the packaged national geography: counts, idempotence, tree, coordinates."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from amanat.audit.models import Event
from amanat.geo.models import AdminUnit, Kind, Placement
from amanat.geo.services import GeoImportError, ImportResult, geo_import

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXPECTED = {
    Kind.COUNTRY: 1,
    Kind.PROVINCE: 31,
    Kind.COUNTY: 448,
    Kind.DISTRICT: 1_099,
    Kind.CITY: 1_554,
    Kind.RURAL_DISTRICT: 2_637,
    Kind.VILLAGE: 98_100,
}


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Error messages are matched in their English source form."""
    with translation.override("en"):
        yield


HEADER = (
    "kind,code,parent_kind,parent_code,name,latitude,longitude,placement,population,geonameid\n"
)


def unit(kind: str, code: str) -> AdminUnit:
    return AdminUnit.objects.select_related("parent").get(kind=kind, code=code)


def write(tmp_path: Path, body: str, *, gz: bool = False) -> Path:
    path = tmp_path / ("units.csv.gz" if gz else "units.csv")
    data = (HEADER + body).encode()
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def test_first_import_creates_every_unit(national: ImportResult) -> None:
    assert national.created == {str(k): n for k, n in EXPECTED.items()}
    assert national.total_updated == 0
    for kind, count in EXPECTED.items():
        assert AdminUnit.objects.of_kind(kind).count() == count
    event = Event.objects.get(action="geo.import")
    assert event.extra["created"] == sum(EXPECTED.values())
    assert len(event.extra["sha256"]) == 64


def test_second_import_changes_nothing(national: ImportResult) -> None:
    again = geo_import()
    # Nothing changed, so nothing new in the audit log either.
    assert Event.objects.filter(action="geo.import").count() == 1
    assert again.total_created == 0
    assert again.total_updated == 0
    assert again.unchanged == {str(k): n for k, n in EXPECTED.items()}


def test_every_county_has_coordinates(national: ImportResult) -> None:
    counties = AdminUnit.objects.of_kind(Kind.COUNTY)
    assert not counties.filter(latitude__isnull=True).exists()
    assert not counties.filter(longitude__isnull=True).exists()
    assert not counties.filter(placement=Placement.NONE).exists()
    assert not counties.filter(h3_cell="").exists()
    # Inside Iran's bounding box.
    assert not counties.exclude(latitude__range=(25, 40), longitude__range=(44, 64)).exists()


@pytest.mark.parametrize(
    ("kind", "code", "name", "parent_kind", "parent_code", "parent_name"),
    [
        ("county", "2321", "قرچک", "province", "23", "تهران"),
        ("county", "0808", "کرمان", "province", "08", "کرمان"),
        ("county", "3001", "کرج", "province", "30", "البرز"),
        # Markazi's code is "00": the source lost the leading zeros, the file restores them.
        ("county", "0001", "اراک", "province", "00", "مرکزی"),
        ("city", "2321011593", "قرچک", "district", "232101", "مرکزی"),
        ("province", "23", "تهران", "country", "IR", "ایران"),
    ],
)
def test_known_units_and_parents(
    national: ImportResult, kind: str, code: str, name: str, parent_kind: str,
    parent_code: str, parent_name: str,
) -> None:
    found = unit(kind, code)
    assert found.name == name
    assert found.parent is not None
    assert (found.parent.kind, found.parent.code) == (parent_kind, parent_code)
    assert found.parent.name == parent_name


def test_derived_fields(national: ImportResult) -> None:
    gharchak = unit("county", "2321")
    assert gharchak.path == "I-IR/P23/C2321/"
    assert gharchak.depth == 2
    assert gharchak.placement == Placement.MATCHED_PLACE
    assert gharchak.latitude == pytest.approx(35.43, abs=0.05)
    assert gharchak.longitude == pytest.approx(51.58, abs=0.05)
    assert len(gharchak.h3_cell) == 15
    tehran_city = unit("city", "2301021576")
    assert tehran_city.population and tehran_city.population > 5_000_000
    village = AdminUnit.objects.of_kind(Kind.VILLAGE).first()
    assert village is not None
    assert village.depth == 5
    assert [a.kind for a in village.ancestors()] == [
        "country", "province", "county", "district", "rural_district"
    ]


def test_search_key_finds_arabic_spelling(national: ImportResult) -> None:
    from amanat.lib.persian import search_key

    assert AdminUnit.objects.of_kind(Kind.COUNTY).filter(
        name_key=search_key("كرمان")  # Arabic kaf
    ).get().code == "0808"


def test_within_returns_the_subtree(national: ImportResult) -> None:
    tehran = unit("province", "23")
    subtree = AdminUnit.objects.within(tehran)
    # Official codes nest, so the subtree is exactly the units whose code starts "23".
    by_code = AdminUnit.objects.exclude(kind=Kind.COUNTRY).filter(code__startswith="23")
    assert subtree.count() == by_code.count() > 1_000
    assert subtree.filter(kind=Kind.COUNTY, code="2321").exists()
    assert not subtree.filter(kind=Kind.COUNTY, code="0808").exists()
    gharchak = unit("county", "2321")
    below = AdminUnit.objects.below(gharchak)
    assert not below.filter(pk=gharchak.pk).exists()
    assert set(below.values_list("kind", flat=True)) == {
        "district", "city", "rural_district", "village"
    }


def test_update_from_another_file(national: ImportResult, tmp_path: Path) -> None:
    path = write(tmp_path, (
        "country,IR,,,ایران,34.06289,51.60994,child_mean,,\n"
        "province,23,country,IR,تهران بزرگ,35.7,51.4,matched_place,,\n"
    ), gz=True)
    result = geo_import(path=path)
    assert result.updated["province"] == 1
    assert result.unchanged["country"] == 1
    tehran = unit("province", "23")
    assert tehran.name == "تهران بزرگ"
    assert tehran.name_key == "تهرانبزرگ"
    assert tehran.path == "I-IR/P23/"
    assert AdminUnit.objects.within(tehran).count() > 1_000  # children untouched


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("country,IR,,,ایران,,,none,,\ncountry,IR,,,ایران,,,none,,\n", "duplicate country"),
        ("province,99,country,XX,گم,,,none,,\n", "not in the file"),
        ("country,IR,,,ایران,,,guessed,,\n", "unknown placement"),
        ("planet,IR,,,ایران,,,none,,\n", "unknown kind"),
    ],
)
def test_bad_file_is_rejected_and_changes_nothing(
    national: ImportResult, tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, "province,23,country,IR,عوض شده,,,none,,\n" + body)
    with pytest.raises(GeoImportError, match=message):
        geo_import(path=path)
    assert unit("province", "23").name == "تهران"


def test_command_prints_counts(national: ImportResult, tmp_path: Path) -> None:
    from io import StringIO

    out = StringIO()
    path = write(tmp_path, "country,IR,,,ایران,34.06289,51.60994,child_mean,,\n")
    call_command("import_geo", file=str(path), stdout=out)
    assert "country" in out.getvalue()
    assert "village" in out.getvalue()
    with pytest.raises(CommandError, match="lacks column"):
        bad = tmp_path / "bad.csv"
        bad.write_text("kind,code\n")
        call_command("import_geo", file=str(bad))
