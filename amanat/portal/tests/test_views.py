"""The public portal and the field app through their views: who reaches what, what is
published and what is not, the open data files, and the field app's report endpoint
(idempotent, scoped)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.test import Client

from amanat.incidents import services
from amanat.incidents.models import Channel, Report
from amanat.portal import selectors
from amanat.portal.tests.conftest import World, client_for, publish
from amanat.stations.models import Station

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _text(response: Any) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


# --- home and navigation -------------------------------------------------------------------


def test_signed_out_home_links_every_public_page(client: Client, world: World) -> None:
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="public-home"' in page
    for url in ("/report/", "/report/status/", "/find/", "/open-data/", "/awareness/"):
        assert f'href="{url}"' in page
    # The signed-in sections are not offered to a visitor.
    assert "/geo/search/" not in page and 'data-testid="nav-stations"' not in page


def test_signed_in_home_is_the_work_page(world: World) -> None:
    page = client_for(world.personas.gharchak_governor).get("/").content.decode()
    assert 'data-testid="public-home"' not in page
    assert 'data-testid="work-figures"' in page


def test_inspector_menu_has_the_report_form_and_the_field_app(world: World) -> None:
    page = client_for(world.personas.inspector).get("/").content.decode()
    assert 'data-testid="nav-report-new"' in page and 'href="/incidents/reports/new/"' in page
    assert 'data-testid="nav-field"' in page
    # A governor reaches the form through the incidents section; no second entry.
    page = client_for(world.personas.gharchak_governor).get("/").content.decode()
    assert 'data-testid="nav-report-new"' not in page and 'data-testid="nav-field"' not in page


def test_public_report_form_takes_a_photo_from_the_camera(client: Client, world: World) -> None:
    page = client.get("/report/").content.decode()
    assert 'accept="image/*"' in page and 'capture="environment"' in page


# --- station finder ------------------------------------------------------------------------


def test_finder_finds_a_village_by_a_misspelt_name(client: Client, published: World) -> None:
    village = published.geo.villages[0].name  # اختیارآباد
    misspelt = village.replace("ر", "ز", 1)
    response = client.get("/find/", {"q": misspelt})
    page = response.content.decode()
    assert 'data-testid="finder-approximate"' in page
    assert "مسجد جامع" in page and "دبستان فردوسی" not in page
    # Published fields only: never the sensitivity or its reason.
    assert "گزارش‌های پیشین" not in page


def test_finder_normalises_arabic_letters(client: Client, published: World) -> None:
    # The Kerman province is stored with Arabic kaf (small_geo); a visitor types Persian.
    result = selectors.station_find(selectors.publication(), "کرمان")
    assert [s.pk for s in result.stations] == [published.kerman_station.pk]
    assert not result.approximate


def test_finder_shows_no_closed_or_unpublished_station(client: Client, world: World) -> None:
    # Before the list is final nothing is published.
    page = client.get("/find/", {"q": "قرچک"}).content.decode()
    assert 'data-testid="finder-not-published"' in page and "دبستان فردوسی" not in page
    publish(world)
    Station.objects.create(election=world.election, county=world.geo.gharchak,
                           unit=world.geo.gharchak_city, unit_path=world.geo.gharchak_city.path,
                           code="0099", name="شعبه بسته", status="closed")
    page = client.get("/find/", {"q": "قرچک"}).content.decode()
    assert "دبستان فردوسی" in page and "شعبه بسته" not in page


def test_finder_places_give_county_points_not_stations(client: Client, published: World) -> None:
    data = client.get("/find/places.json").json()
    assert {c["code"] for c in data["counties"]} == {"2310", "815"}
    assert set(data["counties"][0]) == {"code", "name", "lat", "lon"}


# --- open data -----------------------------------------------------------------------------


def test_open_station_data_has_the_licence_and_published_fields_only(
    client: Client, published: World
) -> None:
    response = client.get("/open-data/stations.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = _text(response)
    assert text.startswith("# licence: CC BY 4.0")
    rows = list(csv.DictReader(line for line in io.StringIO(text) if not line.startswith("#")))
    assert [r["station_code"] for r in rows] == ["2310-0042", "815-0007"]
    assert rows[1]["accessible"] == "true" and rows[1]["opens"] == "08:00"
    assert "sensitive" not in rows[0] and "expected_voters" not in rows[0]
    assert "گزارش‌های پیشین" not in text

    data = client.get("/open-data/stations.json", {"county": "815"}).json()
    assert data["licence"].startswith("CC BY 4.0") and data["published"] is True
    assert [r["station_code"] for r in data["records"]] == ["815-0007"]


def test_open_station_data_is_empty_before_the_list_is_final(client: Client, world: World
                                                             ) -> None:
    data = client.get("/open-data/stations.json").json()
    assert data["published"] is False and data["records"] == []


def test_report_statistics_suppress_small_counts(client: Client, world: World) -> None:
    vote_buying = world.category("vote_buying")
    for n in range(6):
        services.report_receive(channel=Channel.WEB, category=vote_buying, text=f"r {n}",
                                station=world.gharchak_station, actor=world.personas.admin)
    for n in range(2):
        services.report_receive(channel=Channel.WEB, category=vote_buying, text=f"k {n}",
                                station=world.kerman_station, actor=world.personas.admin)
    data = client.get("/open-data/report-statistics.json").json()
    assert data["suppressed_below"] == 5
    cells = {(r["county_code"], r["category"]): r for r in data["records"]}
    assert cells["2310", "vote_buying"]["reports"] == 6
    assert cells["815", "vote_buying"] == {**cells["815", "vote_buying"], "reports": None,
                                           "suppressed": True}
    assert all(r["reports"] is None or r["reports"] >= 5 for r in data["records"])
    text = _text(client.get("/open-data/report-statistics.csv"))
    assert text.startswith("# licence:")
    assert "2310,قرچک,vote_buying" in text.replace('"', "")


def test_unknown_format_is_404(client: Client, world: World) -> None:
    assert client.get("/open-data/stations.xml").status_code == 404


def test_dictionary_lists_every_column(client: Client, world: World) -> None:
    page = client.get("/open-data/dictionary/").content.decode()
    for column in ("station_code", "accessible", "opens", "suppressed"):
        assert f"<code>{column}</code>" in page
    index = client.get("/open-data/").content.decode()
    assert 'data-testid="dataset-candidates"' in index and 'data-testid="dataset-coming"' in index


# --- the field app -------------------------------------------------------------------------


def test_manifest_and_worker_have_their_content_types(client: Client, world: World) -> None:
    manifest = client.get("/field/manifest.webmanifest")
    assert manifest["Content-Type"].startswith("application/manifest+json")
    body = json.loads(manifest.content)
    assert body["start_url"] == "/field/" and body["display"] == "standalone"
    assert {i["sizes"] for i in body["icons"]} == {"192x192", "512x512"}
    worker = client.get("/field/sw.js")
    assert worker["Content-Type"].startswith("text/javascript")
    assert worker["Service-Worker-Allowed"] == "/field/"
    assert "importScripts" in worker.content.decode()


def test_csp_still_forbids_inline_script(world: World) -> None:
    response = client_for(world.personas.inspector).get("/field/")
    policy = response["Content-Security-Policy"]
    script = next(p for p in policy.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script and "'unsafe-eval'" not in script
    assert "<script>" not in response.content.decode()


def test_field_app_is_for_signed_in_users(client: Client, world: World) -> None:
    response = client.get("/field/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    page = client_for(world.personas.inspector).get("/field/").content.decode()
    assert 'data-testid="field-form"' in page and 'capture="environment"' in page
    # My stations: the inspector's county only.
    assert "دبستان فردوسی" in page and "مسجد جامع" not in page
    stations = client_for(world.personas.inspector).get("/field/stations.json").json()
    assert [s["code"] for s in stations["stations"]] == ["2310-0042"]


def _field_post(client: Client, world: World, key: str | None, **values: Any) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"category": world.category("vote_buying").pk, "station_code": "2310-0042",
            "county": "", "text": "پخش پول جلوی شعبه",
            "evidence": SimpleUploadedFile("photo.png", PNG, content_type="image/png")}
    data.update(values)
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/field/reports/", data, headers=headers)


def test_field_report_is_stored_once_with_its_photo(world: World) -> None:
    client = client_for(world.personas.inspector)
    first = _field_post(client, world, "k-1")
    assert first.status_code == 201
    again = _field_post(client, world, "k-1")
    assert again.status_code == 200
    assert again.json()["reference"] == first.json()["reference"]
    report = Report.objects.get()
    assert report.submitted_by == world.personas.inspector
    assert report.station == world.gharchak_station and report.evidence.count() == 1
    # Another key is another report.
    assert _field_post(client, world, "k-2").status_code == 201
    assert Report.objects.count() == 2


def test_field_report_refusals_store_nothing(world: World) -> None:
    client = client_for(world.personas.inspector)
    missing = _field_post(client, world, None)
    assert missing.status_code == 400 and missing.json()["errors"]
    outside = _field_post(client, world, "k-3", station_code="815-0007")
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "station_code"
    empty = _field_post(client, world, "k-4", text="")
    assert empty.status_code == 422
    assert Report.objects.count() == 0


def test_field_report_needs_a_session(client: Client, world: World) -> None:
    response = _field_post(client, world, "k-5")
    assert response.status_code == 302
    assert Report.objects.count() == 0


@pytest.mark.parametrize("url", ["/", "/find/", "/open-data/", "/open-data/dictionary/",
                                 "/awareness/", "/report/", "/report/status/"])
def test_public_pages_in_english_too(client: Client, published: World, settings: Any,
                                     url: str) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200
    assert '<html lang="en" dir="ltr">' in response.content.decode()


def test_open_data_list_queries_do_not_grow(client: Client, published: World,
                                            django_assert_max_num_queries: Any) -> None:
    for n in range(20):
        Station.objects.create(election=published.election, county=published.geo.gharchak,
                               unit=published.geo.gharchak_city,
                               unit_path=published.geo.gharchak_city.path,
                               code=f"1{n:03d}", name=f"شعبه {n}")
    with django_assert_max_num_queries(6):
        _text(client.get("/open-data/stations.csv"))
    client.get("/find/", {"q": "کرمان"})  # reads the places with stations once
    with django_assert_max_num_queries(7):
        client.get("/find/", {"q": "قرچک"})
    with django_assert_max_num_queries(8):  # no exact match: a second, approximate search
        client.get("/find/", {"q": "قرچق"})


def test_field_app_links_the_police_to_their_cases(world: World) -> None:
    police = client_for(world.personas.police).get("/field/").content.decode()
    assert 'data-testid="field-cases"' in police and 'data-testid="nav-field"' in police
    inspector = client_for(world.personas.inspector).get("/field/").content.decode()
    assert 'data-testid="field-cases"' not in inspector


def test_station_names_and_addresses_show_persian_digits(client: Client, published: World
                                                         ) -> None:
    """User review 2026-12: the finder and the field app showed «کوچه 15، پلاک 131» and
    «2321-0001» in Latin digits on Persian pages (free text goes through fatext)."""
    Station.objects.filter(pk=published.gharchak_station.pk).update(
        name="دبستان فردوسی 2", address="خیابان امام، کوچه 15، پلاک 131")
    found = client.get("/find/", {"q": "قرچک"}).content.decode()
    field = client_for(published.personas.inspector).get("/field/").content.decode()
    for page in (found, field):
        assert "کوچه ۱۵، پلاک ۱۳۱" in page and "کوچه 15" not in page
        assert "دبستان فردوسی ۲" in page
        assert "۲۳۱۰" in page and "۰۰۴۲" in page


def test_finder_finds_a_station_by_its_full_code(client: Client, published: World) -> None:
    """User review 2026-12: the code the finder shows, «۲۳۱۰-۰۰۴۲», found nothing."""
    for query in ("2310-0042", "۲۳۱۰-۰۰۴۲", "2310-42"):
        page = client.get("/find/", {"q": query}).content.decode()
        assert "دبستان فردوسی" in page and "مسجد جامع" not in page, query


def test_field_app_lists_my_cases(world: World) -> None:
    """The field app shows a field user's own cases: those holding a report they filed,
    and for a police officer those routed to the police; never another's."""
    from amanat.incidents import services as incident_services
    from amanat.incidents.models import Case

    inspector = client_for(world.personas.inspector)
    assert 'data-testid="no-cases"' in inspector.get("/field/").content.decode()
    _field_post(inspector, world, "c-1")
    mine = incident_services.case_open_from_report(report=Report.objects.get(),
                                                   actor=world.personas.gharchak_governor)
    # A case from someone else's report, in the same county, not routed to the police.
    public_report = Report.objects.create(
        election=world.election, channel="web", category=world.category("vote_buying"),
        unit=world.geo.gharchak_city, unit_path=world.geo.gharchak_city.path,
        text="گزارش دیگری")
    other = incident_services.case_open_from_report(report=public_report,
                                                    actor=world.personas.gharchak_governor)
    Case.objects.filter(pk=other.pk).update(agency=None)
    page = inspector.get("/field/").content.decode()
    # The inspector follows the status of the case of their report (without the right to
    # read cases, so without a link to the case page), and sees no other case.
    assert 'data-testid="my-cases"' in page
    assert _plain(mine.number) in page and _plain(other.number) not in page
    assert f"/incidents/cases/{mine.pk}/" not in page
    # The police officer sees the case routed to the police, not the unrouted one.
    from amanat.accounts.models import Membership

    police_agency = Membership.objects.filter(user=world.personas.police).first().agency_id
    Case.objects.filter(pk=mine.pk).update(agency_id=police_agency)  # routed to the police
    police = client_for(world.personas.police).get("/field/").content.decode()
    assert f"/incidents/cases/{mine.pk}/" in police
    assert _plain(other.number) not in police


def _plain(number: str) -> str:
    """A case number as the Persian page writes it: a code with Latin letters in it all
    Latin, as it is typed (``core.templatetags.persian.code_text``)."""
    from django.utils import translation

    from amanat.core.templatetags.persian import code_text

    with translation.override("fa"):
        return code_text(number)
