"""The review demo on the small geography: a published by-election list with a
withdrawal, two decided complaints (one upheld), late and on-time inquiries; twice
changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from amanat.accounts.models import Role
from amanat.boards import demo as boards_demo
from amanat.candidates import review_demo
from amanat.candidates.models import (
    Candidacy,
    Complaint,
    FinalList,
    Inquiry,
    InquiryAnswer,
    ReviewDecision,
)
from amanat.candidates.tests import review_factories as f
from amanat.elections.models import ContestKind, Election
from amanat.geo.models import ConstituencyKind

pytestmark = pytest.mark.django_db


def test_review_demo(small_geo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_demo, "GHARCHAK", small_geo.gharchak.code)
    monkeypatch.setattr(review_demo, "KERMAN", small_geo.kerman_county.code)
    monkeypatch.setattr(review_demo, "TEHRAN", small_geo.tehran.code)
    monkeypatch.setattr(review_demo, "BOARD_USERS", [
        ("demo.gharchak.board", Role.EXECUTIVE_BOARD, "county", small_geo.gharchak.code),
        ("demo.tehran.supervision", Role.SUPERVISION_BOARD, "province", small_geo.tehran.code),
        ("demo.kerman.board", Role.EXECUTIVE_BOARD, "county", small_geo.kerman_county.code),
        ("demo.tehran.supervision2", Role.SUPERVISION_BOARD, "province",
         small_geo.tehran.code),
    ])
    today = timezone.localdate()
    election = Election.objects.create(name="demo", slug="demo", election_day=today)
    ae = f.contest(election, ContestKind.ASSEMBLY_OF_EXPERTS)
    ae.constituencies.add(f.constituency(small_geo.tehran, small_geo.tehran,
                                         kind=ConstituencyKind.PROVINCE))
    f.contest(election, ContestKind.CITY_COUNCIL)
    f.constituency(small_geo.gharchak_city, small_geo.tehran)
    f.constituency(small_geo.kerman_city, small_geo.kerman_province)
    f.member("gov", Role.GOVERNOR, small_geo.gharchak)
    f.member("kgov", Role.GOVERNOR, small_geo.kerman_county)

    # The board accounts, then the boards, as load-demo does (an incomplete board may not
    # decide; the accounts that decide sit on them).
    review_demo._users()
    monkeypatch.setattr(boards_demo, "GHARCHAK", small_geo.gharchak.code)
    monkeypatch.setattr(boards_demo, "KERMAN_COUNTY", small_geo.kerman_county.code)
    monkeypatch.setattr(boards_demo, "TEHRAN", small_geo.tehran.code)
    monkeypatch.setattr(boards_demo, "KERMAN_PROVINCE", small_geo.kerman_province.code)
    assert boards_demo.seed_demo_boards(election).boards == 8

    result = review_demo.seed_demo_candidate_review(election)
    assert result.final_lists == 1, str(result)
    final = FinalList.objects.get(contest=ae)
    assert final.published_at is not None
    assert final.entries.filter(withdrawn_at__isnull=False).count() == 1
    assert sorted(Complaint.objects.values_list("outcome", flat=True)) == ["rejected", "upheld"]
    # Decided by the second supervision member, not the one who confirmed (attack 2, F2).
    assert set(Complaint.objects.values_list("decided_by__username", flat=True)) == {
        "demo.tehran.supervision2"}
    assert ReviewDecision.objects.filter(outcome="overturned").exists()
    late = Inquiry.objects.filter(answer=InquiryAnswer.PENDING, due__lt=today)
    on_time = Inquiry.objects.filter(answer=InquiryAnswer.PENDING, due__gte=today)
    assert late.exists() and on_time.exists()
    assert Inquiry.objects.filter(answer=InquiryAnswer.NO_ANSWER).exists()

    counts = (Candidacy.objects.count(), Inquiry.objects.count(),
              ReviewDecision.objects.count())
    assert str(review_demo.seed_demo_candidate_review(election)) == "already loaded"
    assert counts == (Candidacy.objects.count(), Inquiry.objects.count(),
                      ReviewDecision.objects.count())
