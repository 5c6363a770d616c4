"""Staff pages: the scoped list (constant query count), the dossier with eligibility and
documents, confirmation, document rejection and audited downloads; a Kerman officer
sees no Gharchak candidate anywhere."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.candidates import services
from amanat.candidates.files import check_bytes
from amanat.candidates.models import Candidacy, Channel, Document, DocumentType, State
from amanat.candidates.tests.conftest import World, nid, receive_documents
from amanat.stations.models import Station, TokenStation

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 test"


def _register(world: World, n: int, *, county: Any = None, city: Any = None,
              channel: str = Channel.ONLINE, education: int = 6) -> Candidacy:
    county = county or world.geo.gharchak
    city = city or world.geo.gharchak_city
    return services.candidacy_register(
        actor=None if channel == Channel.ONLINE else world.personas.admin,
        contest=world.city_council, constituency=world.city(city), channel=channel,
        person=services.PersonData(
            national_id=nid(n), first_name=f"نام{n}", last_name="کریمی", father_name="علی",
            gender="male", birth_date=datetime.date(1980, 1, 1), education=education,
            residence_years=3, mobile="09121112233"))


def _token(user: Any) -> dict[str, str]:
    from amanat.accounts import services as accounts

    _token, plaintext = accounts.api_token_issue(user=user, name="t", ttl_days=1, actor=user)
    return {"Authorization": f"Bearer {plaintext}"}


def _doc_type(code: str) -> DocumentType:
    return DocumentType.objects.get(contest_kind="city_council", code=code)


def test_list_is_scoped_filtered_and_constant_in_queries(
        world: World, client: Client, django_assert_max_num_queries: Any) -> None:
    for n in range(3):
        _register(world, n)
    kerman = _register(world, 100, county=world.geo.kerman_county, city=world.geo.kerman_city)
    sign_in(client, world.personas.admin)
    url = reverse("candidates:list")
    client.get(url)
    with django_assert_max_num_queries(14):
        html = client.get(url).content.decode()
    assert html.count('data-testid="candidate-row"') == 4
    for n in range(3, 23):
        _register(world, n)
    with django_assert_max_num_queries(14):
        html = client.get(url).content.decode()
    assert html.count('data-testid="candidate-row"') == 24
    # Filters: county, state, text (a national ID, Persian digits and all).
    html = in_language(client, "en").get(
        url, {"county": world.geo.kerman_county.pk}).content.decode()
    assert html.count('data-testid="candidate-row"') == 1 and kerman.reference in html
    assert client.get(url, {"state": "registered"}).content.decode().count(
        'data-testid="candidate-row"') == 0
    html = client.get(url, {"q": nid(100)}).content.decode()
    assert html.count('data-testid="candidate-row"') == 1


def test_a_kerman_officer_sees_no_gharchak_candidate(world: World, client: Client) -> None:
    gharchak = _register(world, 1)
    document = services.document_upload(actor=None, candidacy=gharchak,
                                        document_type=_doc_type("id_card"),
                                        checked=check_bytes(PDF, "id.pdf"))
    kerman = _register(world, 2, county=world.geo.kerman_county, city=world.geo.kerman_city)
    sign_in(client, world.personas.kerman_governor)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("candidates:list")).content.decode()
    assert kerman.reference in html and gharchak.reference not in html
    html = client.get(reverse("candidates:list"), {"q": gharchak.national_id}).content.decode()
    assert gharchak.reference not in html
    assert client.get(reverse("candidates:detail", args=[gharchak.pk])).status_code == 404
    assert client.post(reverse("candidates:confirm", args=[gharchak.pk])).status_code == 404
    assert client.post(reverse("candidates:document", args=[document.pk])).status_code == 404
    assert client.post(reverse("candidates:document_reject", args=[document.pk]),
                       {"reason": "x"}).status_code == 404
    gharchak.refresh_from_db()
    assert gharchak.state == State.PRE_REGISTERED
    assert Event.objects.filter(action="access.denied").count() == 4
    # The API too.
    headers = _token(world.personas.kerman_governor)
    response = client.get("/api/v1/candidates", {"election": world.election.slug},
                          headers=headers)
    assert response.status_code == 200
    assert gharchak.reference not in response.content.decode()
    assert kerman.reference in response.content.decode()
    assert client.get(f"/api/v1/candidates/{gharchak.pk}", headers=headers).status_code == 404


def test_dossier_confirm_reject_and_download(world: World, client: Client) -> None:
    candidacy = _register(world, 1, education=3)  # a diploma: the city rule wants a degree
    sign_in(client, world.personas.gharchak_governor)
    url = reverse("candidates:detail", args=[candidacy.pk])
    html = in_language(client, "en").get(url).content.decode()
    assert 'data-verdict="not_met"' in html  # education
    assert 'data-verdict="needs_document"' in html  # age proven by the birth certificate
    assert 'data-status="missing"' in html
    # Not confirmed while the required documents are missing (user review F9).
    assert client.post(reverse("candidates:confirm", args=[candidacy.pk])).status_code == 302
    candidacy.refresh_from_db()
    assert candidacy.state == State.PRE_REGISTERED
    # Upload a birth certificate through the page; a PNG "degree" that is text is refused.
    with open(__file__, "rb") as not_a_pdf:
        client.post(reverse("candidates:document_upload", args=[candidacy.pk]),
                    {"document_type": _doc_type("degree").pk, "file": not_a_pdf})
    assert not Document.objects.exists()
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("candidates:document_upload", args=[candidacy.pk]),
                {"document_type": _doc_type("birth_certificate").pk,
                 "file": SimpleUploadedFile("bc.pdf", PDF)})
    document = Document.objects.get()
    html = client.get(url).content.decode()
    assert 'data-status="received"' in html
    # Rejection needs a reason.
    client.post(reverse("candidates:document_reject", args=[document.pk]), {"reason": ""})
    document.refresh_from_db()
    assert document.status == "received"
    client.post(reverse("candidates:document_reject", args=[document.pk]),
                {"reason": "ناخوانا"})
    document.refresh_from_db()
    assert (document.status, document.rejection_reason) == ("rejected", "ناخوانا")
    # Downloads: POST only, audited.
    assert client.get(reverse("candidates:document", args=[document.pk])).status_code == 405
    response = client.post(reverse("candidates:document", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert Event.objects.filter(action="candidates.document.download").count() == 1
    # Confirm the pre-registration once its required documents are received.
    receive_documents(client, candidacy)
    assert client.post(reverse("candidates:confirm", args=[candidacy.pk])).status_code == 302
    candidacy.refresh_from_db()
    assert candidacy.state == State.REGISTERED
    assert candidacy.confirmed_by == world.personas.gharchak_governor
    assert Event.objects.filter(action="candidates.candidacy.confirm").count() == 1


def test_an_auditor_reads_but_cannot_confirm(world: World, client: Client) -> None:
    candidacy = _register(world, 1)
    sign_in(client, world.personas.auditor)
    assert client.get(reverse("candidates:detail", args=[candidacy.pk])).status_code == 200
    assert client.post(reverse("candidates:confirm", args=[candidacy.pk])).status_code == 404
    candidacy.refresh_from_db()
    assert candidacy.state == State.PRE_REGISTERED


def test_the_api_lists_and_shows_candidates_in_scope(world: World, client: Client) -> None:
    candidacy = _register(world, 1)
    headers = _token(world.personas.gharchak_governor)
    response = client.get("/api/v1/candidates", {"election": world.election.slug},
                          headers=headers)
    assert response.status_code == 200
    (row,) = response.json()["items"]
    assert row["reference"] == candidacy.reference
    assert row["national_id"].endswith(candidacy.national_id[-4:])
    assert candidacy.national_id not in response.content.decode()  # masked in the list
    detail = client.get(f"/api/v1/candidates/{candidacy.pk}", headers=headers)
    assert detail.json()["state"] == "pre_registered"
    assert detail.json()["constituency"]["code"].startswith("CT-")
    # The detail is read by GET, unrecorded: masked too (the page reveals, recorded).
    assert detail.json()["national_id"] == "******" + candidacy.national_id[-4:]
    assert candidacy.national_id not in detail.content.decode()


def test_the_dossier_masks_the_national_id_and_mobile_until_an_audited_reveal(
        world: World) -> None:
    """The candidate's file showed the full national ID and mobile to every reader on a
    plain GET, unrecorded. Now masked; the registering office shows them with a POST that
    is recorded; the auditor cannot; a Kerman governor gets 404."""
    candidacy = _register(world, 1)
    url = reverse("candidates:detail", args=[candidacy.pk])
    governor = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")
    page = governor.get(url).content.decode()
    assert candidacy.national_id not in page and candidacy.mobile not in page
    assert "******" + candidacy.national_id[-4:] in page and 'data-testid="reveal"' in page
    assert not Event.objects.filter(action="candidates.candidacy.read").exists()
    page = governor.post(url, {"reveal": "1"}).content.decode()
    assert candidacy.national_id in page and candidacy.mobile in page
    read = Event.objects.get(action="candidates.candidacy.read")
    assert read.actor_id == world.personas.gharchak_governor.pk
    assert read.object_id == str(candidacy.pk)
    auditor = in_language(sign_in(Client(), world.personas.auditor), "en")
    page = auditor.post(url, {"reveal": "1"}).content.decode()
    assert candidacy.national_id not in page and 'data-testid="reveal"' not in page
    assert Event.objects.filter(action="candidates.candidacy.read").count() == 1
    kerman = sign_in(Client(), world.personas.kerman_governor)
    assert kerman.post(url, {"reveal": "1"}).status_code == 404
    assert Event.objects.filter(action="candidates.candidacy.read").count() == 1


def test_list_query_count_is_the_same_for_every_filter(world: World, client: Client) -> None:
    """County, state, text, page and their combinations: each page with rows costs the
    same queries as the unfiltered list (nothing per row, nothing per filter); a filter
    that finds nothing one fewer (no page of rows to read)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(30):
        _register(world, n)
    _register(world, 100, county=world.geo.kerman_county, city=world.geo.kerman_city)
    sign_in(client, world.personas.admin)
    url = reverse("candidates:list")
    gharchak, kerman = world.geo.gharchak.pk, world.geo.kerman_county.pk
    queries = [{}, {"page": 2}, {"page": 99}, {"county": gharchak}, {"county": kerman},
               {"state": "pre_registered"}, {"state": "qualified"}, {"q": "کریمی"},
               {"q": nid(100)}, {"q": "zzzz"}, {"county": gharchak, "state": "pre_registered"},
               {"county": kerman, "q": "نام"}, {"county": gharchak, "q": "zzzz"},
               {"state": "pre_registered", "q": nid(3)[:6]},
               {"county": gharchak, "state": "pre_registered", "q": "نام1", "page": 2}]
    client.get(url)
    counts, empty = {}, {}
    for query in queries:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, query)
        assert response.status_code == 200
        rows = response.content.decode().count('data-testid="candidate-row"')
        (counts if rows else empty)[str(query)] = len(captured)
    assert len(counts) >= 10 and len(set(counts.values())) == 1, counts
    assert set(counts.values()) <= set(range(1, 15)), counts
    assert empty and set(empty.values()) == {next(iter(counts.values())) - 1}, empty
    # A county outside the choices is refused as before (the list unfiltered).
    html = in_language(client, "en").get(url, {"county": 999999}).content.decode()
    assert "Select a valid choice" in html


def test_a_field_devices_token_reads_only_its_stations_counties(world: World,
                                                                 client: Client) -> None:
    """Attack review 2026-12 (plans): a token bound to stations (a field device) reached
    every candidacy of its user's scope through the API, with the full national ID."""
    from amanat.accounts import services as accounts

    gharchak = _register(world, 1)
    kerman = _register(world, 2, county=world.geo.kerman_county, city=world.geo.kerman_city)
    station = Station.objects.create(
        election=world.election, county=world.geo.kerman_county, unit=world.geo.kerman_city,
        unit_path=world.geo.kerman_city.path, code="0007", name="مسجد جامع")
    token, plaintext = accounts.api_token_issue(user=world.personas.admin, name="phone",
                                                ttl_days=1, actor=world.personas.admin)
    TokenStation.objects.create(token=token, station=station)
    device = {"Authorization": f"Bearer {plaintext}"}
    listed = client.get("/api/v1/candidates", {"election": world.election.slug},
                        headers=device).content.decode()
    assert kerman.reference in listed and gharchak.reference not in listed
    assert client.get(f"/api/v1/candidates/{gharchak.pk}", headers=device).status_code == 404
    assert client.get(f"/api/v1/candidates/{kerman.pk}", headers=device).status_code == 200
    # Unbound, the same user reads both.
    assert client.get(f"/api/v1/candidates/{gharchak.pk}",
                      headers=_token(world.personas.admin)).status_code == 200
