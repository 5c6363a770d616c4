"""The offline base map and ``amanat import-boundaries``: official areas replace the
approximate ones, a bad file is refused whole, and every map can draw them."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
import shapefile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from amanat.atlas import pdf
from amanat.audit.models import Event
from amanat.geo import boundaries
from amanat.geo.models import Boundary

pytestmark = pytest.mark.django_db


def square(lon: float, lat: float, d: float = 0.2) -> dict[str, Any]:
    ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d],
            [lon - d, lat - d]]
    return {"type": "Polygon", "coordinates": [ring]}


def write(tmp_path: Path, *features: tuple[Any, dict[str, Any]], name: str = "b.geojson"
          ) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"code": code}, "geometry": geometry}
        for code, geometry in features]}), encoding="utf-8")
    return path


def run(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_boundaries", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def refused(path: Path) -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"nothing was stored|چیزی ذخیره نشد"):
        call_command("import_boundaries", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


# --- the approximate areas ----------------------------------------------------------------


def test_without_official_boundaries_every_county_has_an_approximate_area(small_geo: Any
                                                                          ) -> None:
    current = boundaries.areas()
    names = {a.name for a in current.counties}
    assert names == {"قرچک", "کرمان", "رفسنجان"}
    assert all(a.approx for a in (*current.counties, *current.provinces))
    gharchak = current.of(small_geo.gharchak.pk)
    assert gharchak is not None
    # Each county's area holds its seat and lies inside Iran's outline.
    assert gharchak.label == (35.43, 51.57)
    assert boundaries.iran_outline().buffer(1e-6).contains(gharchak.geometry)
    kerman = current.of(small_geo.kerman_province.pk)
    assert kerman is not None and kerman.geometry.area > 0


# --- import-boundaries: allowed ------------------------------------------------------------


def test_two_counties_are_stored_audited_and_drawn(small_geo: Any, tmp_path: Path) -> None:
    path = write(tmp_path, ("2310", square(51.57, 35.43)), ("809", square(55.99, 30.41)))
    out, _err = run(path)
    assert "2" in out
    stored = {b.unit.code: b for b in Boundary.objects.select_related("unit")}
    assert set(stored) == {"2310", "809"}
    assert stored["2310"].south == pytest.approx(35.23) and stored["2310"].source == "b.geojson"
    event = Event.objects.get(action="geo.import_boundaries")
    assert event.extra["counties"] == 2 and sorted(event.extra["codes"]) == ["2310", "809"]
    current = boundaries.areas()
    gharchak = current.of(small_geo.gharchak.pk)
    assert gharchak is not None and not gharchak.approx
    assert gharchak.bounds == pytest.approx((35.23, 51.37, 35.63, 51.77))
    # Kerman county stays approximate and no longer overlaps Rafsanjan's official area.
    kerman = current.of(small_geo.kerman_county.pk)
    rafsanjan = current.of(small_geo.rafsanjan.pk)
    assert kerman is not None and kerman.approx and rafsanjan is not None
    assert kerman.geometry.intersection(rafsanjan.geometry).area < 1e-9
    # Importing the same file again replaces, never duplicates.
    run(path)
    assert Boundary.objects.count() == 2


def test_a_shapefile_with_numeric_codes_is_read(small_geo: Any, tmp_path: Path) -> None:
    base = tmp_path / "counties"
    with shapefile.Writer(str(base), shapeType=shapefile.POLYGON) as writer:
        writer.field("CODE", "N", 6)
        for code, (lon, lat) in ((2310, (51.57, 35.43)), (809, (55.99, 30.41))):
            ring = square(lon, lat)["coordinates"][0]
            writer.poly([list(reversed(ring))])  # shapefile rings run clockwise
            writer.record(code)
    run(tmp_path / "counties.shp")
    assert sorted(Boundary.objects.values_list("unit__code", flat=True)) == ["2310", "809"]


# --- import-boundaries: refused, nothing stored ----------------------------------------


def test_an_unknown_code_refuses_the_whole_file(small_geo: Any, tmp_path: Path) -> None:
    path = write(tmp_path, ("2310", square(51.57, 35.43)), ("9999", square(52.0, 33.0)))
    err = refused(path)
    assert "No province or county has the code 9999" in err
    assert "کد" in err  # the Persian message comes first
    assert not Boundary.objects.exists()
    assert not Event.objects.filter(action="geo.import_boundaries").exists()


def test_an_invalid_polygon_refuses_the_whole_file(small_geo: Any, tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[51, 35], [52, 36], [52, 35], [51, 36],
                                                  [51, 35]]]}
    path = write(tmp_path, ("809", square(55.99, 30.41)), ("2310", bowtie))
    err = refused(path)
    assert "Feature 2 (code 2310): the polygon is not valid (Self-intersection" in err
    assert not Boundary.objects.exists()


@pytest.mark.parametrize(("code", "geometry", "message"), [
    ("2310", {"type": "Point", "coordinates": [51.5, 35.4]}, "the geometry is not a polygon"),
    ("2310", square(5_400_000, 3_900_000, 1000), "outside Iran"),  # metres, not degrees
    ("23-10", square(51.57, 35.43), "is not the official code"),
    ("", square(51.57, 35.43), "is not the official code"),
])
def test_bad_features_are_named(small_geo: Any, tmp_path: Path, code: str,
                                geometry: dict[str, Any], message: str) -> None:
    assert message in refused(write(tmp_path, (code, geometry)))
    assert not Boundary.objects.exists()


def test_a_code_given_twice_and_an_unreadable_file_are_refused(small_geo: Any,
                                                               tmp_path: Path) -> None:
    twice = write(tmp_path, ("2310", square(51.57, 35.43)), ("2310", square(51.5, 35.4)))
    assert "given twice" in refused(twice)
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    assert "Cannot read broken.geojson" in refused(broken)
    assert not Boundary.objects.exists()


# --- the base map served to browsers, and the printed atlas -----------------------------


def test_basemap_is_served_to_signed_in_users_with_an_etag(viewer_client: Client,
                                                           small_geo: Any) -> None:
    response = viewer_client.get(reverse("geo:basemap"))
    assert response.status_code == 200
    data = json.loads(response.content)
    home = [f for f in data["countries"]["features"] if f["properties"]["home"]]
    assert [f["properties"]["name"] for f in home] == ["Iran"]
    assert len(data["countries"]["features"]) > 10  # the neighbours
    counties = {f["properties"]["name"]: f["properties"] for f in data["counties"]["features"]}
    assert counties["قرچک"]["approx"] is True and counties["قرچک"]["id"] == small_geo.gharchak.pk
    assert {f["properties"]["name"] for f in data["provinces"]["features"]} == {"تهران", "کرمان"}
    again = viewer_client.get(reverse("geo:basemap"), HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304


def test_basemap_is_not_served_signed_out(client: Client, small_geo: Any) -> None:
    response = client.get(reverse("geo:basemap"))
    assert response.status_code in (302, 401, 403)
    assert b"countries" not in response.content


def test_a_county_page_focuses_its_county(viewer_client: Client, small_geo: Any) -> None:
    response = viewer_client.get(reverse("geo:unit", args=[small_geo.gharchak.pk]))
    assert response.context["map_config"]["focus"] == small_geo.gharchak.pk
    district = viewer_client.get(reverse("geo:unit", args=[small_geo.gharchak_central.pk]))
    assert district.context["map_config"]["focus"] is None
    assert b'name="amanat-basemap"' in response.content


def test_the_atlas_map_draws_the_county_area_and_the_country(small_geo: Any) -> None:
    area, neighbours = pdf._county_areas(small_geo.kerman_county)
    assert area is not None and "رفسنجان" in [n.name for n in neighbours]
    svg = str(pdf.map_svg([(30.3, 57.0, 1)], (30.28, 57.08), area, neighbours))
    assert 'class="country"' in svg and 'class="county"' in svg and 'class="neighbour"' in svg
    assert 'stroke-dasharray="6 4" class="county"' in svg  # approximate: dashed
