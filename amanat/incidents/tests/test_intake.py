"""Intake from every channel but the API (amanat/intake/tests): SMS (signature, dedupe,
errors), public form (honeypot, fill time, rate limit), evidence checks and the scoped
download."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amanat.accounts.services import api_token_issue
from amanat.accounts.testing import in_language
from amanat.audit.models import Event
from amanat.incidents import evidence, services
from amanat.incidents.models import Evidence, Report
from amanat.incidents.spam import form_token
from amanat.incidents.tests.conftest import World, client_for, public_form, sms_post

pytestmark = pytest.mark.django_db

API = "/api/v1/incidents/reports"
BODY = {"category": "VB", "station_code": "2310-0042", "text": "پول در ازای رأی"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


# --- SMS ----------------------------------------------------------------------------------


def test_sms_report_is_stored_once_per_message_id(world: World) -> None:
    body = {"message_id": "gw-1", "sender": "+989120000000",
            "text": "VB ۲۳۱۰-۰۰۴۲ خرید رأی جلوی مدرسه"}
    response = sms_post(Client(), body)
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["ok"] and not data["duplicate"] and data["reference"] in data["reply"]
    report = Report.objects.get()
    assert report.channel == "sms" and report.station == world.gharchak_station
    assert report.text == "خرید رأی جلوی مدرسه" and report.client_key == "gw-1"
    retry = sms_post(Client(), body)
    assert retry.json()["reference"] == data["reference"] and retry.json()["duplicate"]
    assert Report.objects.count() == 1
    assert Event.objects.filter(action="incidents.report.receive").count() == 1


def test_sms_signature_is_required(world: World) -> None:
    body = {"message_id": "gw-2", "text": "VB 2310-0042 متن"}
    assert sms_post(Client(), body, secret="wrong").status_code == 401
    assert sms_post(Client(), body, signature="").status_code == 401
    assert Report.objects.count() == 0


@pytest.mark.parametrize(("text", "error", "persian"), [
    ("VB 2310-9999 متن", "unknown_station", "شعبه «2310-9999» یافت نشد"),
    ("XX 2310-0042 متن", "unknown_category", "کد تخلف «XX» شناخته نیست"),
    ("VB 2310-0042", "format", "قالب پیامک درست نیست"),
])
def test_sms_errors_are_specific_in_persian(world: World, text: str, error: str,
                                            persian: str) -> None:
    response = sms_post(Client(), {"message_id": "gw-3", "text": text})
    assert response.status_code == 422
    assert response.json()["error"] == error and persian in response.json()["reply"]
    assert Report.objects.count() == 0


def test_sms_bad_body(world: World) -> None:
    response = sms_post(Client(), {"text": "VB 2310-0042 x"})
    assert response.status_code == 400


# --- public form --------------------------------------------------------------------------


def test_public_form_page_has_a_honeypot_and_a_token(world: World) -> None:
    page = Client().get(reverse("public_report"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="website"' in html and 'class="amanat-hp"' in html and 'name="token"' in html


def test_public_form_contact_is_optional_and_kept_out_of_the_log(world: World) -> None:
    response = Client().post(reverse("public_report"),
                             public_form(world, contact="0912 000 0000"))
    report = Report.objects.get(reference=response.context["reference"])
    assert report.contact == "0912 000 0000"
    assert "0912" not in str(Event.objects.get(action="incidents.report.receive").after)


def test_public_form_honeypot_refuses(world: World) -> None:
    response = Client().post(reverse("public_report"), public_form(world, website="spam"))
    assert response.status_code == 200 and response.context["form"].errors
    assert Report.objects.count() == 0


def test_public_form_too_fast_or_forged_token(world: World, settings: Any) -> None:
    settings.AMANAT_PUBLIC_FORM_MIN_SECONDS = 3
    fast = Client().post(reverse("public_report"), public_form(world, token=form_token()))
    assert "too_fast" in [e.code for e in fast.context["form"].non_field_errors().as_data()]
    forged = Client().post(reverse("public_report"), public_form(world, token="x:y"))
    assert forged.context["form"].errors
    ok = Client().post(reverse("public_report"),
                       public_form(world, token=form_token(issued_at=0.0 + 1e9)))
    assert ok.context["reference"]
    assert Report.objects.count() == 1


def test_public_form_is_rate_limited_per_address(world: World, settings: Any) -> None:
    settings.AMANAT_PUBLIC_REPORT_LIMIT = 2
    client = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(2):
        assert client.post(reverse("public_report"), public_form(world)).status_code == 200
    blocked = client.post(reverse("public_report"), public_form(world))
    assert blocked.status_code == 429
    assert Report.objects.count() == 2
    other = Client(REMOTE_ADDR="10.0.0.2").post(reverse("public_report"), public_form(world))
    assert other.status_code == 200
    assert Report.objects.count() == 3


def test_public_form_needs_a_place(world: World) -> None:
    response = Client().post(reverse("public_report"), public_form(world, station_code=""))
    assert "county" in response.context["form"].errors
    response = Client().post(reverse("public_report"),
                             public_form(world, station_code="2310-7777"))
    assert "station_code" in response.context["form"].errors
    response = Client().post(reverse("public_report"),
                             public_form(world, station_code="", county=world.geo.kerman_county.pk))
    report = Report.objects.get(reference=response.context["reference"])
    assert report.unit == world.geo.kerman_county and report.station is None


def test_status_lookup_unknown_reference(world: World) -> None:
    response = Client().get(reverse("public_report_status"), {"reference": "R-AAAAAAAAAA"})
    assert response.status_code == 200 and not response.context["result"]["found"]


# --- evidence -----------------------------------------------------------------------------


def test_evidence_types_are_read_from_the_content() -> None:
    assert evidence.sniff(PNG) == ("png", "image/png")
    assert evidence.sniff(b"\xff\xd8\xff\xe0rest") == ("jpg", "image/jpeg")
    assert evidence.sniff(PDF) == ("pdf", "application/pdf")
    assert evidence.sniff("متن ساده".encode()) == ("txt", "text/plain")
    assert evidence.sniff(b"MZ\x90\x00\x03") is None  # an executable named .jpg
    assert evidence.sniff(b"<svg>\x00</svg>") is None


def test_public_upload_is_checked_and_stored_outside_static(world: World,
                                                            settings: Any) -> None:
    bad = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00binary", content_type="image/jpeg")
    response = Client().post(reverse("public_report"), {**public_form(world), "evidence": bad})
    assert "evidence" in response.context["form"].errors
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * evidence.MAX_BYTES)
    response = Client().post(reverse("public_report"), {**public_form(world), "evidence": big})
    assert "evidence" in response.context["form"].errors
    assert Report.objects.count() == 0

    good = SimpleUploadedFile("../../etc/passwd.png", PNG, content_type="text/html")
    response = Client().post(reverse("public_report"), {**public_form(world), "evidence": good})
    report = Report.objects.get(reference=response.context["reference"])
    stored = Evidence.objects.get(report=report)
    assert stored.content_type == "image/png" and stored.size == len(PNG)
    assert stored.file.name.startswith("evidence/") and stored.file.name.endswith(".png")
    assert "passwd" not in stored.file.name
    path = settings.MEDIA_ROOT / stored.file.name
    assert path.read_bytes() == PNG


def test_evidence_download_is_scoped(world: World) -> None:
    received = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="با پیوست",
        station=world.gharchak_station, actor=world.personas.gharchak_governor,
        evidence=[evidence.check_bytes(PDF, "proof.pdf")],
    )
    item = received.report.evidence.get()
    url = reverse("incidents:evidence", args=[item.pk])
    governor = client_for(world.personas.gharchak_governor)
    assert governor.get(url).status_code == 405  # a GET never writes
    response = governor.post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    downloads = Event.objects.filter(action="incidents.evidence.download")
    assert [(e.actor_name, e.object_id) for e in downloads] == [
        (world.personas.gharchak_governor.username, str(item.pk))]
    for who in ("kerman_governor", "outsider", "police", "inspector"):
        assert client_for(getattr(world.personas, who)).post(url).status_code == 404, who
    assert downloads.count() == 1  # refused downloads are not recorded as downloads
    assert Client().get(url).status_code == 302  # to sign-in
    # Once the case is routed to the police, the police officer may download it.
    case = services.case_open_from_report(report=received.report, actor=world.personas.admin)
    services.case_triage(case=case, actor=world.personas.admin)
    services.case_assign(case=case, actor=world.personas.admin)
    assert client_for(world.personas.police).post(url).status_code == 200


def test_staff_form_with_evidence(world: World) -> None:
    inspector = client_for(world.personas.inspector)
    upload = SimpleUploadedFile("note.txt", "یادداشت بازرس".encode())
    response = inspector.post(reverse("incidents:report_new"), {
        "category": world.category("obstruction").pk, "station_code": "2310-0042",
        "text": "مانع ورود ناظران شدند", "evidence": upload,
    })
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.channel == "web" and report.submitted_by == world.personas.inspector
    assert report.evidence.get().content_type == "text/plain"
    # A Kerman station is outside the inspector's area.
    response = inspector.post(reverse("incidents:report_new"), {
        "category": world.category("obstruction").pk, "station_code": "815-0007",
        "text": "x",
    })
    assert "station_code" in response.context["form"].errors
    assert Report.objects.count() == 1


# --- free text is cleaned at every interface ----------------------------------------------

SPOOF = "\ufeffپول\u200b در\u202e 01 تعاس\u202c ازای\u2066 رأی\u2069 می\u200c\u200cدادند\r\nخط دوم"
CLEAN = "پول در 01 تعاس ازای رأی می\u200cدادند\nخط دوم"


def api_post(world: World, body: dict[str, Any], key: str, user: Any = None) -> Any:
    """The report API through the test client, for checks of what it stores; its own
    tests (amanat/intake/tests) go through the served application with group commit on."""
    user = user or world.personas.inspector
    _, token = api_token_issue(user=user, name="device", ttl_days=1, actor=user)
    return Client().post(API, data=body, content_type="application/json",
                         headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key})


def test_bidi_and_invisible_characters_never_reach_staff(world: World) -> None:
    """The public form, the staff form, the API and SMS store the same cleaned text:
    no override can reverse what staff read, no zero-width character hides in it."""
    public = Client().post(reverse("public_report"),
                           public_form(world, text=SPOOF, contact="\u202e0912"))
    assert public.status_code == 200 and "reference" in public.context
    staff = client_for(world.personas.inspector).post(reverse("incidents:report_new"), {
        "category": world.category("vote_buying").pk, "station_code": "2310-0042",
        "text": SPOOF})
    assert staff.status_code == 302
    assert api_post(world, {**BODY, "text": SPOOF}, "clean-1").status_code == 201
    sms = sms_post(Client(), {"message_id": "clean-1", "text": f"VB 2310-0042 {SPOOF}"})
    assert sms.status_code == 200, sms.content
    reports = list(Report.objects.order_by("pk"))
    assert [r.channel for r in reports] == ["public", "web", "api", "sms"]
    assert {r.text for r in reports} == {CLEAN}
    assert reports[0].contact == "0912"
    page = client_for(world.personas.gharchak_governor).get(
        reverse("incidents:report", args=[reports[0].pk])).content.decode()
    assert "\u202e" not in page and "\u200b" not in page


# --- the public form's token is single-use --------------------------------------------------


def test_a_replayed_public_form_is_refused_and_writes_nothing(world: World) -> None:
    from amanat.incidents import spam
    from amanat.incidents.models import UsedFormToken

    data = public_form(world)
    first = Client(REMOTE_ADDR="10.0.1.1").post(reverse("public_report"), data)
    assert first.context["reference"]
    reports, events = Report.objects.count(), Event.objects.count()
    replay = in_language(Client(REMOTE_ADDR="10.0.1.2"), "en").post(
        reverse("public_report"), data)
    assert replay.status_code == 200 and "reference" not in replay.context
    errors = replay.context["form"].non_field_errors().as_data()
    assert [e.code for e in errors] == ["used"]
    assert "already been sent" in str(errors[0].message)
    assert (Report.objects.count(), Event.objects.count()) == (reports, events)
    # A race past the form's check: the second spend of one token fails at the database.
    token = spam.form_token(issued_at=0.0 + 1e9)
    assert spam.token_spend(token) and not spam.token_spend(token)
    assert spam.token_problem(token) == "used"
    assert UsedFormToken.objects.count() == 2


def test_a_refused_public_form_does_not_spend_its_token(world: World) -> None:
    data = public_form(world, station_code="", county="")
    refused = Client().post(reverse("public_report"), data)
    assert refused.context["form"].errors and Report.objects.count() == 0
    county = world.gharchak_station.county_id
    fixed = Client().post(reverse("public_report"), {**data, "county": county})
    assert fixed.context["reference"] and Report.objects.count() == 1
