"""The station map: its page and the data endpoint (modes by zoom, counts, scope, bbox,
bad parameters, query counts, compression)."""

from __future__ import annotations

import datetime
import gzip
import json
from typing import Any

import h3
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.elections.models import Election
from amanat.stations import map as stations_map
from amanat.stations.models import Station
from amanat.stations.tests.conftest import make_station

PAGE = reverse("stations:map")
DATA = reverse("stations:map_data")
READY = {"cctv": "live", "cameras": 1, "power_backup": True}
GHARCHAK_BOX = "51.3,35.2,51.8,35.6"
KERMAN_BOX = "56.5,29.9,57.5,30.6"


def placed(election: Election, county: Any, code: str, lat: float | None, lon: float | None,
           **values: Any) -> Station:
    cell = h3.latlng_to_cell(lat, lon, 7) if lat is not None and lon is not None else ""
    return make_station(election, county, code, latitude=lat, longitude=lon, h3_cell=cell,
                        **values)


@pytest.fixture
def election(db: None) -> Election:
    return Election.objects.create(
        name="انتخابات شوراها ۱۴۰۵", slug="councils-1405",
        election_day=datetime.date(2026, 6, 12),
    )


@pytest.fixture
def stations(small_geo: Any, personas: Any, election: Election) -> dict[str, Station]:
    """Gharchak: 3 placed (2 ready, 1 sensitive), 1 without coordinates.  Kerman county:
    2 placed far apart (1 ready).  Rafsanjan: 1 ready."""
    g, k, city = small_geo.gharchak, small_geo.kerman_county, small_geo.gharchak_city
    return {
        "g1": placed(election, g, "101", 35.43, 51.57, unit=city, **READY),
        "g2": placed(election, g, "102", 35.44, 51.58, unit=city, **READY),
        "g3": placed(election, g, "103", 35.38, 51.55, sensitive=True,
                     sensitivity_reason="سابقه"),
        "g4": placed(election, g, "104", None, None),
        "k1": placed(election, k, "201", 30.29, 57.07, unit=small_geo.kerman_city, **READY),
        "k2": placed(election, k, "202", 30.19, 56.81),
        "r1": placed(election, small_geo.rafsanjan, "301", 30.41, 55.99, **READY),
    }


def client_for(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")  # settle the session so it stays out of query counts
    return client


def get_json(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get(DATA, params)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "application/json"
    data: dict[str, Any] = json.loads(response.content)
    return data


# --- modes by zoom -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("zoom", "mode", "res"),
    [(None, "cells", 3), (3, "cells", 3), (5, "cells", 3), (6, "cells", 4), (7, "cells", 5),
     (8, "cells", 6), (9, "cells", 6), (10, "cells", 7), (11, "stations", None),
     (16, "stations", None)],
)
def test_mode_follows_zoom(stations: dict[str, Station], personas: Any, zoom: int | None,
                           mode: str, res: int | None) -> None:
    params = {} if zoom is None else {"zoom": zoom}
    data = get_json(client_for(personas.admin), **params)
    assert data["mode"] == mode
    if mode == "cells":
        assert data["res"] == res
        assert all(h3.get_resolution(c[0]) == res for c in data["cells"])
    else:
        assert "res" not in data


@pytest.mark.parametrize("zoom", [2, 5, 6, 7, 8, 10])
def test_cell_counts_add_up_to_the_stations_in_scope(
    stations: dict[str, Station], personas: Any, zoom: int
) -> None:
    data = get_json(client_for(personas.admin), zoom=zoom)
    assert sum(c[3] for c in data["cells"]) + data["unplaced"] == Station.objects.count() == 7
    assert data["total"] == 6 and data["unplaced"] == 1
    assert sum(c[4] for c in data["cells"]) == Station.objects.ready().count() == 4
    for cell, lat, lon, _count, _ready in data["cells"]:
        centre = h3.cell_to_latlng(cell)
        assert (lat, lon) == (round(centre[0], 4), round(centre[1], 4))


def test_cells_group_near_stations_and_split_far_ones(
    stations: dict[str, Station], personas: Any
) -> None:
    coarse = get_json(client_for(personas.admin), zoom=4)
    counts = sorted(c[3] for c in coarse["cells"])
    # Gharchak's three stations share a res-3 cell; Kerman and Rafsanjan are elsewhere.
    assert counts[-1] == 3
    fine = get_json(client_for(personas.admin), zoom=10)
    assert len(fine["cells"]) > len(coarse["cells"])


def test_station_mode_lists_each_station_compactly(
    stations: dict[str, Station], personas: Any
) -> None:
    data = get_json(client_for(personas.admin), zoom=12)
    rows = {row[0]: row for row in data["stations"]}
    assert set(rows) == {s.pk for k, s in stations.items() if k != "g4"}  # no coordinates
    g3 = rows[stations["g3"].pk]
    assert g3 == [stations["g3"].pk, 35.38, 51.55, 0, 1, "103", "شعبه 103"]
    assert rows[stations["g1"].pk][3:5] == [1, 0]
    assert data["truncated"] is False and data["total"] == 6


def test_station_mode_is_capped_and_says_so(
    stations: dict[str, Station], personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stations_map, "STATION_CAP", 2)
    data = get_json(client_for(personas.admin), zoom=12)
    assert len(data["stations"]) == 2 and data["truncated"] is True


# --- bbox ----------------------------------------------------------------------------------


def test_bbox_limits_stations_to_the_view(stations: dict[str, Station], personas: Any) -> None:
    data = get_json(client_for(personas.admin), zoom=12, bbox=GHARCHAK_BOX)
    assert {row[5] for row in data["stations"]} == {"101", "102", "103"}
    data = get_json(client_for(personas.admin), zoom=12, bbox=KERMAN_BOX)
    assert {row[5] for row in data["stations"]} == {"201", "202"}


def test_bbox_limits_cells_and_keeps_their_counts_whole(
    stations: dict[str, Station], personas: Any
) -> None:
    admin = client_for(personas.admin)
    data = get_json(admin, zoom=9, bbox=KERMAN_BOX)
    assert sum(c[3] for c in data["cells"]) == data["total"] == 2
    assert all(56.0 < c[2] < 58.0 for c in data["cells"])
    # A box that cuts through a coarse cell still gets the cell's whole count.
    whole = {c[0]: c[3] for c in get_json(admin, zoom=4)["cells"]}
    tight = get_json(admin, zoom=4, bbox="51.56,35.42,51.59,35.45")
    assert tight["cells"] and all(whole[c[0]] == c[3] for c in tight["cells"])


# --- scope and filters ---------------------------------------------------------------------


def test_governor_sees_only_his_county(stations: dict[str, Station], personas: Any) -> None:
    governor = client_for(personas.gharchak_governor)
    cells = get_json(governor, zoom=5)
    assert cells["total"] + cells["unplaced"] == 4
    points = get_json(governor, zoom=12)
    assert {row[5] for row in points["stations"]} == {"101", "102", "103"}
    assert get_json(governor, zoom=12, bbox=KERMAN_BOX)["stations"] == []


def test_county_outside_scope_is_404(
    stations: dict[str, Station], personas: Any, small_geo: Any
) -> None:
    governor = client_for(personas.gharchak_governor)
    response = governor.get(DATA, {"zoom": 12, "county": small_geo.kerman_county.pk})
    assert response.status_code == 404
    response = governor.get(DATA, {"zoom": 12, "province": small_geo.kerman_province.pk})
    assert response.status_code == 404
    own = get_json(governor, zoom=12, county=small_geo.gharchak.pk)
    assert len(own["stations"]) == 3


def test_filters_of_the_list_apply(
    stations: dict[str, Station], personas: Any, small_geo: Any
) -> None:
    admin = client_for(personas.admin)
    ready = get_json(admin, zoom=5, ready="yes")
    assert ready["total"] == 4 and all(c[3] == c[4] for c in ready["cells"])
    sensitive = get_json(admin, zoom=12, sensitive="yes")
    assert [row[5] for row in sensitive["stations"]] == ["103"]
    kerman = get_json(admin, zoom=5, province=small_geo.kerman_province.pk)
    assert kerman["total"] == 3


def test_outsider_and_anonymous_are_refused(stations: dict[str, Station], personas: Any) -> None:
    outsider = client_for(personas.outsider)
    assert outsider.get(DATA).status_code == 404
    assert outsider.get(PAGE).status_code == 404
    anonymous = Client().get(DATA)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_unknown_election_is_404(stations: dict[str, Station], personas: Any) -> None:
    response = client_for(personas.admin).get(DATA, {"election": "no-such"})
    assert response.status_code == 404


def test_other_election_is_separate(
    stations: dict[str, Station], personas: Any, small_geo: Any
) -> None:
    other = Election.objects.create(name="میان‌دوره‌ای", slug="by-1406",
                                    election_day=datetime.date(2027, 6, 1))
    placed(other, small_geo.gharchak, "901", 35.43, 51.57)
    data = get_json(client_for(personas.admin), zoom=12, election="by-1406")
    assert [row[5] for row in data["stations"]] == ["901"]


# --- bad parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [({"zoom": "abc"}, "zoom"), ({"zoom": "-1"}, "zoom"), ({"zoom": "23"}, "zoom"),
     ({"zoom": "5.5"}, "zoom"), ({"bbox": "1,2,3"}, "bbox"), ({"bbox": "a,b,c,d"}, "bbox"),
     ({"bbox": "52,30,51,31"}, "bbox"), ({"bbox": "51,36,52,35"}, "bbox"),
     ({"bbox": "51,30,200,31"}, "bbox"), ({"bbox": "nan,30,52,31"}, "bbox"),
     ({"sensitive": "maybe"}, "sensitive"), ({"ready": "perhaps"}, "ready"),
     ({"province": "abc"}, "province")],
)
def test_bad_parameters_are_400_with_a_clear_message(
    stations: dict[str, Station], personas: Any, params: dict[str, str], field: str
) -> None:
    response = client_for(personas.admin).get(DATA, params)
    assert response.status_code == 400
    body = json.loads(response.content)
    assert body["field"] == field
    assert body["error"]
    if field in ("zoom", "bbox"):
        assert body["code"] == field
        assert "(" + field + ")" in body["error"]  # the default language is Persian
        english_client = client_for(personas.admin)
        english_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # chose English
        english = json.loads(english_client.get(DATA, params).content)
        assert english["error"].startswith(f"{field} must be")


# --- query counts and size -----------------------------------------------------------------


@pytest.mark.parametrize(("zoom", "bbox"), [(5, None), (9, KERMAN_BOX), (12, None)])
def test_query_count_does_not_grow_with_stations(
    stations: dict[str, Station], personas: Any, election: Election, small_geo: Any,
    count_queries: Any, zoom: int, bbox: str | None,
) -> None:
    admin = client_for(personas.admin)
    params: dict[str, Any] = {"zoom": zoom, **({"bbox": bbox} if bbox else {})}
    before = count_queries(lambda: admin.get(DATA, params))
    for i in range(30):
        placed(election, small_geo.kerman_county, f"5{i:02d}", 30.0 + i / 50, 57.0 + i / 40,
               **(READY if i % 2 else {}))
    assert count_queries(lambda: admin.get(DATA, params)) == before


def test_data_is_gzipped_when_the_client_accepts_it(
    stations: dict[str, Station], personas: Any
) -> None:
    admin = client_for(personas.admin)
    response = admin.get(DATA, {"zoom": 12}, headers={"Accept-Encoding": "gzip"})
    assert response["Content-Encoding"] == "gzip"
    data = json.loads(gzip.decompress(response.content))
    assert data["mode"] == "stations" and len(data["stations"]) == 6
    plain = admin.get(DATA, {"zoom": 12})
    assert not plain.has_header("Content-Encoding")
    # Compact JSON: no spaces after separators, Persian kept as UTF-8.
    assert b", " not in plain.content and "شعبه".encode() in plain.content


# --- the page -------------------------------------------------------------------------------


def test_page_carries_its_config_without_inline_script(
    stations: dict[str, Station], personas: Any, small_geo: Any
) -> None:
    response = client_for(personas.gharchak_governor).get(
        PAGE, {"sensitive": "yes", "q": "ignored"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="station-map-config"' in html and "station-map.js" in html
    assert "<script>" not in html  # only src= scripts and the JSON island
    config = response.context["map_config"]
    assert config["dataUrl"] == DATA
    assert config["query"] == "election=councils-1405&sensitive=yes"
    assert config["stationUrl"] == reverse("stations:detail", args=[0])
    assert config["tileUrl"] == ""
    # Every province for the country's shape; only the counties in scope.
    names = {(u[2], u[3]) for u in config["units"]}
    assert (0, "تهران") in names and (0, "کرمان") in names
    assert (1, "قرچک") in names and (1, "کرمان") not in names
    # The view opens on the governor's county.
    (south, west), (north, east) = config["bounds"]
    assert south <= 35.43 <= north and west <= 51.57 <= east and north - south < 1


def test_page_filters_are_limited_to_the_scope(
    stations: dict[str, Station], personas: Any
) -> None:
    response = client_for(personas.gharchak_governor).get(PAGE)
    form = response.context["form"]
    assert [label for value, label in form.fields["county"].choices if value] == ["قرچک"]
    shown = list(form.fields)
    assert shown == ["province", "county", "sensitive", "ready"]


def test_page_without_an_election(personas: Any) -> None:
    response = client_for(personas.admin).get(PAGE)
    assert response.status_code == 200
    assert 'data-testid="no-election"' in response.content.decode()
    assert client_for(personas.admin).get(DATA).status_code == 404
