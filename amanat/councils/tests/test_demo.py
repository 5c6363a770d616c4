"""The demo councils: four councils, three meetings each, serious cases carried."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from amanat.councils.demo import seed_demo_councils
from amanat.councils.models import ActionItem, AgendaItem, Council, Meeting
from amanat.councils.tests.conftest import open_case, seed_categories
from amanat.geo.models import KIND_LETTER, AdminUnit, Kind
from amanat.lib.persian import search_key

pytestmark = pytest.mark.django_db


def _unit(kind: str, code: str, name: str, parent: AdminUnit | None) -> AdminUnit:
    segment = f"{KIND_LETTER[Kind(kind)]}{'-' if kind == Kind.COUNTRY else ''}{code}/"
    return AdminUnit.objects.create(kind=kind, code=code, name=name, name_key=search_key(name),
                                    parent=parent, path=(parent.path if parent else "") + segment,
                                    depth=parent.depth + 1 if parent else 0)


@pytest.fixture
def demo_geo(db: None) -> dict[str, Any]:
    seed_categories()
    iran = _unit("country", "IR", "ایران", None)
    tehran = _unit("province", "23", "تهران", iran)
    kerman = _unit("province", "08", "کرمان", iran)
    return {"gharchak": _unit("county", "2321", "قرچک", tehran),
            "kerman": _unit("county", "0808", "کرمان", kerman)}


def _snapshot() -> list[tuple[Any, ...]]:
    return [
        *Council.objects.order_by("pk").values_list("unit__code", "name"),
        *Meeting.objects.order_by("pk").values_list("council__unit__code", "number", "held_on",
                                                     "status"),
        *AgendaItem.objects.order_by("pk").values_list("meeting__number", "order", "title",
                                                        "carried_over"),
        *ActionItem.objects.order_by("pk").values_list("owner__code", "due_on", "status"),
    ]


def test_demo_councils_carry_serious_cases_and_are_idempotent(demo_geo: dict[str, Any]) -> None:
    case = open_case(demo_geo["gharchak"])
    minor = open_case(demo_geo["kerman"], "other")
    result = seed_demo_councils()
    assert (result.councils, result.meetings) == (4, 16)  # three held and the next one
    county = Council.objects.get(unit=demo_geo["gharchak"])
    province = Council.objects.get(unit__code="23", unit__kind="province")
    for council in (county, province):
        items = AgendaItem.objects.filter(meeting__council=council, case=case).order_by(
            "meeting__number")
        assert [i.carried_over for i in items] == [False, True, True, True]
    assert not AgendaItem.objects.filter(case=minor).exists()
    assert not AgendaItem.objects.filter(meeting__council__unit__code__in=["0808", "08"],
                                         case__isnull=False).exists()
    assert set(ActionItem.objects.values_list("status", flat=True)) == {"open", "done"}
    assert Meeting.objects.filter(status="held").count() == 12
    today = timezone.localdate()
    assert Meeting.objects.filter(status="planned", held_on__gt=today).count() == 4
    assert Meeting.objects.filter(held_on__lt=today - datetime.timedelta(days=60)).exists()

    before = _snapshot()
    assert str(seed_demo_councils()).startswith("4 councils, 0 meetings")
    assert _snapshot() == before
