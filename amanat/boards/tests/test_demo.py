"""The boards demo on the small geography: every county with demo staff has a complete
three-person inspection board and a complete executive board; the provinces their
inspection boards and supervision representatives; the demo's board accounts are seated;
twice changes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from amanat.accounts.models import Role
from amanat.boards import demo
from amanat.boards.models import BoardKind, BoardMember
from amanat.boards.selectors import board_complete, members_of
from amanat.candidates.tests import review_factories as f
from amanat.elections.models import Election

pytestmark = pytest.mark.django_db


def test_demo_boards_are_complete(small_geo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "GHARCHAK", small_geo.gharchak.code)
    monkeypatch.setattr(demo, "KERMAN_COUNTY", small_geo.kerman_county.code)
    monkeypatch.setattr(demo, "TEHRAN", small_geo.tehran.code)
    monkeypatch.setattr(demo, "KERMAN_PROVINCE", small_geo.kerman_province.code)
    board_user = f.member("demo.gharchak.board", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    election = Election.objects.create(name="demo", slug="demo",
                                       election_day=timezone.localdate()
                                       + datetime.timedelta(days=60))
    result = demo.seed_demo_boards(election)
    assert result.boards == 8
    for county in (small_geo.gharchak, small_geo.kerman_county):
        assert board_complete(election=election, kind=BoardKind.COUNTY_INSPECTION, unit=county)
        assert len(members_of(election=election, kind=BoardKind.COUNTY_INSPECTION,
                              unit=county)) == 3
        assert board_complete(election=election, kind=BoardKind.COUNTY_EXECUTIVE, unit=county)
        # The province's supervision representatives act for the county.
        assert board_complete(election=election, kind=BoardKind.SUPERVISION, unit=county)
    for province in (small_geo.tehran, small_geo.kerman_province):
        assert board_complete(election=election, kind=BoardKind.PROVINCE_INSPECTION,
                              unit=province)
    assert BoardMember.objects.get(user=board_user).board.kind == BoardKind.COUNTY_EXECUTIVE
    count = BoardMember.objects.count()
    assert str(demo.seed_demo_boards(election)) == "already loaded"
    assert BoardMember.objects.count() == count
