"""Findings of the outside user review of December 2026 (docs/reviews/
2026-12-user-candidates-people.md): the candidate process as a citizen, the county office
and the boards meet it, through the pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.boards import services as board_services
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.candidates.models import FinalList
from amanat.candidates.tests import review_factories as f
from amanat.candidates.tests.conftest import World
from amanat.lib.jalali import format_jalali

pytestmark = pytest.mark.django_db


def test_a_refused_publication_says_why(world: World) -> None:
    """F4: «انتشار» before the final decision date reloaded the final-lists page with no
    word: the page did not draw the messages, so the refusal ("only after the final
    decision date, …") was lost and the official did not know why nothing happened."""
    board = in_language(sign_in(Client(), world.board), "en")
    seat = world.city(world.geo.gharchak_city)
    url = reverse("candidates_review:publish", args=[world.city_council.pk, seat.pk])
    page = board.post(url, follow=True).content.decode()
    assert not FinalList.objects.filter(published_at__isnull=False).exists()
    assert "may be published only after the final decision date" in page


def test_public_pages_lead_to_the_final_lists_and_the_registration(world: World) -> None:
    """F5: the public final lists (/final-lists/) and the online registration
    (/candidates/register/) were reachable only by typing their address: neither the home
    page nor the open-data page linked to them (issue 13: "reachable from the public
    pages without signing in")."""
    visitor = Client()
    home = visitor.get("/").content.decode()
    open_data = visitor.get("/open-data/").content.decode()
    final_lists = reverse("public_final_lists")
    assert f'href="{final_lists}"' in home or f'href="{final_lists}"' in open_data
    assert f'href="{reverse("candidates:register")}"' in home


def test_a_candidate_cannot_sit_on_the_executive_board(world: World) -> None:
    """F3: the governor appointed a registered candidate of this election to the county
    executive board, the board that decides that candidate's qualification; nothing
    objected (issue 14: "a candidate cannot serve", conflicts checked with the reason)."""
    candidate = f.candidacy(contest=world.city_council,
                            constituency=world.city(world.geo.gharchak_city),
                            county=world.geo.gharchak)
    board = Board.objects.get(election=world.election, kind=BoardKind.COUNTY_EXECUTIVE,
                              unit=world.geo.gharchak)
    leaving = board.members.serving().filter(is_chair=False).first()
    assert leaving is not None
    board_services.member_end(actor=None, member=leaving, ended_on=timezone.localdate(),
                              reason="استعفا")
    governor = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")
    governor.post(reverse("boards:member_new", args=[board.pk]), {
        "full_name": f"{candidate.first_name} {candidate.last_name}",
        "national_id": candidate.national_id,
        "appointed_on": format_jalali(timezone.localdate()),
    })
    assert not BoardMember.objects.filter(board=board,
                                          national_id=candidate.national_id).exists()


def test_a_list_not_yet_publishable_says_from_when(world: World) -> None:
    """F4: «آماده انتشار» ("ready to publish") offered «انتشار» for a list whose final
    decision date had not passed; the button could only be refused. The row now says from
    when the list may be published."""
    from amanat.candidates.models import State

    seat = world.city(world.geo.gharchak_city)
    f.candidacy(contest=world.city_council, constituency=seat, county=world.geo.gharchak,
                state=State.QUALIFIED)
    board = in_language(sign_in(Client(), world.board), "en")
    page = board.get(reverse("candidates_review:final_lists")).content.decode()
    assert 'data-testid="too-early"' in page
    assert reverse("candidates_review:publish", args=[world.city_council.pk, seat.pk]) \
        not in page


def test_an_incomplete_board_is_not_offered_the_decision_form(world: World) -> None:
    """F16: with the executive board incomplete the review page warned «… کامل نیست …» and
    still offered «ثبت تصمیم», which then repeated the warning as an error; the empty
    decision history was an ordered list numbering «No decision yet.» as 1."""
    candidate = f.candidacy(contest=world.city_council,
                            constituency=world.city(world.geo.gharchak_city),
                            county=world.geo.gharchak)
    board = Board.objects.get(election=world.election, kind=BoardKind.COUNTY_EXECUTIVE,
                              unit=world.geo.gharchak)
    leaving = board.members.serving().filter(is_chair=False).first()
    assert leaving is not None
    board_services.member_end(actor=None, member=leaving, ended_on=timezone.localdate(),
                              reason="استعفا")
    member = in_language(sign_in(Client(), world.board), "en")
    page = member.get(reverse("candidates_review:review", args=[candidate.pk])
                      ).content.decode()
    assert 'data-testid="board-incomplete"' in page
    assert 'data-testid="decide-form"' not in page
    assert '<ol data-testid="history">' not in page and "No decision yet." in page


def test_a_blocking_rule_is_refused_next_to_the_answer_it_reads(world: World) -> None:
    """F15: a refusal by any blocking eligibility rule was drawn under the birth date; a
    rule on education (made blocking, as a rule may be without a code change) is drawn
    under «تحصیلات»."""
    from amanat.candidates.models import EligibilityRule, RuleCheck

    assert EligibilityRule.objects.filter(contest_kind=world.city_council.kind,
                                          test=RuleCheck.EDUCATION_MIN).update(
        blocks_registration=True, min_population=0)
    staff = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.gharchak.pk}")
    page = staff.post(url, {
        "national_id": "0012345679", "mobile": "09121234567",
        "constituency": world.city(world.geo.gharchak_city).pk, "first_name": "مریم",
        "last_name": "احمدی", "father_name": "علی", "gender": "female",
        "birth_date": "1360/05/10", "education": "1", "residence_years": "10",
        "truthful": "on"}).content.decode()
    assert "Registration refused" in page
    assert 'data-testid="error-education"' in page
