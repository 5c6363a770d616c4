"""The database storage (amanat/files/storage.py, decision 0006): its own behaviour, and
the pages that keep files (evidence, a rejected station upload and its error report)
working with it as the default storage, nothing written to MEDIA_ROOT."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse

from amanat.audit.models import Event
from amanat.files.models import StoredFile
from amanat.files.storage import DatabaseStorage
from amanat.incidents import evidence, services
from amanat.incidents.models import Evidence, Report
from amanat.incidents.tests.conftest import World, client_for, public_form
from amanat.incidents.tests.conftest import world as world

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


@pytest.fixture
def database_storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "amanat.files.storage.DatabaseStorage"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    assert isinstance(default_storage, DatabaseStorage)
    return settings.MEDIA_ROOT


def test_save_open_list_delete() -> None:
    storage = DatabaseStorage()
    name = storage.save("evidence/a.png", ContentFile(PNG))
    assert name == "evidence/a.png" and storage.exists(name) and storage.size(name) == len(PNG)
    with storage.open(name) as handle:
        assert handle.read() == PNG
    # The same name again gets another name; nothing is overwritten.
    other = storage.save("evidence/a.png", ContentFile(b"other"))
    assert other != name and other.startswith("evidence/a_") and storage.open(name).read() == PNG
    storage.save("imports/x/meta.json", ContentFile(b"{}"))
    assert storage.listdir("") == (["evidence", "imports"], [])
    assert storage.listdir("evidence") == ([], sorted([name.split("/")[1], other.split("/")[1]]))
    assert storage.get_modified_time(name) is not None
    storage.delete(name)
    assert not storage.exists(name)
    with pytest.raises(FileNotFoundError):
        storage.open(name)
    with pytest.raises(FileNotFoundError):
        storage.size(name)
    with pytest.raises(ValueError, match="save"):
        storage.open(other, "wb")


def test_a_file_rolls_back_with_its_record() -> None:
    storage = DatabaseStorage()
    with pytest.raises(RuntimeError), transaction.atomic():
        storage.save("evidence/gone.png", ContentFile(PNG))
        raise RuntimeError("the record's write failed")
    assert not storage.exists("evidence/gone.png") and StoredFile.objects.count() == 0


def test_evidence_is_kept_in_the_database_and_downloads(world: World,
                                                        database_storage: Any) -> None:
    good = SimpleUploadedFile("photo.png", PNG, content_type="image/png")
    response = Client().post(reverse("public_report"), {**public_form(world), "evidence": good})
    report = Report.objects.get(reference=response.context["reference"])
    stored = Evidence.objects.get(report=report)
    assert StoredFile.objects.get(name=stored.file.name).size == len(PNG)
    received = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="با پیوست",
        station=world.gharchak_station, actor=world.personas.gharchak_governor,
        evidence=[evidence.check_bytes(PDF, "proof.pdf")],
    )
    item = received.report.evidence.get()
    url = reverse("incidents:evidence", args=[item.pk])
    response = client_for(world.personas.gharchak_governor).post(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert client_for(world.personas.kerman_governor).post(url).status_code == 404
    assert not database_storage.exists()  # nothing on this host's disk


def test_an_installation_switches_its_files_to_the_database(world: World, settings: Any,
                                                            tmp_path: Any) -> None:
    """Evidence stored on disk, copied with ``files-copy-media``, then served from the
    database storage under the same name; a second run copies nothing."""
    settings.MEDIA_ROOT = tmp_path / "media"
    received = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="با پیوست",
        station=world.gharchak_station, actor=world.personas.gharchak_governor,
        evidence=[evidence.check_bytes(PDF, "proof.pdf")])
    item = received.report.evidence.get()
    assert (tmp_path / "media" / item.file.name).read_bytes() == PDF
    assert StoredFile.objects.count() == 0
    out = StringIO()
    call_command("files_copy_media", stdout=out)
    assert "copied 1 files" in out.getvalue()
    event = Event.objects.get(action="files.copy_media")
    assert event.extra == {"copied": 1, "already_there": 0, "bytes": len(PDF)}
    call_command("files_copy_media", stdout=out)
    assert "copied 0 files" in out.getvalue() and StoredFile.objects.count() == 1

    settings.STORAGES = {**settings.STORAGES,
                         "default": {"BACKEND": "amanat.files.storage.DatabaseStorage"}}
    settings.MEDIA_ROOT = tmp_path / "elsewhere"  # another host: nothing on its disk
    response = client_for(world.personas.gharchak_governor).post(
        reverse("incidents:evidence", args=[item.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_a_rejected_station_upload_and_its_error_report(world: World,
                                                        database_storage: Any) -> None:
    bad = ("کد شعبه,کد شهرستان,نام,دوربین,تعداد دوربین,برق اضطراری\n"
           "106,2310,,ندارد,0,بله\n")
    governor = client_for(world.personas.gharchak_governor)
    response = governor.post(reverse("stations:import"), {
        "election": world.election.slug,
        "file": SimpleUploadedFile("s.csv", bad.encode())})
    stored = response.context["stored"]
    assert sorted(StoredFile.objects.values_list("name", flat=True)) == [
        f"imports/{stored.id}/{name}" for name in ("errors.csv", "meta.json", "upload.csv")]
    download = governor.post(reverse("stations:import_errors", args=[stored.id]))
    assert download.status_code == 200
    assert "error / خطا" in b"".join(download.streaming_content).decode("utf-8-sig")
    other = client_for(world.personas.kerman_governor)
    assert other.post(reverse("stations:import_errors", args=[stored.id])).status_code == 404
    assert not database_storage.exists()
