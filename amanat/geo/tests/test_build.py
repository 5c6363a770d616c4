"""scripts/build_geo.py on a small synthetic input: deterministic, strict."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "build_geo.py"

INPUT = {
    "province.csv": "id,name,code\n1,تهران,23\n2,کرمان,8\n",
    "county.csv": "id,name,province,code\n1,تهران,1,2301\n2,قرچک,1,2321\n3,كرمان,2,808\n"
                  "4,بی‌نام,2,809\n",
    "district.csv": "id,name,province,county,code\n1,مرکزی,1,1,230101\n2,مرکزی,1,2,232101\n"
                    "3,مرکزی,2,3,80801\n4,مرکزی,2,4,80901\n",
    "city.csv": "id,name,city_type,province,county,district,code\n"
                "1,تهران,0,1,1,1,2301011576\n2,تهران 1,2,1,1,1,2301011601\n"
                "3,قرچک,0,1,2,2,2321011593\n4,کرمان,0,2,3,3,808011234\n",
    "rural_district.csv": "id,name,province,county,district,code\n"
                          "1,الف,1,1,1,2301010001\n2,ب,2,3,3,808010001\n3,پ,2,4,4,809010001\n",
    "village.csv": "id,name,village_type,diag,province,county,district,rural_district,code\n"
                   "1,ده نو,0,,1,1,1,1,2301010001000001\n2,باغ,0,,2,3,3,2,808010001000002\n"
                   "3,چاه,0,,2,4,4,3,809010001000003\n",
    "places_geonames.csv": "geonameid,name,names_fa,latitude,longitude,population,admin1\n"
                           "1,Tehran,تهران|طهران,35.69,51.42,7000000,26\n"
                           "2,Qarchak,قرچك,35.43,51.58,250000,26\n"
                           "3,Kerman,كرمان,30.28,57.08,577000,29\n"
                           "4,Deh Now,ده‌نو,35.5,51.5,900,26\n"
                           "5,Nowhere,,30.0,55.0,900,29\n",
}


def make_source(tmp_path: Path, **changes: str) -> Path:
    source = tmp_path / "source"
    source.mkdir(exist_ok=True)
    for name, text in (INPUT | changes).items():
        (source / name).write_text(text, encoding="utf-8")
    return source


def build(source: Path, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--source", str(source), "--out", str(out)],
        capture_output=True, text=True, check=False,
    )


def rows(path: Path) -> dict[tuple[str, str], list[str]]:
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()[1:]
    return {(f[0], f[1]): f for f in (line.split(",") for line in lines)}


def test_build_is_deterministic(tmp_path: Path) -> None:
    source = make_source(tmp_path)
    first, second = tmp_path / "a.csv.gz", tmp_path / "b.csv.gz"
    assert build(source, first).returncode == 0
    run = build(source, second)
    assert run.returncode == 0, run.stderr
    assert first.read_bytes() == second.read_bytes()
    assert "village" in run.stdout  # the summary of match rates


def test_build_output(tmp_path: Path) -> None:
    out = tmp_path / "units.csv.gz"
    assert build(make_source(tmp_path), out).returncode == 0
    units = rows(out)
    assert len(units) == 1 + 2 + 4 + 4 + 4 + 3 + 3
    assert units[("country", "IR")][4] == "ایران"
    # Codes padded back to their official width; names normalised (Arabic kaf).
    kerman = units[("county", "0808")]
    assert kerman[2:5] == ["province", "08", "کرمان"]
    assert kerman[7] == "matched_place"
    assert units[("county", "2321")][5:8] == ["35.43000", "51.58000", "matched_place"]
    # A county with no matched place takes its province's point.
    assert units[("county", "0809")][5:8] == ["30.28000", "57.08000", "parent"]
    # A municipal zone shares its city's point but not its population.
    zone = units[("city", "2301011601")]
    assert zone[5:10] == ["35.69000", "51.42000", "matched_place", "", ""]
    assert units[("village", "2301010001000001")][7:9] == ["matched_place", "900"]
    assert units[("village", "0808010001000002")][7] == "parent"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"county.csv": INPUT["county.csv"] + "5,دوباره,1,2301\n"},
         "duplicate county code 2301"),
        ({"city.csv": INPUT["city.csv"] + "9,غلط,0,1,1,1,9901011111\n"},
         "does not start with"),
        ({"village.csv": INPUT["village.csv"] + "9,گم,0,,1,1,1,77,2301010001000009\n"},
         "unknown rural_district id"),
        ({"places_geonames.csv": INPUT["places_geonames.csv"].replace(",26\n", ",29\n")},
         "capital تهران is not a GeoNames place in admin1 26"),
    ],
)
def test_build_rejects_bad_input(tmp_path: Path, changes: dict[str, str], message: str) -> None:
    out = tmp_path / "units.csv.gz"
    run = build(make_source(tmp_path, **changes), out)
    assert run.returncode == 1
    assert message in run.stderr
    assert not out.exists()
