"""The law's constituencies: loaded from the geography with seats by population band,
attached to the council contests, edited by a national administrator with an audit
trail (and then kept by the loader)."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.candidates.services import constituencies_load
from amanat.candidates.tests.conftest import World
from amanat.elections.models import ContestKind
from amanat.geo.models import Constituency

pytestmark = pytest.mark.django_db


def test_seats_follow_the_population_bands(world: World) -> None:
    geo = world.geo
    seats = {c.unit_id: (c.kind, c.seats, c.population) for c in Constituency.objects.filter(
        unit__isnull=False)}
    # Population unknown: the smallest band. 537,718 people: 11 seats. The capital: 21.
    assert seats[geo.gharchak_city.pk] == ("city", 5, None)
    assert seats[geo.kerman_city.pk] == ("city", 11, 537_718)
    tehran_city = Constituency.objects.get(kind="city", unit__name_key__contains="تهران")
    assert tehran_city.seats == 21
    # A village with a known population (2,100 > 1,500): 5 seats; the villages without one
    # stand together as their rural district.
    assert seats[geo.villages[0].pk] == ("village", 5, 2_100)
    assert geo.villages[1].pk not in seats
    assert seats[geo.rural.pk][0:2] == ("rural_district", 5)
    # The by-election's constituency is the province, one seat.
    experts = world.contest(ContestKind.ASSEMBLY_OF_EXPERTS).constituencies.get()
    assert (experts.kind, experts.unit, experts.seats) == ("province", geo.tehran, 1)
    # Cities go to the city councils, villages and rural districts to the village councils.
    assert set(world.city_council.constituencies.values_list("kind", flat=True)) == {"city"}
    assert set(world.contest(ContestKind.VILLAGE_COUNCIL).constituencies.values_list(
        "kind", flat=True)) == {"village", "rural_district"}


def test_loading_again_changes_nothing_and_keeps_hand_set_seats(world: World) -> None:
    kerman = world.city(world.geo.kerman_city)
    kerman.seats, kerman.seats_edited = 12, True
    kerman.save()
    count = Constituency.objects.count()
    result = constituencies_load(election=world.election)
    assert result.created == result.updated == 0
    assert Constituency.objects.count() == count
    kerman.refresh_from_db()
    assert kerman.seats == 12


def test_command_loads_one_county(world: World) -> None:
    Constituency.objects.filter(unit_path__startswith=world.geo.kerman_county.path).delete()
    out = StringIO()
    call_command("load_constituencies", "--county", world.geo.kerman_county.code, stdout=out)
    assert "constituencies: 3 created" in out.getvalue()  # city, village, rural district
    assert world.city(world.geo.kerman_city).seats == 11


def test_command_refuses_an_unknown_county(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no county with code '9999'"):
        call_command("load_constituencies", "--county", "9999")


def test_national_admin_edits_seats_with_an_audit_trail(world: World, client: Client) -> None:
    kerman = world.city(world.geo.kerman_city)
    sign_in(client, world.personas.admin)
    url = reverse("candidates:constituency_edit", args=[kerman.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": kerman.name, "seats": 13, "reserve_seats": 7,
                                 "population": 537_718})
    assert response.status_code == 302
    kerman.refresh_from_db()
    assert (kerman.seats, kerman.reserve_seats, kerman.seats_edited) == (13, 7, True)
    event = Event.objects.get(action="candidates.constituency.update")
    assert event.before == {"seats": 11}
    assert event.after["seats"] == 13


def test_a_governor_cannot_edit_seats(world: World, client: Client) -> None:
    kerman = world.city(world.geo.kerman_city)
    sign_in(client, world.personas.kerman_governor)
    url = reverse("candidates:constituency_edit", args=[kerman.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "seats": 99, "reserve_seats": 0}).status_code == 404
    kerman.refresh_from_db()
    assert kerman.seats == 11
    # The list is readable, without edit links.
    html = client.get(reverse("candidates:constituencies")).content.decode()
    assert kerman.name in html and url not in html


def test_constituency_list_filters(world: World, client: Client, django_assert_max_num_queries: Any
                                   ) -> None:
    sign_in(client, world.personas.admin)
    client.get(reverse("candidates:constituencies"))
    with django_assert_max_num_queries(12):
        html = client.get(reverse("candidates:constituencies"), {"kind": "city"}).content.decode()
    assert world.city(world.geo.kerman_city).name in html
    assert "RD-" not in html
