"""The atlas of a province: the national tier as a floor for provinces too, and the
printed province atlas (its counties' summaries, the map, the tiers)."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.atlas import pdf, recompute, services
from amanat.atlas.demo import seed_required_measures
from amanat.atlas.models import NationalTier, UnitScore
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.atlas.tests.test_pdf import pdftotext
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 1, 14)  # 24 Dey 1404


def _score(world: AtlasWorld, unit: Any) -> UnitScore:
    return UnitScore.objects.get(election=world.election, unit=unit)


def test_a_province_national_tier_is_a_floor(atlas_world: AtlasWorld, personas: Any,
                                             django_capture_on_commit_callbacks: Any) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    kerman = atlas_world.geo.kerman_province
    assert _score(atlas_world, kerman).tier == 4
    admin = sign_in(Client(), personas.admin)
    url = reverse("atlas:province_tier_edit", args=[kerman.pk])
    assert admin.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(url, {"tier": "1", "note": "شورای امنیت کشور"})
    assert response.status_code == 302
    row = _score(atlas_world, kerman)  # recomputed by the task (immediate in tests)
    assert (row.computed_tier, row.tier, row.floor_applied) == (4, 1, True)
    assert row.explanation["floor"] == 1
    event = Event.objects.get(action="atlas.national_tier.set")
    assert event.unit_id == kerman.pk and event.after["tier"] == 1
    assert event.before == {"tier": None}
    # The counties keep their own tiers; the province page says why.
    assert _score(atlas_world, atlas_world.geo.kerman_county).floor_applied is False
    page = admin.get(reverse("atlas:province", args=[kerman.pk])).content.decode()
    assert 'data-testid="floor-note"' in page and 'data-testid="national-tier"' in page
    # Cleared: the data decide again.
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(url, {"tier": "", "note": ""})
    assert not NationalTier.objects.exists()
    assert _score(atlas_world, kerman).tier == 4


def test_only_national_staff_set_a_province_tier(atlas_world: AtlasWorld, personas: Any) -> None:
    url = reverse("atlas:province_tier_edit", args=[atlas_world.geo.kerman_province.pk])
    for persona in (personas.gharchak_governor, personas.kerman_governor):
        client = sign_in(Client(), persona)
        assert client.get(url).status_code == 404
        assert client.post(url, {"tier": "1"}).status_code == 404
    assert not NationalTier.objects.exists()
    assert not Event.objects.filter(action="atlas.national_tier.set").exists()


@pytest.fixture
def scored(atlas_world: AtlasWorld) -> AtlasWorld:
    services.national_tier_set(election=atlas_world.election, county=atlas_world.geo.kerman_county,
                               tier=2, actor=None, note="")
    seed_required_measures()
    recompute.atlas_recompute(election=atlas_world.election)
    return atlas_world


def test_the_province_pdf_has_its_counties_map_and_tiers(scored: AtlasWorld,
                                                          tmp_path: Path) -> None:
    data = pdf.province_pdf(scored.election, scored.geo.kerman_province, today=TODAY)
    assert data.startswith(b"%PDF")
    # pdftotext leaves out the zero-width non-joiner (ZWNJ); compare without it.
    text = pdftotext(data, tmp_path).replace("\u200c", "")
    assert "اطلس امنیت انتخابات استان کرمان" in text
    assert "شهرستانها به تفکیک سطح" in text and "نقشه استان" in text
    assert "رفسنجان" in text and "۱۴۰۴/۱۰/۲۴" in text
    # Each county's summary (pdftotext splits the lam-alef ligature, so no «لا» here).
    assert "شهرستان رفسنجان" in text and "کف ملی" in text
    assert re.search(r"سطحبندی ملی\s*:\s*سطح\s*۲", text)
    html = pdf.province_html(scored.election, scored.geo.kerman_province, today=TODAY)
    assert html.count('class="county-summary"') == 2 and "<svg" in html


def test_province_pdf_download_and_command(scored: AtlasWorld, personas: Any, tmp_path: Path,
                                           capsys: Any) -> None:
    kerman = scored.geo.kerman_province
    url = reverse("atlas:province_pdf", args=[kerman.pk])
    admin = sign_in(Client(), personas.admin)
    page = admin.get(reverse("atlas:province", args=[kerman.pk])).content.decode()
    assert 'data-testid="pdf-button"' in page
    assert admin.get(url).status_code == 405
    response = admin.post(url)
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert Event.objects.filter(action="atlas.export_pdf", unit_id=kerman.pk).count() == 1
    # Another province's governor cannot export it.
    assert sign_in(Client(), personas.gharchak_governor).post(url).status_code == 404
    call_command("atlas_build", "--election", "test-atlas", "--pdf", "--province", "8",
                 "--no-recompute", "--out", str(tmp_path))
    assert (tmp_path / "atlas-test-atlas-province-8.pdf").read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "atlas-test-atlas-815.pdf").exists()
    call_command("atlas_build", "--election", "test-atlas", "--pdf", "--province", "8",
                 "--counties", "--no-recompute", "--out", str(tmp_path))
    assert (tmp_path / "atlas-test-atlas-815.pdf").exists()
    assert "province-8.pdf" in capsys.readouterr().out


def test_printed_atlases_number_their_pages_in_persian(scored: AtlasWorld,
                                                       tmp_path: Path) -> None:
    """User review 2026-12: the footers of the printed atlases read «1», «2»… in a
    Persian document."""
    kerman = scored.geo.kerman_province
    for data in (pdf.province_pdf(scored.election, kerman, today=TODAY),
                 pdf.county_pdf(scored.election, scored.geo.kerman_county, today=TODAY)):
        lines = [line.strip() for line in pdftotext(data, tmp_path).splitlines()]
        assert "۱" in lines
        assert not [line for line in lines if re.fullmatch(r"[0-9]+", line)]
