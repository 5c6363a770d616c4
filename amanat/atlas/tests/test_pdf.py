"""The printed atlas: a Persian PDF whose extracted text is correctly shaped."""

from __future__ import annotations

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import Agency
from amanat.accounts.testing import sign_in
from amanat.atlas import pdf, recompute, services
from amanat.atlas.demo import seed_required_measures
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 14)  # 24 Dey 1404
BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def pdftotext(data: bytes, tmp_path: Path) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        if os.environ.get("AMANAT_REQUIRE_BROWSER"):
            pytest.fail("pdftotext (poppler-utils) is required but missing")
        pytest.skip("pdftotext (poppler-utils) is not installed: cannot read the PDF's text")
    source = tmp_path / "atlas.pdf"
    source.write_bytes(data)
    result = subprocess.run([exe, "-enc", "UTF-8", str(source), "-"], capture_output=True,
                            check=True, timeout=60)
    # pdftotext marks direction runs with embedding controls; the words are what count.
    return BIDI_CONTROLS.sub("", result.stdout.decode("utf-8"))


@pytest.fixture
def gharchak_scored(atlas_world: AtlasWorld) -> AtlasWorld:
    services.county_history_set(election=atlas_world.election, county=atlas_world.geo.gharchak,
                                annulled=True, note="", actor=None)
    services.assessment_create(
        election=atlas_world.election, agency=Agency.objects.get(code="police"),
        county=atlas_world.geo.gharchak, score=4, justification="گزارش میدانی",
        assessed_on=datetime.date(2026, 1, 3), author=None)
    seed_required_measures()
    recompute.atlas_recompute(election=atlas_world.election)
    return atlas_world


def test_gharchak_pdf_has_the_county_name_and_jalali_date(
    gharchak_scored: AtlasWorld, tmp_path: Path
) -> None:
    data = pdf.county_pdf(gharchak_scored.election, gharchak_scored.geo.gharchak, today=TODAY)
    assert data.startswith(b"%PDF")
    text = pdftotext(data, tmp_path)
    assert "قرچک" in text
    assert "۱۴۰۴/۱۰/۲۴" in text
    # Day, month, year in logical order (pdftotext may move the space at a run boundary).
    assert re.search(r"۲۴\s*دی\s*۱۴۰۴", text)
    # Shaping and order: whole phrases come out in logical order, not reversed glyphs.
    assert "اطلس امنیت انتخابات شهرستان قرچک" in text
    assert "گزارش میدانی" in text and "ابطال" in text
    assert "پرخطرترین شعب" in text


def test_map_svg_places_stations_inside_the_frame() -> None:
    svg = str(pdf.map_svg([(35.4, 51.5, 1), (35.5, 51.6, 4)], (35.45, 51.55)))
    assert svg.count("<circle") == 3 and "#b02a37" in svg
    assert pdf.map_svg([], None) == ""


def test_download_button_returns_pdf_and_is_audited(
    gharchak_scored: AtlasWorld, personas: Any
) -> None:
    client = sign_in(Client(), personas.gharchak_governor)
    url = reverse("atlas:county_pdf", args=[gharchak_scored.geo.gharchak.pk])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert Event.objects.filter(action="atlas.export_pdf").count() == 1
    # The police officer may view the atlas but not export it.
    police = sign_in(Client(), personas.police)
    assert police.post(url).status_code == 404


def test_atlas_build_command_recomputes_and_writes_pdf(
    gharchak_scored: AtlasWorld, tmp_path: Path, capsys: Any
) -> None:
    call_command("atlas_build", "--election", "test-atlas", "--pdf", "--county", "2310",
                 "--out", str(tmp_path))
    out = capsys.readouterr().out
    assert "recomputed 3 stations, 3 counties, 2 provinces" in out
    assert (tmp_path / "atlas-test-atlas-2310.pdf").read_bytes().startswith(b"%PDF")
    assert Event.objects.filter(action="atlas.snapshot").count() == 1


def test_atlas_build_refuses_unknown_codes(gharchak_scored: AtlasWorld) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no county"):
        call_command("atlas_build", "--pdf", "--county", "9999")
    with pytest.raises(CommandError, match="add --pdf"):
        call_command("atlas_build", "--county", "2310")
