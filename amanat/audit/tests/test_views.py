"""The auditor's pages: who may read the log, filtering, download and its own event."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.audit.services import audit_checkpoint_create, audit_record
from amanat.verify import main as verify_main


@pytest.fixture
def logged(personas: Any, small_geo: Any) -> list[Event]:
    governor = personas.gharchak_governor
    return [
        audit_record(action="station.update", actor=governor, unit=small_geo.gharchak,
                     object_type="stations.station", object_id=7,
                     before={"cctv": "none"}, after={"cctv": "live"}),
        audit_record(action="station.update", actor=personas.kerman_governor,
                     unit=small_geo.kerman_county, object_type="stations.station", object_id=9,
                     before={"cctv": "none"}, after={"cctv": "recorded"}),
    ]


def _rows(response: Any) -> list[Event]:
    return list(response.context["page"].object_list)


def test_auditor_reads_and_filters_the_log(client: Client, personas: Any, small_geo: Any,
                                          logged: list[Event]) -> None:
    sign_in(client, personas.auditor)
    everything = _rows(client.get(reverse("audit:events")))
    assert {e.seq for e in logged} <= {e.seq for e in everything}

    by_unit = _rows(client.get(reverse("audit:events"), {"unit": small_geo.kerman_province.pk}))
    assert [e.object_id for e in by_unit] == ["9"]

    by_object = _rows(client.get(reverse("audit:events"),
                                 {"object_type": "stations.station", "object_id": "7"}))
    assert [e.actor_name for e in by_object] == [personas.gharchak_governor.username]

    by_actor = _rows(client.get(reverse("audit:events"), {"actor": "kerman"}))
    assert {e.object_id for e in by_actor if e.action == "station.update"} == {"9"}


def test_a_bad_filter_shows_the_error_and_no_rows(client: Client, personas: Any,
                                                  logged: list[Event]) -> None:
    sign_in(client, personas.auditor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the user chose English
    response = client.get(reverse("audit:events"), {"since": "1404/13/01"})
    assert response.status_code == 200
    assert _rows(response) == []
    assert "month" in response.content.decode()


@pytest.mark.parametrize("who", ["gharchak_governor", "tehran_officer", "police", "outsider"])
def test_the_log_is_hidden_from_other_roles(client: Client, personas: Any, who: str,
                                            logged: list[Event]) -> None:
    sign_in(client, getattr(personas, who))
    assert client.get(reverse("audit:events")).status_code == 404
    before = Event.objects.exclude(action="access.denied").count()
    assert client.post(reverse("audit:export")).status_code == 404
    # A refused download is not an export: nothing but a denial may be recorded.
    assert not Event.objects.filter(action="audit.export").exists()
    assert Event.objects.exclude(action="access.denied").count() == before


def test_download_is_audited_and_verifies(client: Client, personas: Any, logged: list[Event],
                                          tmp_path: Any, settings: Any) -> None:
    settings.AMANAT_AUDIT_KEY = tmp_path / "audit.pem"
    from amanat.audit.services import audit_keygen

    public_key = audit_keygen()
    checkpoint = audit_checkpoint_create()
    sign_in(client, personas.auditor)
    assert client.get(reverse("audit:export")).status_code == 405  # a GET never writes
    response = client.post(reverse("audit:export"))
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(lines) + 1))
    assert Event.objects.filter(action="audit.export", actor_name="national_auditor").exists()

    log = tmp_path / "log.jsonl"
    log.write_text(body, encoding="utf-8")
    cp = tmp_path / "cp.txt"
    cp.write_text(client.get(reverse("audit:checkpoint", args=[checkpoint.pk])).content.decode(),
                  encoding="utf-8")
    assert verify_main([str(log), str(cp), "--public-key", public_key]) == 0


def test_object_pages_link_to_their_history(client: Client, personas: Any,
                                            small_geo: Any) -> None:
    sign_in(client, personas.admin)
    html = client.get(reverse("geo:unit", args=[small_geo.gharchak.pk])).content.decode()
    assert f"object_type=geo.adminunit&amp;object_id={small_geo.gharchak.pk}" in html
    sign_in(client, personas.gharchak_governor)
    html = client.get(reverse("geo:unit", args=[small_geo.gharchak.pk])).content.decode()
    assert 'data-testid="history-link"' not in html


def test_typed_values_in_lists_and_mappings_are_escaped(client: Client, personas: Any,
                                                        small_geo: Any) -> None:
    """What people typed reaches the log inside lists and mappings too (an export's
    filters, several names): the auditor's page shows it as text, never as markup."""
    audit_record(action="station.export", actor=personas.gharchak_governor,
                 unit=small_geo.gharchak, object_type="stations.station",
                 extra={"filters": {"q": "<b id=injected>شعبه</b>"}, "format": "csv"})
    audit_record(action="station.update", actor=personas.gharchak_governor,
                 unit=small_geo.gharchak, object_type="stations.station", object_id=7,
                 after={"names": ["<i id=listed>مسجد</i>", "دبستان"]})
    sign_in(client, personas.auditor)
    html = client.get(reverse("audit:events")).content.decode()
    assert "<b id=injected>" not in html and "<i id=listed>" not in html
    assert "&lt;b id=injected&gt;شعبه&lt;/b&gt;" in html
    assert "&lt;i id=listed&gt;مسجد&lt;/i&gt;" in html
