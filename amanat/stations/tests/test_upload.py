"""Uploading station spreadsheets through the page, the error report, and exports."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.stations.models import Station
from amanat.stations.tests.conftest import Registry
from amanat.stations.tests.test_views import client_for

IMPORT = reverse("stations:import")
HEADER = "کد شعبه,کد شهرستان,نام,دوربین,تعداد دوربین,برق اضطراری\n"
GOOD = HEADER + (
    "105,2310,شعبه تازه,زنده,۲,بله\n"
    "101,2310,دبستان فردوسی,زنده,2,بله\n"
    "102,2310,مسجد جامع,ندارد,0,بله\n"
)
BAD = HEADER + (
    "106,2310,,ندارد,0,بله\n"
    "107,2310,شعبه,زنده,0,بله\n"
    "108,2310,شعبه درست,زنده,1,بله\n"
)
OTHER_COUNTY = HEADER + (
    "109,2310,شعبه قرچک,زنده,1,بله\n"
    "203,815,شعبه کرمان,زنده,1,بله\n"
)


def upload(client: Client, registry: Registry, name: str, content: bytes | str,
           **extra: str) -> Any:
    data = content.encode() if isinstance(content, str) else content
    return client.post(IMPORT, {
        "election": registry.election.slug, "file": SimpleUploadedFile(name, data), **extra,
    })


def snapshot() -> list[dict[str, Any]]:
    return list(Station.objects.order_by("pk").values())


@pytest.fixture
def governor(registry: Registry, media_root: Any) -> Client:
    return client_for(registry.personas.gharchak_governor)


def test_upload_page_needs_create_access(registry: Registry) -> None:
    assert client_for(registry.personas.police).get(IMPORT).status_code == 404
    assert client_for(registry.personas.auditor).get(IMPORT).status_code == 404
    page = client_for(registry.personas.gharchak_governor).get(IMPORT)
    assert page.status_code == 200
    assert page.context["form"].initial["election"] == registry.election.slug


def test_good_csv_creates_and_updates(registry: Registry, governor: Client) -> None:
    response = upload(governor, registry, "stations.csv", GOOD)
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (1, 1, 1)
    assert "import-done" in response.content.decode()
    created = Station.objects.get(code="0105")
    assert (created.county, created.cameras) == (registry.geo.gharchak, 2)
    assert Station.objects.get(pk=registry.g_no_cctv.pk).name == "مسجد جامع"
    event = Event.objects.get(action="station.import")
    assert event.actor_name == "gharchak_governor"


def test_dry_run_writes_nothing(registry: Registry, governor: Client) -> None:
    before = snapshot()
    response = upload(governor, registry, "stations.csv", GOOD, dry_run="on")
    report = response.context["report"]
    assert report.dry_run and (report.created, report.updated) == (1, 1)
    assert snapshot() == before
    assert not Event.objects.filter(action="station.import").exists()


def test_good_xlsx(registry: Registry, media_root: Any) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for line in GOOD.splitlines():
        sheet.append(line.split(","))
    sheet.append(["302", "809", "شعبه رفسنجان", "ضبط", 1, "خیر"])
    buffer = io.BytesIO()
    book.save(buffer)
    admin = client_for(registry.personas.admin)
    response = upload(admin, registry, "stations.xlsx", buffer.getvalue())
    report = response.context["report"]
    assert not report.rejected, report.errors
    assert (report.created, report.updated, report.unchanged) == (2, 1, 1)
    assert Station.objects.get(code="0302").county == registry.geo.rafsanjan


def test_bad_file_lists_errors_in_persian_and_writes_nothing(
    registry: Registry, governor: Client, media_root: Any
) -> None:
    before = snapshot()
    response = upload(governor, registry, "my stations.csv", BAD)
    assert snapshot() == before
    body = response.content.decode()
    assert "import-rejected" in body
    errors = response.context["errors"]
    assert {(e["row"], e["column"]) for e in errors} == {(2, "نام"), (3, "تعداد دوربین")}
    assert "نام شعبه لازم است" in body
    assert "شعبه دارای دوربین مدار بسته باید دست‌کم یک دوربین داشته باشد" in body
    assert not Event.objects.filter(action="station.import").exists()
    # Kept under a generated name, never the user's.
    stored = response.context["stored"]
    files = sorted(p.name for p in (media_root / "imports" / stored.id).iterdir())
    assert files == ["errors.csv", "meta.json", "upload.csv"]


def test_bad_file_errors_in_english(registry: Registry, media_root: Any) -> None:
    client = client_for(registry.personas.gharchak_governor, "en")
    response = upload(client, registry, "s.csv", BAD)
    messages = [e["message"] for e in response.context["errors"]]
    assert "name is required" in messages


def test_error_report_download_and_who_may_read_it(
    registry: Registry, governor: Client
) -> None:
    response = upload(governor, registry, "s.csv", BAD)
    url = reverse("stations:import_errors", args=[response.context["stored"].id])
    assert governor.get(url).status_code == 405  # a GET never writes
    download = governor.post(url)
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    assert "s.csv" not in download["Content-Disposition"]
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-1] == "error / خطا"
    assert "نام شعبه لازم است" in rows[1][-1] and rows[3][-1] == ""
    p = registry.personas
    assert client_for(p.kerman_governor).post(url).status_code == 404
    assert client_for(p.police).post(url).status_code == 404
    assert client_for(p.outsider).post(url).status_code == 404
    # Those who may create stations over the uploader's whole county may read it.
    assert client_for(p.tehran_officer).post(url).status_code == 200
    assert client_for(p.admin).post(url).status_code == 200
    assert governor.post(reverse("stations:import_errors", args=["not-a-uuid"])).status_code == 404
    # Each download is in the audit log, with who took it; refused ones are not.
    downloads = Event.objects.filter(action="stations.import.errors_download")
    assert [(e.actor_name, e.object_id, e.unit_id) for e in downloads.order_by("seq")] == [
        (who.username, response.context["stored"].id, registry.geo.gharchak.pk)
        for who in (p.gharchak_governor, p.tehran_officer, p.admin)]
    assert audit_chain_problem() is None


def test_governor_may_not_import_rows_for_another_county(
    registry: Registry, governor: Client
) -> None:
    before = snapshot()
    response = upload(governor, registry, "s.csv", OTHER_COUNTY)
    assert snapshot() == before
    errors = response.context["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [(3, "کد شهرستان")]
    assert "خارج از حوزه دسترسی شما" in errors[0]["message"]
    english = upload(client_for(registry.personas.gharchak_governor, "en"), registry, "s.csv",
                     OTHER_COUNTY)
    assert "outside your area" in english.context["errors"][0]["message"]


def test_unreadable_upload_is_refused(registry: Registry, governor: Client) -> None:
    response = upload(governor, registry, "s.pdf", "x")
    assert response.context["form"].errors["file"]
    response = upload(governor, registry, "s.xlsx", b"not a zip")
    assert response.context["report"].rejected


# --- export ------------------------------------------------------------------------------


def csv_rows(response: Any) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_export_csv_is_scoped_filtered_and_audited(registry: Registry) -> None:
    client = client_for(registry.personas.gharchak_governor)
    assert client.get(reverse("stations:export_csv")).status_code == 405  # GET never writes
    response = client.post(reverse("stations:export_csv"))
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0][0] == "کد شعبه"
    assert sorted(r[0] for r in rows[1:]) == ["101", "102", "103", "104"]
    event = Event.objects.get(action="station.export")
    assert event.actor_name == "gharchak_governor"
    assert event.extra["format"] == "csv" and event.extra["election"] == "councils-1405"
    filtered = csv_rows(client.post(reverse("stations:export_csv") + "?ready=no"))
    assert sorted(r[0] for r in filtered[1:]) == ["102", "103", "104"]
    assert Event.objects.filter(action="station.export").count() == 2
    assert Event.objects.filter(action="station.export").last().extra["filters"] == {  # type: ignore[union-attr]
        "ready": "no"
    }


def test_export_xlsx_national(registry: Registry) -> None:
    response = client_for(registry.personas.auditor).post(reverse("stations:export_xlsx"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet is not None and sheet.max_row == 8
    assert Event.objects.get(action="station.export").extra["format"] == "xlsx"


def test_export_denied_to_view_only_roles(registry: Registry) -> None:
    for persona in (registry.personas.police, registry.personas.inspector):
        client = client_for(persona)
        assert client.post(reverse("stations:export_csv")).status_code == 404
        assert client.post(reverse("stations:export_xlsx")).status_code == 404
    assert not Event.objects.filter(action="station.export").exists()
