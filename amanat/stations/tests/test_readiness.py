"""Readiness: the one definition of "ready", the national and county pages, overdue fibre."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.stations import views
from amanat.stations.models import Station
from amanat.stations.services import station_update
from amanat.stations.tests.conftest import FIBRE_DUE, Registry
from amanat.stations.tests.test_views import client_for

READINESS = reverse("stations:readiness")
AFTER = FIBRE_DUE + datetime.timedelta(days=1)


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``pinned(day)`` makes the pages' today ``day``."""

    def pin(day: datetime.date) -> None:
        monkeypatch.setattr(views, "today", lambda: day)

    return pin


def figures(row: Any) -> tuple[Any, ...]:
    return (row.name, row.stations, row.cctv_pct, row.fibre_pct, row.power_pct, row.ready_pct,
            row.sensitive, row.overdue)


def test_queryset_and_property_agree(registry: Registry) -> None:
    ready = set(Station.objects.ready().values_list("code", flat=True))
    assert ready == {"101", "201", "301"}
    assert {s.code for s in Station.objects.all() if s.is_ready} == ready
    assert set(Station.objects.not_ready().values_list("code", flat=True)) == {
        "102", "103", "104", "202"
    }


def test_national_tables_after_the_deadline(
    registry: Registry, pinned: Any, count_queries: Any
) -> None:
    pinned(AFTER)
    client = client_for(registry.personas.admin)
    response = client.get(READINESS)
    assert response.status_code == 200
    counties = [figures(r) for r in response.context["counties"]]
    assert counties == [  # ranked by share ready
        ("رفسنجان", 1, 100.0, None, 100.0, 100.0, 0, 0),
        ("کرمان", 2, 100.0, None, 100.0, 50.0, 1, 0),
        ("قرچک", 4, 75.0, 33.3, 75.0, 25.0, 1, 1),
    ]
    provinces = [figures(r) for r in response.context["provinces"]]
    assert provinces == [
        ("کرمان", 3, 100.0, None, 100.0, 66.7, 1, 0),
        ("تهران", 4, 75.0, 33.3, 75.0, 25.0, 1, 1),
    ]
    total = response.context["total"]
    assert (total.stations, total.ready, total.overdue) == (7, 3, 1)
    body = response.content.decode()
    assert "۳۳٫۳٪" in body and "۱۰۰٪" in body  # Persian digits and decimal mark, no ".0"
    # One aggregate query per table, however many stations.
    before = count_queries(lambda: client.get(READINESS))
    for i in range(30):
        Station.objects.create(election=registry.election, county=registry.geo.rafsanjan,
                               code=f"5{i:02d}", name="x", unit_path=registry.geo.rafsanjan.path)
    assert count_queries(lambda: client.get(READINESS)) == before


def test_nothing_is_overdue_before_the_deadline(registry: Registry, pinned: Any) -> None:
    pinned(FIBRE_DUE)  # the due day itself is not yet overdue
    response = client_for(registry.personas.admin).get(READINESS)
    assert [r.overdue for r in response.context["counties"]] == [0, 0, 0]
    assert not response.context["deadline"].passed


def test_a_planned_date_or_a_connection_clears_overdue(registry: Registry, pinned: Any) -> None:
    pinned(AFTER)
    client = client_for(registry.personas.admin)
    station_update(station=registry.g_overdue,
                   data={"fibre": "planned", "fibre_date": datetime.date(2026, 4, 1)},
                   actor=registry.personas.admin)
    gharchak = next(r for r in client.get(READINESS).context["counties"] if r.code == "2310")
    assert gharchak.overdue == 0


def test_no_milestone_means_nothing_overdue(registry: Registry, pinned: Any) -> None:
    registry.election.milestones.all().delete()
    pinned(AFTER)
    response = client_for(registry.personas.admin).get(READINESS)
    assert response.context["deadline"].due is None
    assert sum(r.overdue for r in response.context["counties"]) == 0


def test_readiness_is_scoped(registry: Registry, pinned: Any) -> None:
    pinned(AFTER)
    response = client_for(registry.personas.gharchak_governor).get(READINESS)
    assert [r.name for r in response.context["counties"]] == ["قرچک"]
    assert [r.name for r in response.context["provinces"]] == ["تهران"]
    assert client_for(registry.personas.outsider).get(READINESS).status_code == 404


def test_changing_a_station_changes_the_share_at_once(registry: Registry, pinned: Any) -> None:
    pinned(AFTER)
    client: Client = client_for(registry.personas.gharchak_governor)

    def gharchak_ready() -> float | None:
        return client.get(READINESS).context["counties"][0].ready_pct  # type: ignore[no-any-return]

    assert gharchak_ready() == 25.0
    station = registry.g_planned
    response = client.post(reverse("stations:edit", args=[station.pk]), {
        "name": station.name, "venue": station.venue, "kind": station.kind,
        "expected_voters": station.expected_voters, "cctv": "recorded", "cameras": 1,
        "fibre": "connected", "power_backup": "on", "evoting_planned": "on",
        "evoting_ready": "on", "status": "active",
    })
    assert response.status_code == 302
    assert gharchak_ready() == 50.0


def test_county_page(registry: Registry, pinned: Any) -> None:
    pinned(AFTER)
    url = reverse("stations:readiness_county", args=[registry.geo.gharchak.pk])
    response = client_for(registry.personas.gharchak_governor).get(url)
    assert response.status_code == 200
    assert figures(response.context["figures"]) == ("قرچک", 4, 75.0, 33.3, 75.0, 25.0, 1, 1)
    assert [s.code for s in response.context["not_ready"]] == ["102", "103", "104"]
    assert [s.code for s in response.context["overdue"]] == ["103"]
    body = response.content.decode()
    assert reverse("stations:detail", args=[registry.g_overdue.pk]) in body


def test_county_page_before_deadline_lists_no_overdue(registry: Registry, pinned: Any) -> None:
    pinned(FIBRE_DUE - datetime.timedelta(days=10))
    url = reverse("stations:readiness_county", args=[registry.geo.gharchak.pk])
    response = client_for(registry.personas.admin).get(url)
    assert response.context["overdue"] == []
    assert response.context["figures"].overdue == 0


def test_county_page_is_scoped(registry: Registry) -> None:
    url = reverse("stations:readiness_county", args=[registry.geo.gharchak.pk])
    assert client_for(registry.personas.kerman_governor).get(url).status_code == 404
    province = reverse("stations:readiness_county", args=[registry.geo.tehran.pk])
    assert client_for(registry.personas.admin).get(province).status_code == 404
