"""The boards' pages: a governor forms the county's inspection board and appoints its
members through the forms; a fourth member is refused on the page with nothing stored;
a Kerman governor sees no Gharchak board (404); the auditor reads masked national IDs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.boards.demo import complete_board
from amanat.boards.models import Board, BoardKind, BoardMember
from amanat.elections.models import Election
from amanat.lib.jalali import format_jalali
from amanat.lib.nationalid import with_check_digit

pytestmark = pytest.mark.django_db


@pytest.fixture
def election() -> Election:
    return Election.objects.create(name="boards", slug="boards",
                                   election_day=timezone.localdate() + datetime.timedelta(60))


def _client(user: Any, language: str = "en") -> Client:
    return in_language(sign_in(Client(), user), language)


def _day() -> str:
    return "1404/10/01"


def test_a_governor_forms_a_three_person_board_and_a_fourth_is_refused(
        small_geo: Any, personas: Any, election: Election) -> None:
    client = _client(personas.gharchak_governor)
    response = client.post(reverse("boards:new"), {
        "kind": BoardKind.COUNTY_INSPECTION, "unit": small_geo.gharchak.pk,
        "act_number": "۲۳۱/ب", "act_date": _day(), "appointed_by": "فرماندار قرچک"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    board = Board.objects.get()
    for n in range(3):
        response = client.post(reverse("boards:member_new", args=[board.pk]), {
            "full_name": f"عضو {n}", "national_id": with_check_digit(f"{300_000_100 + n:09d}"),
            "appointed_on": _day(), "is_chair": "on" if n == 0 else ""})
        assert response.status_code == 302
    page = client.get(reverse("boards:detail", args=[board.pk])).content.decode()
    assert "Complete" in page and 'data-testid="member-new"' not in page
    response = client.post(reverse("boards:member_new", args=[board.pk]), {
        "full_name": "چهارمی", "national_id": with_check_digit("300000199"),
        "appointed_on": _day()})
    assert response.status_code == 200
    assert "has 3 members by law" in response.content.decode()
    fa = _client(personas.gharchak_governor, "fa").post(
        reverse("boards:member_new", args=[board.pk]),
        {"full_name": "چهارمی", "national_id": with_check_digit("300000199"),
         "appointed_on": _day()})
    assert "۳" in fa.content.decode()
    assert BoardMember.objects.count() == 3
    assert Event.objects.filter(action="boards.board.create",
                                actor_id=personas.gharchak_governor.pk).exists()
    assert Event.objects.filter(action="boards.member.appoint").count() == 3
    # A wrong check digit on the page: a clear message, nothing stored.
    response = client.post(reverse("boards:member_end",
                                   args=[board.members.filter(is_chair=False).first().pk]),
                           {"ended_on": "1404/10/02", "reason": "استعفا"})
    assert response.status_code == 302
    good = with_check_digit("300000177")
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    response = client.post(reverse("boards:member_new", args=[board.pk]), {
        "full_name": "الف", "national_id": bad, "appointed_on": _day()})
    assert "check digit is wrong" in response.content.decode()
    assert BoardMember.objects.count() == 3


def test_a_kerman_governor_sees_no_gharchak_board(small_geo: Any, personas: Any,
                                                   election: Election) -> None:
    board, _n = complete_board(election=election, kind=BoardKind.COUNTY_INSPECTION,
                               unit=small_geo.gharchak)
    member = board.members.first()
    kerman = _client(personas.kerman_governor)
    assert kerman.get(reverse("boards:detail", args=[board.pk])).status_code == 404
    assert kerman.get(reverse("boards:member_replace", args=[member.pk])).status_code == 404
    assert kerman.post(reverse("boards:member_chair", args=[member.pk])).status_code == 404
    listing = kerman.get(reverse("boards:list"))
    assert listing.status_code == 200 and 'data-testid="board-row"' not in listing.content.decode()
    # Kerman cannot form a board in Gharchak either: the unit is not offered.
    response = kerman.post(reverse("boards:new"), {
        "kind": BoardKind.COUNTY_INSPECTION, "unit": small_geo.gharchak.pk,
        "act_number": "1", "act_date": _day(), "appointed_by": "x"})
    assert response.status_code == 200 and Board.objects.count() == 1
    # The province's HQ staff sees its county's board; the police officer sees nothing.
    assert _client(personas.tehran_officer).get(
        reverse("boards:detail", args=[board.pk])).status_code == 200
    assert _client(personas.police).get(reverse("boards:list")).status_code == 404
    # The auditor reads, with national IDs masked.
    page = _client(personas.auditor).get(reverse("boards:detail", args=[board.pk]))
    assert page.status_code == 200
    assert member.national_id not in page.content.decode()
    assert Event.objects.filter(action="access.denied", object_type="boards.board").exists()


def test_replace_and_chair_through_the_pages(small_geo: Any, personas: Any,
                                            election: Election) -> None:
    board, _n = complete_board(election=election, kind=BoardKind.COUNTY_INSPECTION,
                               unit=small_geo.gharchak)
    client = _client(personas.gharchak_governor)
    other = board.members.filter(is_chair=False).first()
    assert client.post(reverse("boards:member_chair", args=[other.pk])).status_code == 302
    assert board.members.get(is_chair=True) == other
    response = client.post(reverse("boards:member_replace", args=[other.pk]), {
        "full_name": "جانشین", "national_id": with_check_digit("300000555"),
        "appointed_on": format_jalali(timezone.localdate()), "reason": "انتقال",
        "user": personas.gharchak_governor.username})
    assert response.status_code == 302, response.content.decode()[-1500:]
    new = board.members.get(full_name="جانشین")
    assert new.is_chair and new.user == personas.gharchak_governor and new.replaces == other
    page = client.get(reverse("boards:detail", args=[board.pk])).content.decode()
    assert 'data-testid="history-table"' in page
    assert Event.objects.filter(action="boards.member.replace").count() == 1
    assert Event.objects.filter(action="boards.member.chair").count() == 1


def test_the_review_page_says_the_board_is_incomplete_and_refuses(
        small_geo: Any, election: Election) -> None:
    from amanat.accounts.models import Role
    from amanat.candidates.models import ReviewDecision
    from amanat.candidates.tests import review_factories as f

    race = f.contest(election)
    seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    candidacy = f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak)
    executive = f.member("exec_page", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    f.answered(candidacy, by=executive)  # what a qualification rests on
    client = _client(executive)
    page = client.get(reverse("candidates_review:review", args=[candidacy.pk]))
    html = page.content.decode()
    assert 'data-testid="board-incomplete"' in html and "has not been appointed" in html
    response = client.post(reverse("candidates_review:decide", args=[candidacy.pk]),
                           {"outcome": "qualified"})
    assert "A board acts only when it is complete" in response.content.decode()
    assert not ReviewDecision.objects.exists()
    complete_board(election=election, kind=BoardKind.COUNTY_EXECUTIVE, unit=small_geo.gharchak,
                   users=[executive])
    page = client.get(reverse("candidates_review:review", args=[candidacy.pk]))
    assert 'data-testid="board-incomplete"' not in page.content.decode()
    response = client.post(reverse("candidates_review:decide", args=[candidacy.pk]),
                           {"outcome": "qualified"})
    assert response.status_code in (200, 302)
    assert ReviewDecision.objects.count() == 1


def test_a_mixed_act_number_is_isolated_from_the_date_next_to_it(
        small_geo: Any, personas: Any, election: Election) -> None:
    """An act number like 2321/cou/2026 ran into the Jalali date beside it on a Persian page
    ("cou/2026 — ۱۴۰۵/۰۷/۱۱/۲۳۲۱"): it was not isolated, only its digits were changed."""
    client = _client(personas.gharchak_governor, "fa")
    response = client.post(reverse("boards:new"), {
        "kind": BoardKind.COUNTY_INSPECTION, "unit": small_geo.gharchak.pk,
        "act_number": "2321/cou/2026", "act_date": _day(), "appointed_by": "فرماندار قرچک"})
    assert response.status_code == 302
    board = Board.objects.get()
    for url in (reverse("boards:list"), reverse("boards:detail", args=[board.pk])):
        page = client.get(url).content.decode()
        assert '<bdi dir="ltr">2321/cou/2026</bdi>' in page, url


def test_members_national_ids_are_masked_until_an_audited_reveal(
        small_geo: Any, personas: Any, election: Election) -> None:
    """The board page showed every member's full national ID to the governor on a plain
    GET, unrecorded. Now masked for everyone; the governor shows them with a POST that is
    recorded; the auditor cannot; Kerman gets 404."""
    board, _n = complete_board(election=election, kind=BoardKind.COUNTY_INSPECTION,
                               unit=small_geo.gharchak)
    nid = board.members.first().national_id
    url = reverse("boards:detail", args=[board.pk])
    governor = _client(personas.gharchak_governor)
    page = governor.get(url).content.decode()
    assert nid not in page and "******" + nid[-4:] in page
    assert 'data-testid="reveal"' in page
    assert not Event.objects.filter(action="boards.board.read").exists()
    page = governor.post(url, {"reveal": "1"}).content.decode()
    assert nid in page and 'data-testid="reveal"' not in page
    read = Event.objects.get(action="boards.board.read")
    assert read.actor_id == personas.gharchak_governor.pk and read.object_id == str(board.pk)
    page = _client(personas.auditor).post(url, {"reveal": "1"}).content.decode()
    assert nid not in page and 'data-testid="reveal"' not in page
    assert Event.objects.filter(action="boards.board.read").count() == 1
    assert _client(personas.kerman_governor).post(url, {"reveal": "1"}).status_code == 404
    # The audit log names the read in words.
    log = _client(personas.auditor).get(reverse("audit:events")).content.decode()
    assert "Board members&#x27; national IDs viewed" in log or \
        "Board members' national IDs viewed" in log
