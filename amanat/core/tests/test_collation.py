"""Persian alphabetical order, in Python and in the database (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.core.collation import persian
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.collation import persian_compare, persian_sorted
from conftest import make_unit

# In the Persian alphabet: ... ج چ ... ز ژ س ... ک گ ل ... ن و ه ی.  By code point,
# چ ژ ک گ ی come after every other letter and ه before و.
ALPHABETICAL = [
    "آذربایجان شرقی", "اصفهان", "بوشهر", "پاکدشت", "تهران", "جیرفت", "چهارمحال و بختیاری",
    "خراسان رضوی", "زنجان", "ژاوه‌رود", "سمنان", "کرمان", "کهگیلویه و بویراحمد", "گلستان",
    "گیلان", "لرستان", "مازندران", "نهاوند", "ورامین", "همدان", "یزد",
]


def test_python_order_follows_the_persian_alphabet() -> None:
    shuffled = list(reversed(ALPHABETICAL))
    assert persian_sorted(shuffled) == ALPHABETICAL
    assert sorted(shuffled) != ALPHABETICAL  # code-point order is wrong
    assert persian_compare("چهارمحال و بختیاری", "همدان") < 0
    assert persian_compare("ورامین", "همدان") < 0  # و before ه
    assert persian_compare("گیلان", "کرمان") > 0 and persian_compare("گیلان", "لرستان") < 0
    assert persian_sorted([{"n": "یزد"}, {"n": "ژاوه‌رود"}], key=lambda d: d["n"]) == [
        {"n": "ژاوه‌رود"}, {"n": "یزد"}]


@pytest.mark.django_db
def test_the_database_orders_by_the_persian_alphabet(small_geo: Any) -> None:
    for i, name in enumerate(reversed(ALPHABETICAL)):
        make_unit("county", f"99{i:02d}", name, small_geo.tehran)
    names = list(AdminUnit.objects.filter(kind=Kind.COUNTY, code__startswith="99")
                 .order_by(persian("name")).values_list("name", flat=True))
    assert names == ALPHABETICAL
    backwards = list(AdminUnit.objects.filter(kind=Kind.COUNTY, code__startswith="99")
                     .order_by(persian("name", descending=True)).values_list("name", flat=True))
    assert backwards == ALPHABETICAL[::-1]


@pytest.mark.django_db
def test_the_province_list_is_alphabetical(viewer_client: Any, small_geo: Any) -> None:
    for code, name in (("90", "همدان"), ("91", "چهارمحال و بختیاری"), ("92", "گیلان"),
                       ("93", "یزد"), ("94", "ورامین")):
        make_unit("province", code, name, small_geo.iran)
    response = viewer_client.get(reverse("geo:index"))
    names = [p.name for p in response.context["provinces"]]
    assert names == ["تهران", "چهارمحال و بختیاری", "کرمان", "گیلان", "ورامین", "همدان", "یزد"]
