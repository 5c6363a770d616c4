"""User review 2 of candidates (docs/reviews/2026-12-user2-candidates-people.md), through
the pages: the office that sent inquiries sees them (F1); the review pages confirm what
was done (F2); the answers' spreadsheet may be headed and filled in Persian (F3); the
registration page says when a contest's window is closed or not yet open (F7)."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Role
from amanat.accounts.testing import sign_in
from amanat.boards.demo import complete_board
from amanat.boards.models import BoardKind
from amanat.candidates.models import Inquiry, InquiryAnswer
from amanat.candidates.tests import review_factories as f
from amanat.elections.models import Contest, ContestKind, Election
from amanat.lib.jalali import format_jalali
from amanat.lib.persian import to_persian_digits
from amanat.stations.tests.test_messy import xlsx

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _client(user: Any) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def rw(small_geo: Any, personas: Any) -> dict[str, Any]:
    election = Election.objects.create(name="round", slug="round",
                                       election_day=TODAY + 60 * DAY)
    f.calendar(election, closes=TODAY - 3 * DAY, complaints_close=TODAY + 5 * DAY)
    race = f.contest(election)
    seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    k_seat = f.constituency(small_geo.kerman_city, small_geo.kerman_province)
    gharchak = [f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak,
                            last_name=n) for n in ("رضایی", "احمدی")]
    kerman = f.candidacy(contest=race, constituency=k_seat, county=small_geo.kerman_county,
                         last_name="کرمانی")
    executive = f.member("exec_gharchak", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    complete_board(election=election, kind=BoardKind.COUNTY_EXECUTIVE, unit=small_geo.gharchak,
                   users=[executive])
    return {"election": election, "g": gharchak, "k": kerman, "exec": executive,
            "personas": personas, "geo": small_geo}


def _send_all(governor: Client, county: Any) -> None:
    due = format_jalali(TODAY + 7 * DAY, persian_digits=False)
    for kind in ("intelligence", "police", "judiciary", "civil_registry"):
        page = governor.post(reverse("candidates_review:inquiry_send"),
                             {"county": county.pk, "kind": kind, "due": due}, follow=True)
        assert page.status_code == 200
        # F2: the office is told the batch left, on the page it lands on.
        assert 'data-testid="message"' in page.content.decode()


def test_the_office_that_sent_inquiries_sees_them_and_is_told_so(rw: dict[str, Any]) -> None:
    geo, personas = rw["geo"], rw["personas"]
    governor = _client(personas.gharchak_governor)
    _send_all(governor, geo.gharchak)
    assert Inquiry.objects.count() == 8
    page = governor.get(reverse("candidates_review:inquiries")).content.decode()
    # F1: every inquiry sent is listed for the office (pending, no answer shown).
    assert page.count('data-testid="inquiry-row"') == 8
    for candidacy in rw["g"]:
        assert candidacy.last_name in page
    # Kerman's office sends for Kerman and sees none of Gharchak's.
    kerman = _client(personas.kerman_governor)
    page = kerman.get(reverse("candidates_review:inquiries")).content.decode()
    assert 'data-testid="inquiry-row"' not in page and "رضایی" not in page


def _xlsx(rows: list[list[Any]]) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "پاسخ‌ها.xlsx", xlsx(*rows),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


AUTHORITIES = ("وزارت اطلاعات", "سوءپیشینه (پلیس)", "قوه قضاییه", "ثبت احوال")


def test_answers_from_a_persian_spreadsheet(rw: dict[str, Any]) -> None:
    geo, personas = rw["geo"], rw["personas"]
    _send_all(_client(personas.gharchak_governor), geo.gharchak)
    board = _client(rw["exec"])
    a, b = rw["g"]
    headers = ["ردیف", "کد رهگیری", "مرجع", "پاسخ", "شماره نامه", "توضیحات"]
    # An authority the office misspells: refused, naming it, nothing stored.
    wrong = _xlsx([headers, [1, to_persian_digits(a.reference), "شهرداری", "بلامانع", "", ""]])
    page = board.post(reverse("candidates_review:inquiry_import"), {"file": wrong})
    assert page.status_code == 200 and "شهرداری" in page.content.decode()
    assert not Inquiry.objects.exclude(answer=InquiryAnswer.PENDING).exists()

    rows: list[list[Any]] = [headers]
    for x in (a, b):
        for authority in AUTHORITIES:
            adverse = x is b and authority == "قوه قضاییه"
            rows.append([len(rows), to_persian_digits(x.reference), authority,
                         "دارای سابقهٔ منفی" if adverse else "بلامانع",
                         "۱۲۳/ق/۱۴۰۵" if adverse else "", ""])
    page = board.post(reverse("candidates_review:inquiry_import"), {"file": _xlsx(rows)},
                      follow=True)
    assert page.redirect_chain, page.content.decode()[:3000]
    assert 'data-testid="message"' in page.content.decode()
    assert not Inquiry.objects.filter(answer=InquiryAnswer.PENDING,
                                      candidacy__in=[a, b]).exists()
    adverse = Inquiry.objects.get(candidacy=b, kind="judiciary")
    assert adverse.answer == InquiryAnswer.ADVERSE and adverse.adverse_reference
    assert Inquiry.objects.filter(candidacy=a, answer=InquiryAnswer.CLEAR).count() == 4


def test_english_headers_in_other_case_and_persian_labels_mixed(rw: dict[str, Any]) -> None:
    geo, personas = rw["geo"], rw["personas"]
    _send_all(_client(personas.gharchak_governor), geo.gharchak)
    a = rw["g"][0]
    rows: list[list[Any]] = [["Reference", "AUTHORITY", "Answer ", "Adverse Reference"]]
    rows += [[a.reference, kind, "clear", ""] for kind in ("intelligence", "Police record")]
    rows += [[a.reference, "قضاییه", "دارای سابقه", "ق-۱"], [a.reference, "ثبت احوال", "پاک", ""]]
    page = _client(rw["exec"]).post(reverse("candidates_review:inquiry_import"),
                                    {"file": _xlsx(rows)})
    assert page.status_code == 302, page.content.decode().split("<main")[-1][:3000]
    assert Inquiry.objects.get(candidacy=a, kind="judiciary").answer == InquiryAnswer.ADVERSE
    assert Inquiry.objects.get(candidacy=a, kind="civil_registry").answer == InquiryAnswer.CLEAR


def test_a_board_decision_is_confirmed_on_the_review_page(rw: dict[str, Any]) -> None:
    a = rw["g"][0]
    f.answered(a, by=rw["exec"])
    page = _client(rw["exec"]).post(
        reverse("candidates_review:decide", args=[a.pk]),
        {"outcome": "qualified", "legal_article": "", "reasons": ""}, follow=True)
    assert page.redirect_chain, page.content.decode()[:3000]
    assert 'data-testid="message"' in page.content.decode()


def test_the_registration_page_says_which_windows_are_closed(world: Any, client: Client
                                                            ) -> None:
    council: Contest = world.city_council
    village = world.contest(ContestKind.VILLAGE_COUNCIL)
    council.registration_opens, council.registration_closes = TODAY - 40 * DAY, TODAY - 30 * DAY
    council.save()
    village.registration_opens, village.registration_closes = TODAY + 10 * DAY, TODAY + 17 * DAY
    village.save()
    page = client.get(reverse("candidates:register")).content.decode()
    windows = [part.split("</p>")[0] for part in page.split('data-testid="window"')[1:]]
    closed = next(w for w in windows if council.name in w)
    later = next(w for w in windows if village.name in w)
    assert "بسته است" in closed and "باز است" not in closed
    assert "هنوز آغاز نشده" in later and "باز است" not in later


@pytest.mark.browser
def test_the_office_sends_and_sees_its_inquiries_on_a_phone(rw: dict[str, Any],
                                                            browser_page: Any) -> None:
    from amanat.accounts.testing import sign_in_page

    page = sign_in_page(browser_page, rw["personas"].gharchak_governor)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.base_url + reverse("candidates_review:inquiry_send"))
    page.select_option("[name=kind]", "police")
    page.fill("[name=due]", to_persian_digits(
        format_jalali(TODAY + 7 * DAY, persian_digits=False)))
    page.click("main form button[type=submit]")
    page.wait_for_selector('[data-testid="message"]')
    assert "۲" in page.inner_text('[data-testid="message"]')  # two inquiries, Persian digits
    assert page.locator('[data-testid="inquiry-row"]').count() == 2
    # Nothing wider than the phone but the table's own scroller.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_the_date_of_birth_is_not_shown_as_today(world: Any, client: Client) -> None:
    from django.test import TestCase

    from amanat.lib.nationalid import with_check_digit

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("candidates:register"), {
            "contest": world.city_council.pk, "county": world.geo.gharchak.pk,
            "national_id": with_check_digit("004123456"), "mobile": "09121234567"})
    page = client.get(reverse("candidates:register_confirm")).content.decode()
    today = format_jalali(TODAY, persian_digits=True)
    for name in ("birth_date", "resigned_on"):
        field = page.split(f'name="{name}"')[1].split(">")[0]
        assert today not in field and "placeholder" not in field, field
