"""User review 2 of the people of the election (docs/reviews/
2026-12-user2-candidates-people.md), through the pages: a person found by their full name
(F4), the mobile column named as a phone (F5), codes typed with a Persian keyboard's digits
(F6), and a hand assignment that says whom it put in and whom it took off (F8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.elections.posts import StationPost
from amanat.lib.persian import search_key, to_persian_digits
from amanat.staffing.models import Assignment, Roster, RosterState
from amanat.staffing.services import roster_for
from amanat.training.models import Completion
from amanat.training.services import record_completions

pytestmark = pytest.mark.django_db


def _named(world: Any, first: str, last: str, **kwargs: Any) -> Any:
    person = world.person(first_name=first, **kwargs)
    person.last_name = last
    person.search_text = "|".join(search_key(x) for x in (first, last, person.national_id))
    person.save()
    return person


def _governor(world: Any, language: str = "fa") -> Client:
    return in_language(sign_in(Client(), world.personas.gharchak_governor), language)


def test_a_person_is_found_by_their_full_name(world: Any) -> None:
    maryam = _named(world, "مریم", "احمدی")
    _named(world, "مریم", "کریمی")
    _named(world, "علی", "احمدی")
    compound = _named(world, "سید محمد", "حسینی‌نژاد")
    url = reverse("staffing:people", args=[world.geo.gharchak.pk])
    client = _governor(world)
    page = client.get(url, {"q": "مریم احمدی"}).content.decode()
    assert f'href="{reverse("staffing:person", args=[maryam.pk])}"' in page
    assert "کریمی" not in page and "علی" not in page
    # The way people type a compound name (no ZWNJ, Arabic yeh) finds it too.
    page = client.get(url, {"q": "محمد حسيني نژاد"}).content.decode()
    assert f'href="{reverse("staffing:person", args=[compound.pk])}"' in page
    # One word still finds everyone with it.
    page = client.get(url, {"q": "احمدی"}).content.decode()
    assert page.count('href="/staffing/person/') == 2


def test_the_mobile_column_is_the_phone_not_a_roving_station(world: Any) -> None:
    person = world.person()
    client = _governor(world)
    for url in (reverse("staffing:people", args=[world.geo.gharchak.pk]),
                reverse("staffing:person", args=[person.pk])):
        page = client.get(url).content.decode()
        assert "شمارهٔ تلفن همراه" in page and "سیار" not in page


def test_a_hand_assignment_names_who_came_and_who_went(world: Any) -> None:
    before = world.person(posts=(StationPost.MEMBER,))
    after = _named(world, "مریم", "احمدی", posts=(StationPost.MEMBER,))
    client = _governor(world)
    url = reverse("staffing:station_assign", args=[world.city_station.pk])
    page = client.post(url, {"slot": "member:2", "national_id": before.national_id},
                       follow=True).content.decode()
    assert 'data-testid="message"' in page and before.full_name in page
    page = client.post(url, {"slot": "member:2",
                             "national_id": to_persian_digits(after.national_id)},
                       follow=True).content.decode()
    message = page.split('data-testid="message">')[1].split("</div>")[0]
    assert after.full_name in message and before.full_name in message
    assert "دیگر این سمت را ندارد" in message
    assert Assignment.objects.get(station=world.city_station, post="member",
                                  slot=2).person == after


def test_codes_typed_with_persian_digits_are_found(world: Any) -> None:
    # A training certificate.
    person = world.person(posts=(StationPost.INSPECTOR,), trained=False)
    record_completions(actor=None, course=world.courses[StationPost.INSPECTOR],
                       people=[(person.national_id, person.full_name)])
    code = Completion.objects.get(national_id=person.national_id).code
    public = in_language(Client(), "fa")
    page = public.get(reverse("training_verify"),
                      {"code": to_persian_digits(code.lower())}).content.decode()
    assert "این گواهی معتبر است" in page
    # An appointment letter, once the roster is approved.
    member = world.person(posts=(StationPost.MEMBER,))
    client = _governor(world)
    client.post(reverse("staffing:station_assign", args=[world.city_station.pk]),
                {"slot": "member:1", "national_id": member.national_id})
    letter = Assignment.objects.get(person=member)
    roster = roster_for(world.election, world.geo.gharchak)
    Roster.objects.filter(pk=roster.pk).update(state=RosterState.APPROVED)
    typed = to_persian_digits(letter.verification_code)
    assert typed != letter.verification_code or not any(
        ch.isdigit() for ch in letter.verification_code)
    page = public.get(reverse("staffing:verify"), {"code": typed}).content.decode()
    assert member.full_name in page or member.first_name in page


def test_the_import_counts_in_persian_digits(world: Any) -> None:
    import io

    import openpyxl

    from amanat.lib.nationalid import with_check_digit

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["ردیف", "کد ملی", "نام", "نام خانوادگی", "جنسیت"])
    sheet.append([1, with_check_digit("412345670"), "مریم", "احمدی", "خانم"])
    sheet.append([2, with_check_digit("412345671"), "علی", "رضایی", "مرد"])
    sheet.append(["جمع", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    page = _governor(world).post(
        reverse("staffing:people_import", args=[world.geo.gharchak.pk]),
        {"file": out}, follow=True).content.decode()
    messages = " ".join(part.split("</div>")[0]
                        for part in page.split('data-testid="message">')[1:])
    assert "۲" in messages and "2 " not in messages, messages or page[:3000]


def test_a_certificate_is_found_among_the_completions(world: Any) -> None:
    course = world.courses[StationPost.MEMBER]
    people = [world.person(trained=False) for _ in range(3)]
    record_completions(actor=None, course=course, people=[
        (people[0].national_id, "مریم احمدی"), (people[1].national_id, "مریم کریمی"),
        (people[2].national_id, "علی احمدی")], unit=world.geo.gharchak)
    client = _governor(world)
    url = reverse("training:completions", args=[course.pk])
    everyone = client.get(url).content.decode()
    assert everyone.count('data-testid="completion-row"') == 3, everyone.split("<main")[-1][:3000]
    page = client.get(url, {"q": "مریم احمدی"}).content.decode()
    assert page.count('data-testid="completion-row"') == 1 and "مریم احمدی" in page
    page = client.get(url, {"q": to_persian_digits(people[2].national_id)}).content.decode()
    assert page.count('data-testid="completion-row"') == 1 and "علی احمدی" in page
    # A part of a national ID finds nothing (the list masks it).
    page = client.get(url, {"q": people[2].national_id[:5]}).content.decode()
    assert 'data-testid="completion-row"' not in page
