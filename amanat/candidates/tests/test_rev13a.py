"""Attack review rev13a (docs/reviews/2026-12-attack2-candidates-people.md): regression
tests, one per confirmed finding, through the views and the services' public interface."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from amanat.candidates.tests import review_factories as f
from amanat.candidates.tests.test_attack_review import _board_world, _signed_in

pytestmark = pytest.mark.django_db


def test_f1_county_staff_declare_a_candidates_relative_on_the_dossier(
        small_geo: Any, personas: Any) -> None:
    """F1: the relatives a candidate declares are what the staffing conflict rule and
    the board's "party to the case" rule read, yet nothing but the demo could write
    one. The county office records them on the dossier (audited); another county's
    official gets 404 and nothing is stored."""
    from amanat.audit.models import Event
    from amanat.candidates.models import DeclaredRelative

    w = _board_world(small_geo)
    url = reverse("candidates:relative_new", args=[w["c"].pk])
    relative = f.national_id(880001)
    data = {"relation": "sibling", "national_id": relative, "first_name": "علی",
            "last_name": "رضایی"}
    # Another county's governor: not found, nothing written.
    assert _signed_in(personas.kerman_governor).post(url, data).status_code == 404
    assert not DeclaredRelative.objects.exists()
    # A wrong check digit: refused, nothing written.
    bad = {**data, "national_id": relative[:9] + str((int(relative[9]) + 1) % 10)}
    _signed_in(personas.gharchak_governor).post(url, bad)
    assert not DeclaredRelative.objects.exists()
    # The county office, national ID in Persian digits: stored in ASCII, audited.
    persian = relative.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    response = _signed_in(personas.gharchak_governor).post(
        url, {**data, "national_id": persian})
    assert response.status_code == 302
    stored = DeclaredRelative.objects.get()
    assert stored.national_id == relative and stored.candidacy_id == w["c"].pk
    assert Event.objects.filter(action="candidates.relative.declare").exists()
    # The board rule reads it: that relative, seated on the executive board, is a party.
    from amanat.boards.models import BoardKind
    from amanat.candidates import review_selectors as rs

    seat = w["boards"][BoardKind.COUNTY_EXECUTIVE].members.serving().get(user=w["exec"])
    seat.national_id = relative
    seat.save(update_fields=["national_id"])
    assert rs.party_to(seat, w["c"])


def test_f2_the_member_who_confirmed_a_disqualification_does_not_decide_its_complaint(
        small_geo: Any, personas: Any) -> None:
    """F2: the supervision member who confirmed the executive board's disqualification
    decides the candidate's complaint against it alone: the appeal is judged by the
    person appealed against. Refused (fa/en, audited), the form not offered to them;
    another serving member decides it."""
    from django.utils import translation

    from amanat.audit.models import Event
    from amanat.candidates import review_services as services
    from amanat.candidates.models import ComplaintOutcome, Outcome, State

    w = _board_world(small_geo)
    decision = services.decision_make(actor=w["exec"], candidacy=w["c"],
                                      outcome=Outcome.DISQUALIFIED, legal_article="ماده ۲۶")
    services.decision_check(actor=w["sup"], decision=decision, outcome=Outcome.CONFIRMED)
    complaint = services.complaint_file(actor=personas.gharchak_governor, candidacy=w["c"],
                                        text="اعتراض به رد صلاحیت")
    url = reverse("candidates_review:complaint_decide", args=[complaint.pk])
    page = reverse("candidates_review:review", args=[w["c"].pk])
    sup = _signed_in(w["sup"])
    # The page does not offer them the form and says why.
    shown = sup.get(page).content.decode()
    assert 'data-testid="complaint-recused"' in shown
    assert 'data-testid="complaint-decision-form"' not in shown
    refused = Event.objects.filter(action="candidates.complaint.refused")
    before = refused.count()
    response = sup.post(url, {"outcome": "upheld", "decision_text": "پذیرفته شد"})
    assert response.status_code == 422
    assert "در تصمیمِ مورد شکایت نقشی نداشته است" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.outcome == ComplaintOutcome.PENDING
    assert refused.count() == before + 1
    assert refused.latest("pk").extra["code"] == "took_part"
    with translation.override("en"):
        from amanat.core.errors import RuleError
        with pytest.raises(RuleError) as error:
            services.complaint_decide(actor=w["sup"], complaint=complaint,
                                      outcome=ComplaintOutcome.UPHELD)
        assert "took no part in the decision complained of" in str(error.value.message)
    # Another serving member of the supervision board decides it.
    other = _signed_in(w["other_sup"])
    assert 'data-testid="complaint-decision-form"' in other.get(page).content.decode()
    response = other.post(url, {"outcome": "rejected", "legal_article": "ماده ۲۶",
                                "decision_text": "مدرک کافی نیست"})
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.outcome == ComplaintOutcome.REJECTED
    assert complaint.decided_by_id == w["other_sup"].pk
    w["c"].refresh_from_db()
    assert w["c"].state == State.DISQUALIFIED
    assert Event.objects.filter(action="candidates.complaint.rejected").exists()


def test_f2_the_executive_maker_sitting_on_the_supervision_board_does_not_decide(
        small_geo: Any, personas: Any) -> None:
    """F2, the whole class: the executive member who made the decision, should they also
    hold a seat on the supervision board (their account, or the same person's national
    ID through another account), takes no part in the complaint against it."""
    from amanat.boards.models import BoardKind
    from amanat.candidates import review_services as services
    from amanat.candidates.models import ComplaintOutcome, Outcome
    from amanat.core.errors import RuleError

    w = _board_world(small_geo)
    decision = services.decision_make(actor=w["exec"], candidacy=w["c"],
                                      outcome=Outcome.DISQUALIFIED, legal_article="ماده ۲۶")
    services.decision_check(actor=w["sup"], decision=decision, outcome=Outcome.CONFIRMED)
    complaint = services.complaint_file(actor=personas.gharchak_governor, candidacy=w["c"],
                                        text="اعتراض به رد صلاحیت")
    # The other supervision member is the executive maker under another account: their
    # supervision seat carries the maker's national ID.
    maker_seat = w["boards"][BoardKind.COUNTY_EXECUTIVE].members.serving().get(user=w["exec"])
    sup_seat = w["boards"][BoardKind.SUPERVISION].members.serving().get(user=w["other_sup"])
    sup_seat.national_id = maker_seat.national_id
    sup_seat.save(update_fields=["national_id"])
    with pytest.raises(RuleError) as refused:
        services.complaint_decide(actor=w["other_sup"], complaint=complaint,
                                  outcome=ComplaintOutcome.UPHELD)
    assert refused.value.code == "took_part"
    complaint.refresh_from_db()
    assert complaint.outcome == ComplaintOutcome.PENDING


def test_f3_confidential_inquiry_answers_need_the_second_factor(small_geo: Any,
                                                                personas: Any) -> None:
    """F3: a county executive board member reads the Intelligence Ministry's and the
    judiciary's answers about a candidate with a password alone (accounts.access asks
    TOTP only of national and provincial memberships). The answers are the most
    confidential data of the process: reading them needs the second factor (fixed: board
    roles need it at sign-in, accounts.access.SECOND_FACTOR_ROLES)."""
    from django.test import Client

    from amanat.accounts.testing import sign_in

    w = _board_world(small_geo)
    client = sign_in(Client(), w["exec"], verified=False)
    response = client.post(reverse("candidates_review:answers", args=[w["c"].pk]))
    assert response.status_code in (302, 403, 404)


def test_f4_a_board_member_does_not_record_or_read_a_relatives_inquiry_answers(
        small_geo: Any, personas: Any) -> None:
    """F4: the board refuses a member's decision on a relative's candidacy, but the same
    member records the authorities' answers about that candidacy (the answers a
    qualification rests on) and reads the confidential answers: no party check there."""
    import datetime

    from amanat.boards.models import BoardKind
    from amanat.candidates.models import DeclaredRelative, Inquiry, InquiryAnswer, InquiryBatch

    w = _board_world(small_geo)
    race, seat_c = w["c"].contest, w["c"].constituency
    fresh = f.candidacy(contest=race, constituency=seat_c, county=small_geo.gharchak)
    batch = InquiryBatch.objects.create(
        reference="INQ-F4", election=w["election"], kind="police", unit=small_geo.gharchak,
        unit_path=small_geo.gharchak.path, due=datetime.date.today() + datetime.timedelta(5),
        sent_by=w["exec"])
    inquiry = Inquiry.objects.create(candidacy=fresh, batch=batch, kind="police",
                                     due=batch.due)
    seat = w["boards"][BoardKind.COUNTY_EXECUTIVE].members.serving().get(user=w["exec"])
    DeclaredRelative.objects.create(candidacy=fresh, national_id=seat.national_id,
                                    first_name="عضو", last_name="هیئت", relation="sibling")
    # In bulk (the page's import and the API share the service): refused, nothing stored.
    from amanat.candidates import review_services as services

    result = services.inquiry_answers_apply(
        actor=w["exec"], election=w["election"], paths=[small_geo.gharchak.path],
        rows=[services.AnswerRow(line=2, reference=fresh.reference, kind="police",
                                 answer="clear")])
    assert result.applied == 0 and [e.code for _line, e in result.errors] == ["party"]
    client = _signed_in(w["exec"])
    client.post(reverse("candidates_review:inquiry_answer", args=[inquiry.pk]),
                {"answer": "clear"})
    inquiry.refresh_from_db()
    assert inquiry.answer == InquiryAnswer.PENDING
    read = client.post(reverse("candidates_review:answers", args=[fresh.pk]))
    assert read.status_code in (403, 404, 422)
    from amanat.audit.models import Event

    assert not Event.objects.filter(action="candidates.inquiry.view").exists()
    assert Event.objects.filter(action="candidates.inquiry.refused").count() == 2
    # Another member of the board, no party, records it.
    services.inquiry_answer(actor=w["exec2"], inquiry=inquiry, answer="clear")
