"""Boards (issue 14): sizes by law, one chair, history kept, audit, and the gate on the
candidate review (an incomplete board does not act)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from amanat.accounts.models import Role
from amanat.audit.models import Event
from amanat.boards import selectors, services
from amanat.boards.demo import complete_board
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.candidates import review_services
from amanat.candidates.models import Outcome, ReviewDecision
from amanat.candidates.tests import review_factories as f
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.lib.nationalid import with_check_digit

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 1, 5)


def nid(n: int) -> str:
    return with_check_digit(f"{271_000_000 + n:09d}")


@pytest.fixture
def election() -> Election:
    return Election.objects.create(name="boards", slug="boards",
                                   election_day=timezone.localdate() + datetime.timedelta(60))


def _board(election: Election, unit: Any, kind: str = BoardKind.COUNTY_INSPECTION) -> Board:
    return services.board_create(actor=None, election=election, kind=kind, unit=unit,
                                 act_number="۱۲۳/ب", act_date=DAY, appointed_by="فرماندار")


def _appoint(board: Board, n: int, **kw: Any) -> BoardMember:
    return services.member_appoint(actor=None, board=board, full_name=f"عضو {n}",
                                   national_id=nid(n), appointed_on=DAY, **kw)


def test_a_fourth_member_of_a_three_person_board_is_refused(small_geo: Any,
                                                            election: Election) -> None:
    board = _board(election, small_geo.gharchak)
    for n in range(3):
        _appoint(board, n, is_chair=n == 0)
    assert selectors.board_complete(election=election, kind=BoardKind.COUNTY_INSPECTION,
                                    unit=small_geo.gharchak)
    with pytest.raises(RuleError) as caught:
        _appoint(board, 4)
    assert caught.value.code == "board_full"
    assert "has 3 members by law" in caught.value.render("en")
    assert "۳" in caught.value.render("fa")
    assert board.members.count() == 3


def test_a_national_id_with_a_wrong_check_digit_is_refused(small_geo: Any,
                                                           election: Election) -> None:
    board = _board(election, small_geo.gharchak)
    good = nid(1)
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    with pytest.raises(RuleError) as caught:
        services.member_appoint(actor=None, board=board, full_name="الف", national_id=bad,
                                appointed_on=DAY)
    assert caught.value.code == "national_id_check_digit"
    assert not BoardMember.objects.exists()


def test_one_chair_by_the_database_and_history_kept(small_geo: Any, election: Election) -> None:
    board = _board(election, small_geo.gharchak)
    a, b, c = (_appoint(board, n, is_chair=n == 0) for n in range(3))
    with pytest.raises(RuleError):
        _appoint(board, 9, is_chair=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        BoardMember.objects.filter(pk=b.pk).update(is_chair=True)
    services.chair_set(actor=None, member=b)
    assert list(board.members.filter(is_chair=True)) == [b]
    # Replacing the chair hands the chair to the new member; the old row stays.
    new = services.member_replace(actor=None, member=b, full_name="جایگزین", national_id=nid(7),
                                  appointed_on=DAY + datetime.timedelta(10), reason="استعفا")
    b.refresh_from_db()
    assert b.ended_on == DAY + datetime.timedelta(10) and not b.is_chair
    assert new.is_chair and new.replaces == b
    services.member_end(actor=None, member=c, ended_on=DAY + datetime.timedelta(20),
                        reason="انتقال")
    assert board.members.count() == 4 and board.members.serving().count() == 2
    assert not selectors.board_complete(election=election, kind=BoardKind.COUNTY_INSPECTION,
                                        unit=small_geo.gharchak)
    assert [m.pk for m in selectors.members_of(election=election,
                                               kind=BoardKind.COUNTY_INSPECTION,
                                               unit=small_geo.gharchak)] == [new.pk, a.pk]
    actions = list(Event.objects.filter(action__startswith="boards.").order_by("seq")
                   .values_list("action", flat=True))
    assert actions == ["boards.board.create"] + ["boards.member.appoint"] * 3 + [
        "boards.member.chair", "boards.member.replace", "boards.member.end"]
    # National IDs stay out of the log but for their last digits.
    assert not Event.objects.filter(after__icontains=nid(0)).exists()


def test_a_board_at_the_wrong_level_or_twice_is_refused(small_geo: Any,
                                                        election: Election) -> None:
    with pytest.raises(RuleError) as caught:
        _board(election, small_geo.tehran, BoardKind.COUNTY_EXECUTIVE)
    assert caught.value.code == "wrong_level"
    _board(election, small_geo.gharchak)
    with pytest.raises(RuleError) as caught:
        _board(election, small_geo.gharchak)
    assert caught.value.code == "exists"
    assert Board.objects.count() == 1


def test_an_incomplete_board_cannot_act_in_the_review(small_geo: Any,
                                                      election: Election) -> None:
    race = f.contest(election)
    seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    candidacy = f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak)
    executive = f.member("exec", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    supervision = f.member("sup", Role.SUPERVISION_BOARD, small_geo.tehran)
    f.answered(candidacy, by=executive)  # what a qualification rests on
    with pytest.raises(RuleError) as caught:
        review_services.decision_make(actor=executive, candidacy=candidacy,
                                      outcome=Outcome.QUALIFIED)
    assert caught.value.code == "board_incomplete"
    assert "executive board" in caught.value.render("en")
    assert not ReviewDecision.objects.exists()
    assert Event.objects.filter(action="candidates.decision.refused").exists()
    board, _added = complete_board(election=election, kind=BoardKind.COUNTY_EXECUTIVE,
                                   unit=small_geo.gharchak, users=[executive])
    # One member short: still refused, with the count and the law.
    services.member_end(actor=None, member=board.members.serving().last(),
                        ended_on=timezone.localdate(), reason="استعفا")
    with pytest.raises(RuleError) as caught:
        review_services.decision_make(actor=executive, candidacy=candidacy,
                                      outcome=Outcome.QUALIFIED)
    assert "10" in caught.value.render("en") and "11" in caught.value.render("en")
    complete_board(election=election, kind=BoardKind.COUNTY_EXECUTIVE, unit=small_geo.gharchak)
    decision = review_services.decision_make(actor=executive, candidacy=candidacy,
                                             outcome=Outcome.QUALIFIED)
    # The supervision board's representatives: none yet, then complete in the province.
    with pytest.raises(RuleError) as caught:
        review_services.decision_check(actor=supervision, decision=decision,
                                       outcome=Outcome.CONFIRMED)
    assert caught.value.code == "board_incomplete"
    complete_board(election=election, kind=BoardKind.SUPERVISION, unit=small_geo.tehran,
                   users=[supervision])
    review_services.decision_check(actor=supervision, decision=decision,
                                   outcome=Outcome.CONFIRMED)
    assert ReviewDecision.objects.count() == 2
