"""Findings of the outside user review of December 2026 (docs/reviews/
2026-12-user-candidates-people.md), through the pages as a county official meets them."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from amanat.accounts.testing import in_language, sign_in
from amanat.lib.nationalid import with_check_digit
from amanat.staffing.models import Person

pytestmark = pytest.mark.django_db

FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _xlsx(rows: list[list[Any]], merge: str = "") -> io.BytesIO:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.sheet_view.rightToLeft = True
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "people.xlsx"
    return out


def test_import_reads_the_home_place_code_typed_in_persian_digits(world: Any) -> None:
    """F2: the national ID and the mobile were read in Persian digits but the home place
    code was looked up as typed, so «۲۳۱۰۰۱» (Gharchak city) refused the whole file with
    "no city, village or district with code ۲۳۱۰۰۱ in the county"."""
    client = in_language(sign_in(Client(), world.personas.gharchak_governor), "fa")
    national_id = with_check_digit("412345678")
    city = world.geo.gharchak_city
    sheet = _xlsx([
        ["فهرست عوامل اجرایی شعب اخذ رأی شهرستان قرچک"],
        [],
        ["کد ملی", "نام", "نام خانوادگی", "جنسیت", "تلفن همراه", "کد محل سکونت", "سمت‌ها"],
        [national_id.translate(FA_DIGITS), "زهرا", "احمدی", "زن", "۰۹۱۲۱۲۳۴۵۶۷",
         city.code.translate(FA_DIGITS), "عضو شعبه"],
    ], merge="A1:G1")
    response = client.post(reverse("staffing:people_import", args=[world.geo.gharchak.pk]),
                           {"file": sheet})
    assert response.status_code == 302, response.content.decode()
    person = Person.objects.get(national_id=national_id)
    assert person.home_unit == city


def test_the_county_sees_its_trained_people(world: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """F8: the demo recorded its people's completions at the course's unit (Iran), so the
    Gharchak governor's course page said «گذرانندگان (۰)» for the course every Gharchak
    station member had passed."""
    from amanat.staffing import demo
    from amanat.training.selectors import course_for_post

    g = world.geo
    monkeypatch.setattr(demo, "COUNTIES", {g.gharchak.code: True})
    demo.seed_demo_staffing(world.election)
    course = course_for_post(world.election, "member")
    assert course is not None
    client = in_language(sign_in(Client(), world.personas.gharchak_governor), "en")
    page = client.get(reverse("training:course", args=[course.pk])).content.decode()
    assert 'data-testid="completions-link">Completions (0)<' not in page
    assert 'data-testid="completions-link">Completions (' in page
