"""The factor catalogue's weights and parameters, edited by the national administrator:
a new version, audited before → after, the atlas recomputed in the background with it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.atlas import catalogue, factors, recompute
from amanat.atlas.models import FactorCatalogue, UnitScore
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db
URL = "/atlas/factors/edit/"
LIST = "/atlas/factors/"


def _form(**changes: str) -> dict[str, str]:
    data = {f"w_{f.code}": str(f.weight) for f in factors.CATALOGUE.values()}
    data |= {"station_mean_weight": "5", "county_mean_weight": "4", "incident_scale": "4",
             "over_capacity_span": "0.5", "note": "بازبینی شورا"}
    return data | changes


def test_the_national_admin_saves_a_version_that_the_recompute_uses(
        atlas_world: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    recompute.atlas_recompute(election=atlas_world.election)
    gharchak = atlas_world.geo.gharchak
    before = UnitScore.objects.get(unit=gharchak).value
    admin = sign_in(Client(), personas.admin)
    page = admin.get(URL)
    assert page.status_code == 200 and 'data-testid="catalogue-form"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(URL, _form(w_sensitive="0", w_no_cctv="0"))
    assert response.status_code == 302
    row = FactorCatalogue.objects.get()
    assert row.version == 1 and row.weights["sensitive"] == 0.0
    assert catalogue.current().version == 1
    event = Event.objects.get(action="atlas.catalogue.set")
    # The audit trail keeps numbers as exact text.
    assert event.before["version"] == 0 and float(event.before["weights"]["sensitive"]) == 3.0
    assert event.after["version"] == 1 and float(event.after["weights"]["sensitive"]) == 0.0
    assert event.after["note"] == "بازبینی شورا"
    # The background recompute ran with the new weights: the sensitive, camera-less
    # station of Gharchak no longer raises it.
    after = UnitScore.objects.get(unit=gharchak)
    assert after.value < before
    assert {f["code"] for f in after.explanation["factors"]}.isdisjoint({"sensitive", "no_cctv"})
    assert Event.objects.filter(action="atlas.recompute").exists()
    # A second version; the list shows both.
    admin.post(URL, _form(w_sensitive="2", note="دوباره"))
    assert catalogue.current().version == 2
    listing = admin.get(LIST).content.decode()
    assert listing.count('data-testid="version-row"') == 2 and 'data-testid="edit-link"' in listing


def test_bad_values_are_refused_and_nothing_is_stored(atlas_world: AtlasWorld,
                                                      personas: Any) -> None:
    admin = sign_in(Client(), personas.admin)
    for bad in (_form(w_sensitive="-1"), _form(incident_scale="0"), _form(note=""),
                _form(**{f"w_{f.code}": "0" for f in factors.STATION_FACTORS})):
        response = admin.post(URL, bad)
        assert response.status_code == 200 and response.context["form"].errors
    assert not FactorCatalogue.objects.exists()
    assert not Event.objects.filter(action="atlas.catalogue.set").exists()


def test_only_the_national_admin_edits(atlas_world: AtlasWorld, personas: Any) -> None:
    for persona in (personas.gharchak_governor, personas.tehran_officer, personas.police):
        client = sign_in(Client(), persona)
        page = client.get(LIST)
        assert page.status_code == 200  # everyone reads the catalogue
        assert 'data-testid="edit-link"' not in page.content.decode()
        assert client.get(URL).status_code == 404
        assert client.post(URL, _form(w_sensitive="0")).status_code == 404
    assert not FactorCatalogue.objects.exists()
    assert reverse("atlas:factors_edit") == URL


def test_a_save_over_a_newer_version_is_refused(atlas_world: AtlasWorld,
                                               personas: Any) -> None:
    """Attack review 2026-12 (plans): two administrators open the form on version 0; the
    second save silently put back every weight the first had changed (a new version
    made of stale values), and two saves at once were a 500 (the version is unique)."""
    first, second = (sign_in(Client(), personas.admin) for _ in range(2))
    opened = second.get(URL)
    assert opened.context["form"].initial["base_version"] == 0
    assert first.post(URL, _form(w_sensitive="0", base_version="0")).status_code == 302
    stale = second.post(URL, _form(w_no_cctv="9", base_version="0"))
    assert stale.status_code == 200 and stale.context["form"].errors
    assert catalogue.current().version == 1 and catalogue.current().weight("sensitive") == 0
    assert Event.objects.filter(action="atlas.catalogue.set").count() == 1
    # Opened again, the save goes through.
    assert second.post(URL, _form(w_sensitive="0", w_no_cctv="9",
                                  base_version="1")).status_code == 302
    assert catalogue.current().version == 2
def test_weights_typed_as_the_page_shows_them_and_the_recompute_followed_to_its_end(
        atlas_world: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any) -> None:
    """User review 2026-12: the page shows «۳٫۵۰» but refused «۳٫۵» typed back («enter a
    number»); after saving, the factors page said "being recomputed" and never that it
    had finished (the thresholds edit already had a job page); the level column read
    «station», «county» on a Persian page."""
    from amanat.core.models import Job, JobStatus

    recompute.atlas_recompute(election=atlas_world.election)
    admin = sign_in(Client(), personas.admin)
    admin.get("/")
    listing = admin.get(LIST).content.decode()
    assert ">station<" not in listing and ">county<" not in listing and ">شعبه<" in listing
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(URL, _form(w_sensitive="۳٫۵", over_capacity_span="۰٫۷۵"))
    assert response.status_code == 302, response.context["form"].errors
    row = FactorCatalogue.objects.get()
    assert row.weights["sensitive"] == 3.5 and row.over_capacity_span == 0.75
    job = Job.objects.get(kind="atlas.recompute")
    assert response["Location"] == reverse("site:job", args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    status = admin.get(reverse("site:job_status", args=[job.pk])).content.decode()
    assert 'data-testid="job-done"' in status and reverse("atlas:national") in status
