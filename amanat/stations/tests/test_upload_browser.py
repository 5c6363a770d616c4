"""A county official's day in the browser: a spreadsheet with one bad row is refused with
the errors in Persian, the fixed file goes in, and the station is on the list and the map."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from amanat.accounts.testing import sign_in_page
from amanat.stations.models import Station
from amanat.stations.tests.conftest import Registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "کد شعبه,کد شهرستان,نام,دوربین,تعداد دوربین,برق اضطراری,عرض جغرافیایی,طول جغرافیایی\n"
GOOD_ROW = "۱۱۱,2310,دبستان نمونه,زنده,۱,بله,35.47,51.63\n"
# CCTV "live" with zero cameras breaks a rule; the rest of the row is fine.
BAD_ROW = "۱۱۰,2310,مسجد نمونه,زنده,۰,بله,۳۵٫۴۶,۵۱٫۶۰\n"
FIXED_ROW = "۱۱۰,2310,مسجد نمونه,زنده,۲,بله,۳۵٫۴۶,۵۱٫۶۰\n"


@pytest.fixture
def governor_page(browser_page: Any, registry: Registry, media_root: Any) -> Any:
    sign_in_page(browser_page, registry.personas.gharchak_governor)
    return browser_page


def _upload(page: Any, path: Path) -> None:
    page.goto(page.base_url + "/stations/import/")
    page.locator("[data-testid=upload-form] input[type=file]").set_input_files(str(path))
    page.locator("[data-testid=upload-form] button[type=submit]").click()
    page.wait_for_load_state()


def test_bad_row_then_fixed_file_then_list_and_map(
    governor_page: Any, registry: Registry, tmp_path: Path
) -> None:
    page = governor_page
    bad = tmp_path / "شعب قرچک.csv"
    bad.write_text(HEADER + GOOD_ROW + BAD_ROW, encoding="utf-8")
    _upload(page, bad)
    errors = page.locator("[data-testid=import-error]")
    assert errors.count() == 1
    text = errors.first.inner_text()
    assert "۳" in text  # the spreadsheet row, in Persian digits
    assert "دوربین" in text
    assert not Station.objects.filter(code__in=["0110", "0111"]).exists()

    fixed = tmp_path / "شعب قرچک (اصلاح‌شده).csv"
    fixed.write_text(HEADER + GOOD_ROW + FIXED_ROW, encoding="utf-8")
    _upload(page, fixed)
    page.locator("[data-testid=import-done]").wait_for()
    station = Station.objects.get(code="0110", county=registry.geo.gharchak)
    assert station.cameras == 2 and station.latitude == pytest.approx(35.46)

    page.goto(page.base_url + "/stations/?q=110")
    assert "مسجد نمونه" in page.locator("main").inner_text()

    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{page.base_url}/stations/map/?election={registry.election.slug}")

    page.locator("#station-map[data-ready='true']").wait_for()
    page.evaluate(
        "document.getElementById('station-map').amanatMap.setView([35.46, 51.60], 16)"
    )
    page.locator("#station-map[data-mode='stations']").wait_for()
    box = page.locator("#station-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    link = page.locator(".leaflet-popup-content a")
    link.wait_for()
    assert link.get_attribute("href") == f"/stations/{station.pk}/"
    assert "۱۱۰" in link.inner_text()
    assert problems == []
