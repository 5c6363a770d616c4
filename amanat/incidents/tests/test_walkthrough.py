"""A case from a public report to closure: triage, the police, the prosecutor, closure,
with the audit entries of each step and what each persona can and cannot see."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from amanat.audit.models import Event
from amanat.incidents.models import Case, CaseStep, Referral, Report, Status
from amanat.incidents.tests.conftest import World, client_for, public_form
from amanat.incidents.views import PUBLIC_STATUS
from amanat.lib.jalali import format_jalali
from amanat.lib.persian import to_persian_digits

pytestmark = pytest.mark.django_db


def public_label(status: str) -> str:
    """The public status text as the (Persian) page shows it."""
    with translation.override("fa"):
        return str(PUBLIC_STATUS[Status(status)])


def events(case: Case) -> list[str]:
    return list(
        Event.objects.filter(object_type="incidents.case", object_id=str(case.pk))
        .order_by("seq").values_list("action", flat=True)
    )


def status_of(world: World, case: Case, who: str) -> int:
    client = client_for(getattr(world.personas, who))
    return int(client.get(reverse("incidents:case", args=[case.pk])).status_code)


def test_public_report_to_closure(world: World) -> None:
    # 1. A citizen reports through the public form, without an account.
    response = Client().post(reverse("public_report"), public_form(world))
    assert response.status_code == 200
    reference = response.context["reference"]
    report = Report.objects.get(reference=reference)
    assert report.channel == "public" and report.station == world.gharchak_station
    assert report.unit_path == world.geo.gharchak_city.path
    assert Event.objects.filter(action="incidents.report.receive",
                                object_id=str(report.pk)).count() == 1
    status = Client().get(reverse("public_report_status"), {"reference": reference})
    assert status.context["result"]["found"]
    assert status.context["result"]["status"] == public_label(Status.NEW)

    # 2. The Gharchak governor sees it on the triage page and opens a case.
    governor = client_for(world.personas.gharchak_governor)
    listing = governor.get(reverse("incidents:reports"))
    assert reference in listing.content.decode()
    response = governor.post(reverse("incidents:report_open_case", args=[report.pk]))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/cases/{case.pk}/")
    assert case.status == Status.NEW and case.severity == 3
    assert events(case) == ["incidents.case.open"]

    # Before routing, the police officer does not see it; Kerman and outsiders never.
    assert status_of(world, case, "police") == 404
    assert status_of(world, case, "kerman_governor") == 404
    assert status_of(world, case, "outsider") == 404
    assert status_of(world, case, "tehran_officer") == 200
    assert status_of(world, case, "auditor") == 200

    # 3. Triage (opening the step form, a POST, locks the case to the governor).
    step = reverse("incidents:case_step", args=[case.pk, "triage"])
    assert governor.post(step, {"begin": "1"})["Location"] == step
    assert governor.get(step).status_code == 200
    case.refresh_from_db()
    assert case.locked_by == world.personas.gharchak_governor
    response = governor.post(step, {"category": case.category_id, "severity": 4, "note": "فوری"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.TRIAGED and case.severity == 4 and case.locked_by is None

    # 4. Assign to the police: now the Gharchak police officer sees it.
    police_agency = world.category("vote_buying").agency
    response = governor.post(reverse("incidents:case_step", args=[case.pk, "assign"]),
                             {"agency": police_agency.pk})
    case.refresh_from_db()
    assert case.status == Status.ASSIGNED and case.agency == police_agency
    assert status_of(world, case, "police") == 200
    police = client_for(world.personas.police)
    assert case.number in police.get(reverse("incidents:cases")).content.decode()
    # …but may not change it.
    assert police.get(reverse("incidents:case_step", args=[case.pk, "start"])).status_code == 404

    # 5. Work starts, then the case is referred to the prosecutor.
    governor.post(reverse("incidents:case_step", args=[case.pk, "start"]), {"note": ""})
    # The referral date starts as today (Jalali, Persian digits); the placeholder too.
    refer_page = governor.get(reverse("incidents:case_step", args=[case.pk, "refer"]))
    today = to_persian_digits(format_jalali(timezone.localdate()))
    assert f'value="{today}"' in refer_page.content.decode()
    assert f'placeholder="{today}"' in refer_page.content.decode()
    response = governor.post(reverse("incidents:case_step", args=[case.pk, "refer"]), {
        "office": "دادستانی عمومی و انقلاب قرچک", "referred_on": "۱۴۰۵/۰۳/۲۰",
        "their_reference": "۱۴۰۵-۱۲۳", "note": "",
    })
    assert response.status_code == 302, response.context["form"].errors
    case.refresh_from_db()
    assert case.status == Status.REFERRED
    referral = Referral.objects.get(case=case)
    assert referral.their_reference == "۱۴۰۵-۱۲۳"  # as typed (docs/incidents.md)
    assert referral.referred_on.isoformat() == "2026-06-10"

    # 6. Closure with an outcome.
    response = governor.post(reverse("incidents:case_step", args=[case.pk, "resolve"]),
                             {"outcome": "پرونده در دادسرا تشکیل شد"})
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.closed_at is not None
    assert case.outcome == "پرونده در دادسرا تشکیل شد"

    trail = events(case)
    assert [e for e in trail if e != "access.denied"] == [
        "incidents.case.open", "incidents.case.lock", "incidents.case.triage",
        "incidents.case.assign", "incidents.case.start", "incidents.case.refer",
        "incidents.case.resolve",
    ]
    # Police before routing, Kerman, the outsider, and the police officer's step attempt.
    assert trail.count("access.denied") == 4
    steps = list(CaseStep.objects.filter(case=case).values_list("action", flat=True))
    assert steps == ["open", "triage", "assign", "start", "refer", "resolve"]
    audited = Event.objects.filter(object_type="incidents.case", object_id=str(case.pk),
                                   action="incidents.case.assign").get()
    assert audited.actor_name == "gharchak_governor"
    assert audited.after == {"agency": police_agency.pk, "status": "assigned"}

    # The case page shows the timeline to those who may see it; the public sees a coarse
    # status only.
    page = police.get(reverse("incidents:case", args=[case.pk])).content.decode()
    assert "دادستانی عمومی و انقلاب قرچک" in page
    status = Client().get(reverse("public_report_status"), {"reference": reference})
    assert status.context["result"]["status"] == public_label(Status.RESOLVED)
    assert "دادستانی" not in status.content.decode()


def test_agency_officer_sees_only_cases_of_their_agency(world: World) -> None:
    from amanat.incidents import services

    def open_case(station: Any, category: str) -> Case:
        received = services.report_receive(
            channel="web", category=world.category(category), text="گزارش آزمایشی",
            station=station, actor=world.personas.gharchak_governor,
        )
        return services.case_open_from_report(report=received.report,
                                              actor=world.personas.gharchak_governor)

    police_case = open_case(world.gharchak_station, "vote_buying")
    cyber_case = open_case(world.gharchak_station, "online_disinformation")
    admin = world.personas.admin
    for case in (police_case, cyber_case):
        services.case_triage(case=case, actor=admin)
        services.case_assign(case=case, actor=admin)
    police = client_for(world.personas.police)
    listing = police.get(reverse("incidents:cases")).content.decode()
    assert police_case.number in listing and cyber_case.number not in listing
    assert police.get(reverse("incidents:case", args=[cyber_case.pk])).status_code == 404
    # The police officer has no triage page (reports are not routed yet).
    assert police.get(reverse("incidents:reports")).status_code == 404

