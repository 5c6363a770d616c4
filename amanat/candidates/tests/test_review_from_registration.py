"""Acceptance (issue 13): from the public online pre-registration to the published final
list, through the pages, with the demo election loaded today: two candidates register
(one online, one at the office), the four inquiries go out and come back, the executive
board disqualifies one, the supervision board confirms, the candidate complains and the
complaint is upheld; the list is published after the final decision date, in ballot
order, and the dossier keeps the whole history."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.candidates.models import Candidacy, Complaint, FinalList, Inquiry, State
from amanat.candidates.tests.conftest import World, nid, receive_documents
from amanat.candidates.tests.test_registration import _person, _register_online
from amanat.elections.models import Milestone, MilestoneCode
from amanat.lib.jalali import format_jalali

pytestmark = pytest.mark.django_db


def _signed(user: Any) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_online_registration_to_published_list(world: World, client: Client) -> None:
    geo = world.geo
    # 1. Online pre-registration (code by SMS), then confirmation by the county office.
    assert _register_online(client, world, nid(31)).status_code == 302
    online = Candidacy.objects.get(national_id=nid(31))
    assert online.state == State.PRE_REGISTERED
    governor = _signed(world.personas.gharchak_governor)
    receive_documents(governor, online)  # confirmed only with its required documents
    assert governor.post(reverse("candidates:confirm", args=[online.pk])).status_code == 302
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={geo.gharchak.pk}")
    assert governor.post(url, _person(national_id=nid(32), mobile="09121112233",
                                      first_name="بهمن", last_name="بهرامی",
                                      constituency=world.city(geo.gharchak_city).pk)
                         ).status_code == 302
    walk_in = Candidacy.objects.get(national_id=nid(32))
    online.refresh_from_db()
    assert {online.state, walk_in.state} == {State.REGISTERED}

    # 2. The four inquiries, answered from one file.
    due = format_jalali(timezone.localdate() + datetime.timedelta(days=5), persian_digits=False)
    for kind in ("intelligence", "police", "judiciary", "civil_registry"):
        assert governor.post(reverse("candidates_review:inquiry_send"),
                             {"county": geo.gharchak.pk, "kind": kind, "due": due}
                             ).status_code == 302
    assert Inquiry.objects.count() == 8
    lines = ["reference,authority,answer,adverse_reference"]
    for c in (online, walk_in):
        for kind in ("intelligence", "police", "judiciary", "civil_registry"):
            adverse = c == online and kind == "judiciary"
            lines.append(f"{c.reference},{kind},{'adverse' if adverse else 'clear'},"
                         f"{'J-88' if adverse else ''}")
    board, supervision = _signed(world.board), _signed(world.supervision)
    upload = SimpleUploadedFile("a.csv", "\n".join(lines).encode())
    assert board.post(reverse("candidates_review:inquiry_import"),
                      {"file": upload}).status_code == 302

    # 3. Decisions: the online candidate disqualified under an article, confirmed.
    assert board.post(reverse("candidates_review:decide", args=[online.pk]),
                      {"outcome": "disqualified", "legal_article": "ماده ۲۶"}).status_code == 302
    assert board.post(reverse("candidates_review:decide", args=[walk_in.pk]),
                      {"outcome": "qualified"}).status_code == 302
    for c in (online, walk_in):
        decision = c.decisions.get()
        assert supervision.post(reverse("candidates_review:check", args=[decision.pk]),
                                {"outcome": "confirmed"}).status_code == 302

    # 4. The complaint, within the window, upheld.
    assert governor.post(reverse("candidates_review:complaint_file", args=[online.pk]),
                         {"text": "حکم قطعی نیست."}).status_code == 302
    complaint = Complaint.objects.get()
    # Decided by a member who did not confirm the disqualification (attack review 2, F2).
    assert _signed(world.appeals).post(
        reverse("candidates_review:complaint_decide", args=[complaint.pk]),
        {"outcome": "upheld"}).status_code == 302

    # 5. Published after the final decision date (moved to yesterday), in ballot order.
    publish = reverse("candidates_review:publish",
                      args=[world.city_council.pk, world.city(geo.gharchak_city).pk])
    board.post(publish)
    assert not FinalList.objects.filter(published_at__isnull=False).exists()
    Milestone.objects.filter(election=world.election,
                             code=MilestoneCode.CANDIDATE_COMPLAINTS_CLOSE).update(
        due=timezone.localdate() - datetime.timedelta(days=1))
    assert board.post(publish).status_code == 302
    final = FinalList.objects.get()
    assert [e.candidacy_id for e in final.entries.order_by("ballot_order")] == [
        online.pk, walk_in.pk]  # احمدی before بهرامی
    assert Client().get(reverse("public_final_list", args=[final.pk])).status_code == 200

    # The dossier's review page keeps the whole history; the audit log has every step.
    page = board.get(reverse("candidates_review:review", args=[online.pk])).content.decode()
    assert "ماده ۲۶" in page and 'data-testid="complaint"' in page
    dossier = board.get(reverse("candidates:detail", args=[online.pk])).content.decode()
    assert "review-history" in dossier and "ماده ۲۶" in dossier
    actions = set(Event.objects.values_list("action", flat=True))
    assert {"candidates.candidacy.register", "candidates.inquiry.send",
            "candidates.inquiry.answer_batch", "candidates.decision.make",
            "candidates.decision.confirmed", "candidates.complaint.file",
            "candidates.complaint.upheld", "candidates.final_list.publish"} <= actions
