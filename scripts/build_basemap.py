"""Build amanat/geo/data/basemap.geojson: Iran and its neighbours from Natural Earth.

Input: the npm package ``world-atlas`` (Natural Earth Admin 0 countries, 1:50m, as
TopoJSON), decoded to GeoJSON by ``topojson-client``'s ``topo2geo`` (both installed by
``make install``). Output: the countries that touch the map window around Iran, clipped
to that window, simplified and rounded, one feature per country with its ISO 3166
numeric code and English name. Deterministic: the same inputs give the same bytes.

    .venv/bin/python scripts/build_basemap.py [--out amanat/geo/data/basemap.geojson]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from shapely.geometry import box, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "node_modules" / "world-atlas" / "countries-50m.json"
TOPO2GEO = ROOT / "node_modules" / ".bin" / "topo2geo"
OUT = ROOT / "amanat" / "geo" / "data" / "basemap.geojson"
# The map window: Iran with its neighbours across land, the Caspian and the Gulf.
WINDOW = box(36.0, 20.0, 70.0, 45.0)  # west, south, east, north (degrees)
IRAN = "364"  # ISO 3166-1 numeric
TOLERANCE = 0.01  # degrees (about 1 km): finer than the 1:50m source shows
DECIMALS = 3


def _round(coords: Any) -> Any:
    if isinstance(coords, (int, float)):
        return round(float(coords), DECIMALS)
    return [_round(c) for c in coords]


def build() -> dict[str, Any]:
    decoded = subprocess.run(
        [str(TOPO2GEO), "countries=-"], input=SOURCE.read_bytes(), capture_output=True,
        check=True,
    ).stdout
    collection = json.loads(decoded)
    features: list[dict[str, Any]] = []
    for feature in collection["features"]:
        if not feature.get("geometry"):
            continue
        geometry = shape(feature["geometry"])
        if not geometry.intersects(WINDOW):
            continue
        clipped = geometry.intersection(WINDOW).simplify(TOLERANCE, preserve_topology=True)
        if clipped.is_empty:
            continue
        code = str(feature.get("id", ""))
        geo = mapping(clipped)
        features.append({
            "type": "Feature",
            "properties": {"iso": code, "name": feature["properties"]["name"],
                           "home": code == IRAN},
            "geometry": {"type": geo["type"], "coordinates": _round(geo["coordinates"])},
        })
    features.sort(key=lambda f: (not f["properties"]["home"], f["properties"]["iso"]))
    if not any(f["properties"]["home"] for f in features):
        raise SystemExit("build_basemap: error: Iran (364) is not in the source")
    return {"type": "FeatureCollection", "features": features}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    data = build()
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    names = ", ".join(f["properties"]["name"] for f in data["features"])
    print(f"build_basemap: {len(data['features'])} countries ({names}), "
          f"{len(text):,} bytes -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
