"""The review half of the candidate process, walked through the pages as the people who
do it (issue 13 acceptance): inquiries sent and answered from a file, the confidential
answers seen only by the boards (each view recorded), the executive board's decisions
with their articles, the supervision board confirming and overturning (never the maker),
complaints within their window (one upheld, one rejected), the final list published after
the final decision date, a withdrawal, and what each persona sees, Kerman never
reaching Gharchak.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import sign_in
from amanat.audit.models import Event
from amanat.boards.demo import complete_board
from amanat.boards.models import BoardKind
from amanat.candidates.models import (
    Candidacy,
    Complaint,
    ComplaintOutcome,
    FinalList,
    Inquiry,
    InquiryAnswer,
    ReviewDecision,
    State,
)
from amanat.candidates.tests import review_factories as f
from amanat.elections.models import Election, Milestone
from amanat.lib.jalali import format_jalali

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _client(user: Any) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _actions(since: int) -> list[str]:
    return list(Event.objects.filter(seq__gt=since).order_by("seq")
                .values_list("action", flat=True))


def _last_seq() -> int:
    last = Event.objects.order_by("-seq").values_list("seq", flat=True).first()
    return last or 0


def _set_complaints_close(election: Election, due: datetime.date) -> None:
    Milestone.objects.filter(election=election, code="candidate_complaints_close").update(due=due)


@pytest.fixture
def world(small_geo: Any, personas: Any) -> dict[str, Any]:
    election = Election.objects.create(name="round", slug="round",
                                       election_day=TODAY + 60 * DAY)
    f.calendar(election, closes=TODAY - 3 * DAY, complaints_close=TODAY + 5 * DAY)
    race = f.contest(election)
    g_seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    k_seat = f.constituency(small_geo.kerman_city, small_geo.kerman_province)
    names = ("رضایی", "احمدی", "کریمی")
    gharchak = [f.candidacy(contest=race, constituency=g_seat, county=small_geo.gharchak,
                            last_name=n) for n in names]
    kerman = f.candidacy(contest=race, constituency=k_seat, county=small_geo.kerman_county,
                         last_name="کرمانی")
    executive = f.member("exec_gharchak", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    supervision = f.member("supervision_tehran", Role.SUPERVISION_BOARD, small_geo.tehran)
    # Decides the complaints: not the member who confirmed the decisions complained of.
    appeals = f.member("supervision_tehran2", Role.SUPERVISION_BOARD, small_geo.tehran)
    # Both boards at once: may decide, never check their own decision.
    both = f.member("both_boards", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    Membership.objects.create(user=both, role=Role.SUPERVISION_BOARD, unit=small_geo.tehran)
    kerman_exec = f.member("exec_kerman", Role.EXECUTIVE_BOARD, small_geo.kerman_county)
    # The boards that act are complete (amanat/boards refuses an incomplete one).
    # The accounts that act sit on the boards (a role alone decides nothing).
    for kind, unit, users in ((BoardKind.COUNTY_EXECUTIVE, small_geo.gharchak,
                               [executive, both]),
                              (BoardKind.COUNTY_EXECUTIVE, small_geo.kerman_county,
                               [kerman_exec]),
                              (BoardKind.SUPERVISION, small_geo.tehran,
                               [supervision, both, appeals])):
        complete_board(election=election, kind=kind, unit=unit, users=users)
    return {"election": election, "race": race, "seat": g_seat, "g": gharchak, "k": kerman,
            "exec": executive, "sup": supervision, "sup2": appeals, "both": both,
            "kerman_exec": kerman_exec,
            "personas": personas, "geo": small_geo}


def test_from_registration_to_the_published_final_list(world: dict[str, Any]) -> None:
    a, b, c = world["g"]  # رضایی, احمدی, کریمی
    geo, personas = world["geo"], world["personas"]
    governor = _client(personas.gharchak_governor)
    executive, supervision = _client(world["exec"]), _client(world["sup"])
    both = _client(world["both"])

    # 1. The county office sends the police inquiries, due in a week.
    start = _last_seq()
    due = format_jalali(TODAY + 7 * DAY, persian_digits=False)
    page = governor.post(reverse("candidates_review:inquiry_send"),
                         {"county": geo.gharchak.pk, "kind": "police", "due": due})
    assert page.status_code == 302, page.content.decode()[:2000]
    assert Inquiry.objects.filter(kind="police").count() == 3  # Kerman's is not Gharchak's
    assert set(Candidacy.objects.filter(pk__in=[a.pk, b.pk, c.pk])
               .values_list("state", flat=True)) == {State.UNDER_REVIEW}
    assert _actions(start) == ["candidates.inquiry.send"]
    # Sending again asks no one twice.
    again = governor.post(reverse("candidates_review:inquiry_send"),
                          {"county": geo.gharchak.pk, "kind": "police", "due": due})
    assert again.status_code == 200 and Inquiry.objects.count() == 3
    # The other three authorities: the four answers are what a qualification rests on.
    for kind in ("intelligence", "judiciary", "civil_registry"):
        assert governor.post(reverse("candidates_review:inquiry_send"),
                             {"county": geo.gharchak.pk, "kind": kind, "due": due}
                             ).status_code == 302
    assert Inquiry.objects.count() == 12

    # 2. The answers come back as a spreadsheet; a line without its reference stores nothing.
    bad = ("reference,authority,answer,adverse_reference\n"
           f"{a.reference},police,clear,\n{b.reference},police,adverse,\n")
    page = executive.post(reverse("candidates_review:inquiry_import"),
                          {"file": _upload(bad)})
    assert page.status_code == 200
    assert "import-errors" in page.content.decode()
    assert not Inquiry.objects.exclude(answer=InquiryAnswer.PENDING).exists()
    good = ("reference,authority,answer,adverse_reference,note\n"
            f"{a.reference},police,clear,,\n{b.reference},police,adverse,P-1404-77,\n"
            f"{c.reference},police,clear,,\n"
            + "".join(f"{x.reference},{kind},clear,,\n" for x in (a, b, c)
                      for kind in ("intelligence", "judiciary", "civil_registry")))
    start = _last_seq()
    page = executive.post(reverse("candidates_review:inquiry_import"), {"file": _upload(good)})
    assert page.status_code == 302
    assert Inquiry.objects.get(candidacy=b, kind="police").adverse_reference == "P-1404-77"
    assert _actions(start) == ["candidates.inquiry.answer_batch"]

    # 3. The answers are confidential: the governor sees the case but not the answer.
    review_b = reverse("candidates_review:review", args=[b.pk])
    answers_b = reverse("candidates_review:answers", args=[b.pk])
    page = governor.get(review_b)
    assert page.status_code == 200 and "P-1404-77" not in page.content.decode()
    assert "show-answers" not in page.content.decode()
    assert governor.post(answers_b).status_code == 404
    start = _last_seq()
    page = executive.get(review_b)
    assert "P-1404-77" not in page.content.decode()  # a GET shows no answer
    page = executive.post(answers_b)
    assert page.status_code == 200 and "P-1404-77" in page.content.decode()
    assert _actions(start) == ["candidates.inquiry.view"]

    # 4. The executive board decides; a disqualification without its article is refused
    #    (and the attempt recorded), nothing stored.
    decide_b = reverse("candidates_review:decide", args=[b.pk])
    start = _last_seq()
    page = executive.post(decide_b, {"outcome": "disqualified", "legal_article": ""})
    assert page.status_code == 422
    assert not ReviewDecision.objects.filter(candidacy=b).exists()
    assert _actions(start) == ["candidates.decision.refused"]
    assert executive.post(decide_b, {"outcome": "disqualified",
                                     "legal_article": "ماده ۲۶ بند ۴"}).status_code == 302
    assert executive.post(reverse("candidates_review:decide", args=[c.pk]),
                          {"outcome": "qualified"}).status_code == 302
    assert both.post(reverse("candidates_review:decide", args=[a.pk]),
                     {"outcome": "qualified"}).status_code == 302
    # A governor is no board member.
    assert governor.post(reverse("candidates_review:decide", args=[a.pk]),
                         {"outcome": "qualified"}).status_code == 404

    # 5. Maker-checker: the maker cannot check; another supervision member confirms or
    #    overturns (overturning into a disqualification needs its article).
    decision_a = ReviewDecision.objects.get(candidacy=a)
    page = both.post(reverse("candidates_review:check", args=[decision_a.pk]),
                     {"outcome": "confirmed"})
    assert page.status_code == 422 and ReviewDecision.objects.filter(candidacy=a).count() == 1
    for candidacy, data in ((a, {"outcome": "confirmed"}),
                            (b, {"outcome": "confirmed"}),
                            (c, {"outcome": "overturned", "legal_article": "ماده ۲۸"})):
        decision = ReviewDecision.objects.get(candidacy=candidacy, board="executive")
        assert supervision.post(reverse("candidates_review:check", args=[decision.pk]),
                                data).status_code == 302
    states = dict(Candidacy.objects.filter(pk__in=[a.pk, b.pk, c.pk])
                  .values_list("pk", "state"))
    assert states == {a.pk: State.QUALIFIED, b.pk: State.DISQUALIFIED,
                      c.pk: State.DISQUALIFIED}

    # 6. Complaints: within the window, recorded by the county office.
    assert governor.post(reverse("candidates_review:complaint_file", args=[b.pk]),
                         {"text": "سابقه من پاک است."}).status_code == 302
    _set_complaints_close(world["election"], TODAY - DAY)
    start = _last_seq()
    page = governor.post(reverse("candidates_review:complaint_file", args=[c.pk]),
                         {"text": "اعتراض دارم."})
    assert page.status_code == 422 and not Complaint.objects.filter(candidacy=c).exists()
    text = page.content.decode()
    assert format_jalali(TODAY - DAY, persian_digits=False) in text or \
        format_jalali(TODAY - DAY) in text
    assert _actions(start) == ["candidates.complaint.refused"]
    _set_complaints_close(world["election"], TODAY + 5 * DAY)
    assert governor.post(reverse("candidates_review:complaint_file", args=[c.pk]),
                         {"text": "اعتراض دارم."}).status_code == 302

    # 7. The supervision board decides: B's upheld (qualified), C's rejected (article),
    #    by a member who took no part in the decisions complained of (attack 2, F2).
    complaint_b, complaint_c = (Complaint.objects.get(candidacy=b),
                                Complaint.objects.get(candidacy=c))
    assert supervision.post(reverse("candidates_review:complaint_decide",
                                    args=[complaint_b.pk]),
                            {"outcome": "upheld", "decision_text": "مدارک کافی است"}
                            ).status_code == 422
    appeals = _client(world["sup2"])
    assert appeals.post(reverse("candidates_review:complaint_decide",
                                args=[complaint_b.pk]),
                        {"outcome": "upheld", "decision_text": "مدارک کافی است"}
                        ).status_code == 302
    assert appeals.post(reverse("candidates_review:complaint_decide",
                                args=[complaint_c.pk]),
                        {"outcome": "rejected"}).status_code == 422
    assert appeals.post(reverse("candidates_review:complaint_decide",
                                args=[complaint_c.pk]),
                        {"outcome": "rejected", "legal_article": "ماده ۲۸"}
                        ).status_code == 302
    # Final: a second decision is refused.
    assert appeals.post(reverse("candidates_review:complaint_decide",
                                    args=[complaint_b.pk]),
                            {"outcome": "rejected", "legal_article": "x"}).status_code == 422
    complaint_b.refresh_from_db()
    assert complaint_b.outcome == ComplaintOutcome.UPHELD and complaint_b.decided_at
    b.refresh_from_db()
    assert b.state == State.QUALIFIED

    # The whole history stays, and the review page shows it.
    page = executive.get(review_b).content.decode()
    assert page.count("ماده ۲۶ بند ۴") >= 2 and "مدارک کافی است" in page

    # 8. The final list: not before the final decision date; then in ballot order.
    publish = reverse("candidates_review:publish", args=[world["race"].pk, world["seat"].pk])
    executive.post(publish)
    assert not FinalList.objects.filter(published_at__isnull=False).exists()
    assert Client().get(reverse("public_final_lists")).status_code == 200
    _set_complaints_close(world["election"], TODAY - DAY)
    assert _client(world["kerman_exec"]).post(publish).status_code == 404
    start = _last_seq()
    page = executive.post(publish)
    assert page.status_code == 302
    final = FinalList.objects.get(published_at__isnull=False)
    assert _actions(start) == ["candidates.final_list.publish"]
    assert [e.candidacy_id for e in final.entries.order_by("ballot_order")] == [b.pk, a.pk]

    anonymous = Client()
    index = anonymous.get(reverse("public_final_lists")).content.decode()
    assert reverse("public_final_list", args=[final.pk]) in index
    page = anonymous.get(reverse("public_final_list", args=[final.pk])).content.decode()
    assert "احمدی" in page and "رضایی" in page and "کریمی" not in page
    assert page.index("احمدی") < page.index("رضایی")
    body = json.loads(anonymous.get(reverse("public_final_list_json", args=[final.pk])).content)
    assert body["licence"].startswith("CC BY 4.0")
    assert [r["ballot_order"] for r in body["candidates"]] == [1, 2]
    csv_text = anonymous.get(reverse("public_final_list_csv", args=[final.pk])).content.decode()
    assert "licence" in csv_text.splitlines()[0] and a.reference in csv_text
    # The public report page links the final lists.
    report_page = anonymous.get(reverse("public_report")).content.decode()
    assert reverse("public_final_lists") in report_page

    # 9. A withdrawal after publication is recorded and shown, the entry kept.
    entry = final.entries.get(candidacy=a)
    assert executive.post(reverse("candidates_review:withdraw", args=[entry.pk]),
                          {"note": "نامه کتبی داوطلب"}).status_code == 302
    page = anonymous.get(reverse("public_final_list", args=[final.pk])).content.decode()
    assert 'data-testid="withdrawn"' in page and "رضایی" in page
    a.refresh_from_db()
    assert a.state == State.WITHDRAWN


def test_the_printable_list_is_a_persian_pdf(world: dict[str, Any]) -> None:
    a = world["g"][0]
    Candidacy.objects.filter(pk=a.pk).update(state=State.QUALIFIED)
    Candidacy.objects.filter(pk__in=[c.pk for c in world["g"][1:]]).update(
        state=State.DISQUALIFIED)
    _set_complaints_close(world["election"], TODAY - DAY)
    executive = _client(world["exec"])
    executive.post(reverse("candidates_review:publish",
                           args=[world["race"].pk, world["seat"].pk]))
    final = FinalList.objects.get()
    response = Client().get(reverse("public_final_list_pdf", args=[final.pk]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")


def test_kerman_sees_no_gharchak_candidate(world: dict[str, Any],
                                           django_assert_max_num_queries: Any) -> None:
    personas = world["personas"]
    a = world["g"][0]
    kerman = _client(personas.kerman_governor)
    page = kerman.get(reverse("candidates_review:queue")).content.decode()
    assert "کرمانی" in page and not any(c.last_name in page for c in world["g"])
    assert kerman.get(reverse("candidates_review:review", args=[a.pk])).status_code == 404
    assert kerman.post(reverse("candidates_review:complaint_file", args=[a.pk]),
                       {"text": "x"}).status_code == 404
    page = kerman.get(reverse("candidates_review:inquiries")).content.decode()
    assert not any(c.reference in page for c in world["g"])
    kerman_exec = _client(world["kerman_exec"])
    assert kerman_exec.post(reverse("candidates_review:answers", args=[a.pk])).status_code == 404
    assert kerman_exec.post(reverse("candidates_review:decide", args=[a.pk]),
                            {"outcome": "qualified"}).status_code == 404
    assert Event.objects.filter(action="access.denied").exists()
    # Roles with no part in candidates see nothing.
    assert _client(personas.police).get(
        reverse("candidates_review:queue")).status_code == 404
    # The queue's query count does not grow with the rows.
    admin = _client(personas.admin)
    admin.get(reverse("candidates_review:queue"))
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("candidates_review:queue")).status_code == 200
    for i in range(30):
        f.candidacy(contest=world["race"], constituency=world["seat"],
                    county=world["geo"].gharchak, last_name=f"x{i}")
    with django_assert_max_num_queries(12):
        assert admin.get(reverse("candidates_review:queue")).status_code == 200


def test_inquiry_answers_in_bulk_are_one_write_and_one_audit_entry(
        world: dict[str, Any]) -> None:
    from amanat.candidates import review_services as services

    election = world["election"]
    people = [f.candidacy(contest=world["race"], constituency=world["seat"],
                          county=world["geo"].gharchak) for _ in range(40)]
    services.inquiry_batch_send(actor=world["exec"], election=election,
                                unit=world["geo"].gharchak, kind="judiciary",
                                candidacies=people, due=TODAY + DAY)
    start = _last_seq()
    rows = [services.AnswerRow(line=i, reference=p.reference, kind="judiciary",
                               answer="clear") for i, p in enumerate(people, start=2)]
    result = services.inquiry_answers_apply(actor=world["exec"], election=election,
                                            paths=[world["geo"].gharchak.path], rows=rows)
    assert result.applied == 40 and not result.errors
    assert _actions(start) == ["candidates.inquiry.answer_batch"]
    # Kerman's board reaches none of Gharchak's inquiries: every line "not found".
    again = services.inquiry_answers_apply(actor=world["kerman_exec"], election=election,
                                           paths=[world["geo"].kerman_county.path],
                                           rows=rows[:3])
    assert [e.code for _line, e in again.errors] == ["not_found"] * 3
    # "No answer" only after the due date.
    late = services.inquiry_answers_apply(
        actor=world["exec"], election=election, paths=[world["geo"].gharchak.path],
        rows=[services.AnswerRow(line=2, reference=world["g"][0].reference, kind="judiciary",
                                 answer="no_answer")])
    assert late.errors and late.errors[0][1].code in ("not_found", "not_due")


def _upload(text: str) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("answers.csv", text.encode("utf-8"), content_type="text/csv")


def test_inquiry_answers_through_the_api(world: dict[str, Any]) -> None:
    from amanat.accounts import services as accounts
    from amanat.candidates import review_services as services
    from amanat.lib.persian import to_persian_digits

    people = world["g"]
    services.inquiry_batch_send(actor=world["exec"], election=world["election"],
                                unit=world["geo"].gharchak, kind="police",
                                candidacies=people, due=TODAY + DAY)
    _token, raw = accounts.api_token_issue(user=world["exec"], name="t", ttl_days=1,
                                           actor=world["exec"])
    client = Client()
    url = "/api/v1/candidate-review/inquiry-answers"
    headers = {"Authorization": f"Bearer {raw}"}
    bad = client.post(url, {"answers": [{"reference": people[0].reference,
                                         "authority": "police", "answer": "adverse"}]},
                      content_type="application/json", headers=headers)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["code"] == "reference_required"
    assert not Inquiry.objects.exclude(answer="pending").exists()
    # A tracking code as the pages print it, in Persian digits, is found (user review F17).
    good = client.post(url, {"answers": [{"reference": to_persian_digits(p.reference),
                                          "authority": "police",
                                          "answer": "clear"} for p in people]},
                       content_type="application/json", headers=headers)
    assert good.status_code == 200 and good.json() == {"applied": 3}
    # Kerman's board: Gharchak's inquiries are not found.
    _t, kraw = accounts.api_token_issue(user=world["kerman_exec"], name="k", ttl_days=1,
                                        actor=world["kerman_exec"])
    other = client.post(url, {"answers": [{"reference": people[0].reference,
                                           "authority": "judiciary", "answer": "clear"}]},
                        content_type="application/json",
                        headers={"Authorization": f"Bearer {kraw}"})
    assert other.status_code == 422 and other.json()["errors"][0]["code"] == "not_found"


def test_bulk_insert_takes_a_column_named_like_a_key(world: dict[str, Any]) -> None:
    """core.bulk: ``national_id`` is a column, not the key of a ``national`` relation."""
    from amanat.core.bulk import insert_rows

    a = world["g"][0]
    count = insert_rows(Candidacy, ["reference", "election_id", "contest", "constituency_id",
                                    "county_id", "unit_path", "state", "channel",
                                    "national_id", "first_name", "last_name", "gender",
                                    "birth_date", "education", "mobile", "search_text",
                                    "created_at", "updated_at", "father_name", "occupation",
                                    "address", "residence_years"],
                        [["BULK1", a.election_id, a.contest_id, a.constituency_id,
                          a.county_id, a.unit_path, "registered", "walk_in",
                          f.national_id(987654), "x", "y", "male", datetime.date(1980, 1, 1),
                          5, "09120000000", "x y", timezone.now(), timezone.now(), "", "",
                          "", 0]])
    assert count == 1
    assert Candidacy.objects.get(reference="BULK1").national_id == f.national_id(987654)


def test_inquiry_answers_through_the_api_with_an_idempotency_key(
        world: dict[str, Any]) -> None:
    """User review 2, F17: the batch honours the Idempotency-Key its 503 answer asks
    clients to resend: a retry gets the first answer (applied once, one audit entry),
    the same key with another body is refused, a malformed key too, nothing applied."""
    from amanat.accounts import services as accounts
    from amanat.audit.models import Event
    from amanat.candidates import review_services as services

    people = world["g"]
    services.inquiry_batch_send(actor=world["exec"], election=world["election"],
                                unit=world["geo"].gharchak, kind="police",
                                candidacies=people, due=TODAY + DAY)
    _token, raw = accounts.api_token_issue(user=world["exec"], name="t", ttl_days=1,
                                           actor=world["exec"])
    client = Client()
    url = "/api/v1/candidate-review/inquiry-answers"
    body = {"answers": [{"reference": p.reference, "authority": "police", "answer": "clear"}
                        for p in people]}
    bad_key = client.post(url, body, content_type="application/json",
                          headers={"Authorization": f"Bearer {raw}",
                                   "Idempotency-Key": "کلید"})
    assert bad_key.status_code == 422
    assert bad_key.json()["errors"][0]["code"] == "key_malformed"
    assert not Inquiry.objects.exclude(answer="pending").exists()
    headers = {"Authorization": f"Bearer {raw}", "Idempotency-Key": "batch-1"}
    first = client.post(url, body, content_type="application/json", headers=headers)
    assert first.status_code == 200 and first.json() == {"applied": 3}
    again = client.post(url, body, content_type="application/json", headers=headers)
    assert again.status_code == 200 and again.json() == {"applied": 3}
    assert again["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(action="candidates.inquiry.answer_batch").count() == 1
    other = client.post(url, {"answers": body["answers"][:1]},
                        content_type="application/json", headers=headers)
    assert other.status_code == 422
    # Without a key a retry is not replayed: the answers are there already.
    plain = client.post(url, body, content_type="application/json",
                        headers={"Authorization": f"Bearer {raw}"})
    assert plain.status_code == 422
