"""User review 2 (docs/reviews/2026-12-user2-candidates-people.md), findings closed on
branch left13, through the pages: references readable on a phone (F13); the state after
the executive board's decision and who took it (F14)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from amanat.candidates.models import InquiryBatch
from amanat.candidates.tests.test_rev13u import _client, _send_all, rw  # noqa: F401

pytestmark = pytest.mark.django_db

PERSIAN_DIGITS = re.compile("[۰-۹]")


def test_references_with_letters_read_in_latin_on_the_page(rw: dict[str, Any]) -> None:  # noqa: F811
    """F13: a batch reference «INQ-E7757FD4E4» was shown «INQ-E۷۷۵۷FD۴E۴»: Persian digits
    between Latin letters. A code with letters is shown all Latin, isolated left to right,
    in the list, the batches and the message; a code of digits stays in Persian digits."""
    geo, personas = rw["geo"], rw["personas"]
    governor = _client(personas.gharchak_governor)
    page = governor.post(reverse("candidates_review:inquiry_send"),
                         {"county": geo.gharchak.pk, "kind": "police",
                          "due": _due()}, follow=True).content.decode()
    batch = InquiryBatch.objects.get()
    message = re.search(r'data-testid="message">(.*?)</div>', page, re.S)
    assert message is not None and batch.reference in message.group(1)
    InquiryBatch.objects.filter(pk=batch.pk).update(reference="INQ-E7757FD4E4")
    page = governor.get(reverse("candidates_review:inquiries")).content.decode()
    shown = re.findall(r'<bdi dir="ltr">(INQ-[^<]*)</bdi>', page)
    assert shown and set(shown) == {"INQ-E7757FD4E4"}
    # The candidates' tracking codes with letters (the factories' «TC…»): Latin as well.
    for candidacy in rw["g"]:
        assert f'<bdi dir="ltr">{candidacy.reference}</bdi>' in page
    # A code of digits only (a tracking code of the online registration) reads in
    # Persian digits, as every station code does.
    digits = rw["g"][0]
    digits.reference = "4810273659"
    digits.save(update_fields=["reference"])
    page = governor.get(reverse("candidates_review:inquiries")).content.decode()
    assert '<bdi dir="ltr">۴۸۱۰۲۷۳۶۵۹</bdi>' in page
    detail = governor.get(reverse("candidates:detail", args=[digits.pk])).content.decode()
    assert '<bdi dir="ltr">۴۸۱۰۲۷۳۶۵۹</bdi>' in detail
    other = governor.get(reverse("candidates:detail", args=[rw["g"][1].pk])).content.decode()
    assert f'<bdi dir="ltr">{rw["g"][1].reference}</bdi>' in other


def _due() -> str:
    import datetime

    from django.utils import timezone

    from amanat.lib.jalali import format_jalali

    return format_jalali(timezone.localdate() + datetime.timedelta(days=7),
                         persian_digits=False)


def test_after_the_executive_decision_the_next_step_and_the_members_name_show(
        small_geo: Any, personas: Any) -> None:
    """F14: after the executive board's «qualified» the state still reads «under review»
    with no word of the supervision board, and the decision is signed with the login.
    The page names the next step (the outcome only to those who see the decisions) and
    the member's full name from their seat."""
    from amanat.boards.models import BoardKind
    from amanat.candidates import review_services as services
    from amanat.candidates.models import Outcome
    from amanat.candidates.tests.test_attack_review import _board_world, _signed_in

    w = _board_world(small_geo)
    page_url = reverse("candidates_review:review", args=[w["c"].pk])
    executive = _signed_in(w["exec"])
    assert "گام بعد: تصمیم هیئت اجرایی شهرستان." in executive.get(page_url).content.decode()
    services.decision_make(actor=w["exec"], candidacy=w["c"], outcome=Outcome.QUALIFIED)
    seat = w["boards"][BoardKind.COUNTY_EXECUTIVE].members.serving().get(user=w["exec"])
    page = executive.get(page_url).content.decode()
    step = re.search(r'data-testid="next-step">(.*?)</small>', page, re.S)
    assert step is not None
    assert "هیئت نظارت آن را تأیید یا نقض می‌کند" in step.group(1)
    assert "تأیید" in step.group(1)  # the outcome, named for a board member
    decider = re.search(r'data-testid="decider">\((.*?)\)</small>', page, re.S)
    assert decider is not None and seat.full_name in decider.group(1)
    assert w["exec"].username not in decider.group(1)
    # The county office sees the step, not the outcome (it does not see decisions).
    office = _signed_in(personas.gharchak_governor).get(page_url)
    assert office.status_code == 200
    text = office.content.decode()
    assert 'data-testid="decider"' not in text
    step = re.search(r'data-testid="next-step">(.*?)</small>', text, re.S)
    assert step is not None and "تصمیم هیئت اجرایی را تأیید یا نقض" in step.group(1)
    # Another county's governor: not found.
    assert _signed_in(personas.kerman_governor).get(page_url).status_code == 404
