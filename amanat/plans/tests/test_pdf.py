"""The county security plan PDF for Gharchak: threats, measures by phase and scenarios,
in Persian, readable as text; the download is an audited POST of an allowed role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from amanat.accounts.models import Membership, Role
from amanat.audit.models import Event
from amanat.councils.tests.test_pdf import pdftotext
from amanat.plans.demo import seed_demo_plans
from amanat.plans.models import SecurityPlan
from amanat.plans.tests.conftest import client_for
from amanat.plans.tests.test_demo import demo  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def test_gharchak_plan_pdf_reads_in_persian(demo: dict[str, Any],  # noqa: F811
                                            django_user_model: Any) -> None:
    seed_demo_plans(demo["election"])
    plan = SecurityPlan.objects.get(unit=demo["gharchak"])
    governor = django_user_model.objects.create_user(username="g")
    Membership.objects.create(user=governor, role=Role.GOVERNOR, unit=demo["gharchak"])
    inspector = django_user_model.objects.create_user(username="i")
    Membership.objects.create(user=inspector, role=Role.FIELD_INSPECTOR, unit=demo["gharchak"])
    outsider = django_user_model.objects.create_user(username="k")
    Membership.objects.create(user=outsider, role=Role.GOVERNOR, unit=demo["kerman"])
    url = reverse("plans:plan_pdf", args=[plan.pk])
    assert client_for(inspector).post(url).status_code == 404
    assert client_for(outsider).post(url).status_code == 404
    response = client_for(governor).post(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    # pdftotext drops the zero-width non-joiner; compare without it.
    text = " ".join(pdftotext(response.content).replace("\u200c", "").split())
    for expected in ("طرح امنیتی قرچک", "خرید و فروش رأی", "تجمع در محوطه فرمانداری",
                     "پیش از روز رأی‌گیری", "روز رأی‌گیری", "پس از روز رأی‌گیری",
                     "استقرار مأموران انتظامی در شعب حساس", "موج خرید رأی در یک شهرستان",
                     "اعزام گشت به محل‌های گزارش‌شده", "اطلس"):
        assert expected.replace("\u200c", "") in text, expected
    # Numbers in Persian: no Latin digits, and no ASCII decimal point between digits.
    assert not re.search(r"[0-9]", text), re.findall(r".{10}[0-9].{10}", text)[:3]
    assert not re.search(r"[۰-۹]\.[۰-۹]", text)
    assert Event.objects.filter(action="plans.plan.export", actor_id=governor.pk).count() == 1
