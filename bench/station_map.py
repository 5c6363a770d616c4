"""Benchmark: the national station map with ~59,000 stations.

In a fresh temporary SQLite database it imports the real national geography
(``geo_import``), generates synthetic stations around real city and village coordinates
(cities weighted by population), and measures:

1. in process (Django test client, a signed-in national observer): bytes and server time
   of the map's national view (``/stations/map/data/?zoom=5&bbox=…``), raw and gzipped,
   plus a regional and a zoomed-in view; against the naive baseline measured in the same
   run: every station in scope as a GeoJSON point (what a map without aggregation would
   fetch), built from the same scoped queryset and serialised with ``json.dumps``;
2. in headless Chromium (Playwright, Debian's chromium) against ``amanat serve``
   (gunicorn on a free loopback port, the same database): bytes on the wire for the whole
   map page (HTML, CSS, JS, fonts, data) and the time from navigation start until the map
   is drawn (``data-ready-ms``, set by station-map.js at its first draw), with a cold
   browser cache each run.

The browser signs in as the national observer with a session made like the tests make
theirs (a confirmed TOTP device and a verified session in the database): no test-only
setting, no security switched off.

    .venv/bin/python bench/station_map.py [--stations 59000] [--runs 3] [--screenshot map.png]

Prints JSON.  Targets: under 1.5 MB and under 3 s for the national view.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IRAN_BBOX = "43.0,24.5,64.0,40.5"  # what a 1280×900 window shows at zoom 5, roughly
TEHRAN_BBOX = "51.2,35.6,51.6,35.8"  # zoom 11-12 over the capital: the densest view
CITY_SHARE = 0.68  # about two thirds of stations are in cities
TARGET_BYTES = 1.5 * 1024 * 1024
TARGET_SECONDS = 3.0
CHROMIUM = os.environ.get("AMANAT_CHROMIUM", "/usr/bin/chromium")


def setup_django(folder: Path) -> dict[str, str]:
    """Point Django at a fresh database and var dir in ``folder``; returns the env the
    server process needs to see the same ones."""
    env = {
        "AMANAT_SQLITE_PATH": str(folder / "bench.sqlite3"),
        "AMANAT_VAR_DIR": str(folder / "var"),
        "AMANAT_TILE_URL": "",  # offline: plain background, as the target assumes
        "DJANGO_SETTINGS_MODULE": "amanat.settings",
    }
    os.environ.pop("DATABASE_URL", None)
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return env


# --- data --------------------------------------------------------------------------------


def _county_ids() -> dict[str, int]:
    from amanat.geo.models import AdminUnit

    return dict(AdminUnit.objects.filter(kind="county").values_list("path", "pk"))


def _places(kind: str) -> list[tuple[int, str, float, float, int | None]]:
    from amanat.geo.models import AdminUnit

    rows = AdminUnit.objects.filter(kind=kind, latitude__isnull=False).values_list(
        "pk", "path", "latitude", "longitude", "population"
    )
    return cast(list[tuple[int, str, float, float, int | None]], list(rows))  # non-null


def generate_stations(election: Any, n: int, seed: int = 1405) -> dict[str, Any]:
    """``n`` stations: ``CITY_SHARE`` in cities by population, the rest in villages,
    scattered around each place; readiness and sensitivity drawn at plausible rates."""
    import h3

    from amanat.stations.models import Station

    rng = random.Random(seed)
    counties = _county_ids()
    cities, villages = _places("city"), _places("village")
    n_city = round(n * CITY_SHARE)
    picks = rng.choices(cities, weights=[p[4] or 5_000 for p in cities], k=n_city)
    picks += rng.choices(villages, weights=[p[4] or 300 for p in villages], k=n - n_city)
    numbers: dict[int, int] = {}
    progress: dict[int, float] = {}
    batch: list[Station] = []
    start = time.perf_counter()
    for pk, path, lat, lon, population in picks:
        county_id = counties["/".join(path.split("/")[:3]) + "/"]
        numbers[county_id] = numbers.get(county_id, 0) + 1
        spread = 0.004 + 0.00003 * (population or 300) ** 0.5  # big cities spread wider
        s_lat = round(lat + rng.gauss(0, spread), 6)
        s_lon = round(lon + rng.gauss(0, spread), 6)
        # Counties differ: some lag behind on cameras and power backup.
        care = progress.setdefault(county_id, rng.uniform(0.7, 1.0))
        cctv = "none" if rng.random() > care else rng.choice(["recorded", "live"])
        evoting = rng.random() < 0.35
        batch.append(Station(
            election=election, code=str(numbers[county_id]), county_id=county_id, unit_id=pk,
            unit_path=path, name=f"شعبه {numbers[county_id]}", latitude=s_lat, longitude=s_lon,
            h3_cell=h3.latlng_to_cell(s_lat, s_lon, 7), expected_voters=rng.randint(200, 2500),
            cctv=cctv, cameras=0 if cctv == "none" else rng.randint(1, 4),
            fibre="connected" if rng.random() < care else rng.choice(["planned", "none"]),
            evoting_planned=evoting, evoting_ready=evoting and rng.random() < care,
            power_backup=rng.random() < care,
            sensitive=rng.random() < 0.03,
        ))
    Station.objects.bulk_create(batch, batch_size=2_000)
    return {"stations": len(batch), "seconds": round(time.perf_counter() - start, 1),
            "distinct_res7_cells": len({s.h3_cell for s in batch}), "counties": len(numbers)}


def national_observer() -> Any:
    """A read-only national user with a confirmed TOTP device (2FA is required)."""
    from django.contrib.auth.models import User

    from amanat.accounts.models import Membership, Role
    from amanat.geo.models import AdminUnit

    user = User.objects.create_user(username="bench_observer")
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, role=Role.OBSERVER,
                              unit=AdminUnit.objects.get(kind="country"))
    return user


def signed_in_client(user: Any) -> Any:
    from django.test import Client

    from amanat.accounts.testing import sign_in

    # A host the settings allow (the test client's "testserver" is not).
    client = sign_in(Client(HTTP_HOST="localhost"), user)
    client.get("/")  # settle the session's first write
    return client


# --- in-process measurements ------------------------------------------------------------


def _median_ms(fn: Any, runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 1), result


def measure_view(client: Any, params: dict[str, str], runs: int) -> dict[str, Any]:
    from django.urls import reverse

    url = reverse("stations:map_data")
    ms, raw = _median_ms(lambda: client.get(url, params), runs)
    assert raw.status_code == 200, raw.content[:300]
    zipped = client.get(url, params, headers={"Accept-Encoding": "gzip"})
    assert zipped["Content-Encoding"] == "gzip"
    data = json.loads(raw.content)
    items = data.get("cells", data.get("stations", []))
    return {
        "params": params, "mode": data["mode"], "res": data.get("res"), "items": len(items),
        "stations_counted": data["total"], "bytes_raw": len(raw.content),
        "bytes_gzip": len(zipped.content), "server_ms_median": ms,
    }


def naive_geojson(user: Any, election: Any) -> bytes:
    """The baseline: every station in scope as a GeoJSON point with its popup fields."""
    from django.db.models import Case, IntegerField, Value, When

    from amanat.stations.models import ready_q
    from amanat.stations.selectors import stations_for_user

    rows = (
        stations_for_user(user, election)
        .filter(latitude__isnull=False)
        .annotate(ready_flag=Case(When(ready_q(), then=Value(1)), default=Value(0),
                                  output_field=IntegerField()))
        .values_list("pk", "latitude", "longitude", "ready_flag", "sensitive", "code", "name")
    )
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
         "properties": {"id": pk, "ready": bool(ready), "sensitive": sensitive, "code": code,
                        "name": name}}
        for pk, lat, lon, ready, sensitive, code, name in rows
    ]
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False).encode()


def measure_baseline(user: Any, election: Any, runs: int) -> dict[str, Any]:
    ms, body = _median_ms(lambda: naive_geojson(user, election), runs)
    return {"what": "all stations as GeoJSON points (query + json.dumps, no HTTP)",
            "features": body.count(b'"Feature"'), "bytes_raw": len(body),
            "bytes_gzip": len(gzip.compress(body, compresslevel=6)), "server_ms_median": ms}


# --- browser -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    amanat = Path(sys.executable).with_name("amanat")
    with log.open("wb") as sink:  # the child keeps its own handle
        server = subprocess.Popen(
            [str(amanat), "serve", "--host", "127.0.0.1", "--port", str(port)],
            env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=sink,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("amanat serve exited: " + log.read_text()[-2000:])
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2)
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("amanat serve did not answer within 60 s")


def browser_runs(port: int, cookie: tuple[str, str], runs: int,
                 screenshot: str | None) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    base = f"http://127.0.0.1:{port}"
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--disable-background-networking", "--no-first-run"],
        )
        try:
            for run in range(runs):
                last = run == runs - 1
                results.append(one_visit(browser, base, cookie,
                                         screenshot if last else None))
        finally:
            browser.close()
    return results


def one_visit(browser: Any, base: str, cookie: tuple[str, str],
              screenshot: str | None) -> dict[str, Any]:
    """A cold-cache visit: bytes on the wire per resource type, time to first draw."""
    context = browser.new_context(locale="fa-IR", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    kinds: dict[str, str] = {}
    received: dict[str, int] = {}
    errors: list[str] = []
    cdp.on("Network.responseReceived",
           lambda e: kinds.__setitem__(e["requestId"], e.get("type", "Other")))
    cdp.on("Network.loadingFinished",
           lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    start = time.perf_counter()
    page.goto(base + "/stations/map/", wait_until="commit")
    page.locator("#station-map[data-ready='true']").wait_for(timeout=60_000)
    wall = time.perf_counter() - start
    state = page.eval_on_selector(
        "#station-map", "el => ({ms: +el.dataset.readyMs, mode: el.dataset.mode, "
        "count: +el.dataset.count, total: +el.dataset.total})")
    page.wait_for_load_state("networkidle")
    by_type: dict[str, int] = {}
    for request_id, size in received.items():
        kind = kinds.get(request_id, "Other")
        by_type[kind] = by_type.get(kind, 0) + size
    if screenshot:
        page.screenshot(path=screenshot)
    context.close()
    return {
        "ready_ms_from_navigation_start": state["ms"], "wall_seconds_until_ready": round(wall, 2),
        "mode": state["mode"], "circles": state["count"], "stations_drawn": state["total"],
        "requests": len(received), "bytes_total": sum(received.values()),
        "bytes_by_type": dict(sorted(by_type.items())), "console_errors": errors,
    }


# --- main --------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=59_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--screenshot", help="save the last browser run's page as PNG")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        env = setup_django(Path(tmp))
        from django.conf import settings

        from amanat.elections.models import Election
        from amanat.geo.services import geo_import

        start = time.perf_counter()
        geo = geo_import()
        geo_seconds = time.perf_counter() - start
        election = Election.objects.create(name="انتخابات نمونه (بنچمارک)", slug="bench",
                                           election_day="2026-06-12")
        generated = generate_stations(election, args.stations)
        user = national_observer()
        client = signed_in_client(user)
        runs = max(3, args.runs)
        views = {
            "national_zoom5": measure_view(client, {"zoom": "5", "bbox": IRAN_BBOX}, runs),
            "national_zoom5_no_bbox": measure_view(client, {"zoom": "5"}, runs),
            "zoom7_iran": measure_view(client, {"zoom": "7", "bbox": IRAN_BBOX}, runs),
            "tehran_zoom11": measure_view(client, {"zoom": "11", "bbox": TEHRAN_BBOX}, runs),
        }
        baseline = measure_baseline(user, election, runs)
        national = views["national_zoom5"]

        port = free_port()
        server = start_server(env, port, Path(tmp) / "server.log")
        try:
            cookie = (settings.SESSION_COOKIE_NAME,
                      client.cookies[settings.SESSION_COOKIE_NAME].value)
            visits = browser_runs(port, cookie, args.runs, args.screenshot)
        finally:
            server.terminate()
            server.wait(timeout=30)
        bytes_median = statistics.median(v["bytes_total"] for v in visits)
        ready_median = statistics.median(v["ready_ms_from_navigation_start"] for v in visits)
        result = {
            "benchmark": "station_map",
            "database": "sqlite (fresh temporary file)",
            "cpu_count": os.cpu_count(),
            "geography_units": geo.total,
            "geo_import_seconds": round(geo_seconds, 1),
            "generated": generated,
            # WHITENOISE_USE_FINDERS serves the source files, without .gz siblings.
            "static_files": "WhiteNoise from finders, uncompressed",
            "data_endpoint": views,
            "baseline_geojson_all_stations": baseline,
            "national_view_vs_baseline": {
                "bytes_gzip_ratio": round(baseline["bytes_gzip"] / national["bytes_gzip"], 1),
                "bytes_raw_ratio": round(baseline["bytes_raw"] / national["bytes_raw"], 1),
                "server_time_ratio": round(
                    baseline["server_ms_median"] / national["server_ms_median"], 1),
            },
            "browser": {"server": "amanat serve (gunicorn, 2 workers × 4 threads, loopback)",
                        "runs": visits, "bytes_total_median": bytes_median,
                        "ready_ms_median": ready_median},
            "load_average_at_end": os.getloadavg()[0],
            "targets": {"page_bytes_below": TARGET_BYTES, "seconds_below": TARGET_SECONDS},
            "targets_met": bytes_median < TARGET_BYTES and ready_median < TARGET_SECONDS * 1000,
        }
        print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
