"""Open findings of the user review of December 2026 (docs/reviews/
2026-12-user-candidates-people.md, F9, F10, F12, F13, F15), fixed on branch candfix:
each through the pages (or the services' public entry points) as the people who meet it.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.candidates.models import (
    Candidacy,
    Complaint,
    Inquiry,
    InquiryAnswer,
    InquiryBatch,
    InquiryKind,
    ReviewDecision,
    State,
)
from amanat.candidates.tests import review_factories as f
from amanat.candidates.tests.conftest import World, nid, receive_documents
from amanat.lib.jalali import format_jalali

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def _client(user: Any, language: str = "en") -> Client:
    return in_language(sign_in(Client(), user), language)


def _candidate(world: World, last_name: str, state: str = State.UNDER_REVIEW) -> Candidacy:
    return f.candidacy(contest=world.city_council, constituency=world.city(
        world.geo.gharchak_city), county=world.geo.gharchak, last_name=last_name, state=state)


def _inquiry(candidacy: Candidacy, kind: str, *, due: datetime.date,
             answer: str = InquiryAnswer.PENDING, by: Any) -> Inquiry:
    county = candidacy.county
    batch = InquiryBatch.objects.create(
        reference=f"INQ-{candidacy.pk}-{kind}"[:20], election=candidacy.election, kind=kind,
        unit=county, unit_path=county.path, due=due, sent_by=by)
    return Inquiry.objects.create(candidacy=candidacy, batch=batch, kind=kind, due=due,
                                  answer=answer, answered_at=None if answer ==
                                  InquiryAnswer.PENDING else timezone.now())


def _refusals(action: str) -> int:
    return Event.objects.filter(action=action).count()


# --- F9: qualification on the four inquiries; confirmation with the documents ------------


def test_a_qualification_waits_for_the_four_inquiries_and_names_the_missing(
        world: World) -> None:
    """F9: the executive board decided «qualified» with no inquiry sent. The four
    inquiries are the basis of the review: a qualification is refused while any is
    unanswered (not sent, or pending before its due date), naming them; one pending past
    its due date counts as "no answer"."""
    a = _candidate(world, "رضایی")
    # Police answered; the intelligence ministry silent past its due date ("no answer");
    # the judiciary asked, due in five days; the civil registry never asked.
    _inquiry(a, InquiryKind.POLICE, due=TODAY + DAY, answer=InquiryAnswer.CLEAR, by=world.board)
    _inquiry(a, InquiryKind.INTELLIGENCE, due=TODAY - DAY, by=world.board)
    judiciary = _inquiry(a, InquiryKind.JUDICIARY, due=TODAY + 5 * DAY, by=world.board)
    board = _client(world.board)
    # Said on the review page before the board chooses.
    review = board.get(reverse("candidates_review:review", args=[a.pk])).content.decode()
    said = review.split('data-testid="unanswered-inquiries"')[1].split("</p>")[0]
    assert "Judiciary" in said and "Civil registry" in said and "Police" not in said
    decide = reverse("candidates_review:decide", args=[a.pk])
    refused = _refusals("candidates.decision.refused")
    page = board.post(decide, {"outcome": "qualified"})
    assert page.status_code == 422
    text = page.content.decode()
    assert "qualified only on the answers of the four inquiries" in text
    assert "Judiciary" in text and "Civil registry" in text
    assert "Ministry of Intelligence" not in text.split("still unanswered")[1].split(".")[0]
    assert "Police record" not in text.split("still unanswered")[1].split(".")[0]
    assert not ReviewDecision.objects.filter(candidacy=a).exists()
    assert _refusals("candidates.decision.refused") == refused + 1
    # In Persian too, with the authorities' Persian names.
    fa = _client(world.board, "fa").post(decide, {"outcome": "qualified"}).content.decode()
    assert "استعلام" in fa and "قوه قضاییه" in fa and "ثبت احوال" in fa

    # The answers come: the judiciary's (before its due date) and the civil registry's.
    Inquiry.objects.filter(pk=judiciary.pk).update(answer=InquiryAnswer.CLEAR,
                                                   answered_at=timezone.now())
    _inquiry(a, InquiryKind.CIVIL_REGISTRY, due=TODAY + DAY, answer=InquiryAnswer.CLEAR,
             by=world.board)
    assert board.post(decide, {"outcome": "qualified"}).status_code == 302
    assert ReviewDecision.objects.get(candidacy=a).outcome == "qualified"


def test_a_disqualification_under_its_article_needs_no_answer_yet(world: World) -> None:
    """The rule's other half: a disqualification rests on the legal article it names
    (already required), and may be decided before the answers (an under-age candidate,
    a missing ijtihad certificate)."""
    b = _candidate(world, "احمدی")
    board = _client(world.board)
    decide = reverse("candidates_review:decide", args=[b.pk])
    assert board.post(decide, {"outcome": "disqualified"}).status_code == 422
    assert board.post(decide, {"outcome": "disqualified",
                               "legal_article": "ماده ۳۷"}).status_code == 302
    assert ReviewDecision.objects.get(candidacy=b).outcome == "disqualified"


def test_the_supervision_board_and_a_complaint_qualify_only_on_the_answers(
        world: World) -> None:
    """Every way to "qualified" rests on the four answers: the supervision board
    overturning a disqualification, and a complaint upheld. The county office can send
    the inquiries about a disqualified candidate whose complaint is pending."""
    c = _candidate(world, "کریمی")
    board, supervision = _client(world.board), _client(world.supervision)
    assert board.post(reverse("candidates_review:decide", args=[c.pk]),
                      {"outcome": "disqualified", "legal_article": "ماده ۳۷"}
                      ).status_code == 302
    decision = ReviewDecision.objects.get(candidacy=c)
    check = reverse("candidates_review:check", args=[decision.pk])
    page = supervision.post(check, {"outcome": "overturned"})
    assert page.status_code == 422
    assert "qualified only on the answers" in page.content.decode()
    assert ReviewDecision.objects.filter(candidacy=c).count() == 1
    # Confirmed: disqualified; the candidate complains.
    assert supervision.post(check, {"outcome": "confirmed"}).status_code == 302
    governor = _client(world.personas.gharchak_governor)
    assert governor.post(reverse("candidates_review:complaint_file", args=[c.pk]),
                         {"text": "شرایط را دارم."}).status_code == 302
    complaint = Complaint.objects.get(candidacy=c)
    uphold = reverse("candidates_review:complaint_decide", args=[complaint.pk])
    refused = _refusals("candidates.complaint.refused")
    # Another member than the one who confirmed decides it (attack review 2, F2).
    appeals = _client(world.appeals)
    page = appeals.post(uphold, {"outcome": "upheld"})
    assert page.status_code == 422 and "Police record" in page.content.decode()
    assert _refusals("candidates.complaint.refused") == refused + 1
    complaint.refresh_from_db()
    assert complaint.outcome == "pending"
    # The office sends the four inquiries about the complaining candidate (a disqualified
    # one without a complaint is not asked about).
    other = _candidate(world, "بی‌شکایت", state=State.DISQUALIFIED)
    due = format_jalali(TODAY + 3 * DAY, persian_digits=False)
    for kind in InquiryKind.values:
        assert governor.post(reverse("candidates_review:inquiry_send"),
                             {"county": world.geo.gharchak.pk, "kind": kind, "due": due}
                             ).status_code == 302
    assert Inquiry.objects.filter(candidacy=c).count() == 4
    assert not Inquiry.objects.filter(candidacy=other).exists()
    Inquiry.objects.filter(candidacy=c).update(answer=InquiryAnswer.CLEAR,
                                               answered_at=timezone.now())
    assert appeals.post(uphold, {"outcome": "upheld"}).status_code == 302
    c.refresh_from_db()
    assert c.state == State.QUALIFIED


def test_a_registration_is_confirmed_only_with_its_required_documents(world: World) -> None:
    """F9: the county office confirmed an online pre-registration whose «مدرک تحصیلی» was
    missing. Refused, naming the documents missing or rejected; the office receives them
    on the dossier and then confirms (no "confirm anyway")."""
    online = _candidate(world, "آنلاین", state=State.PRE_REGISTERED)
    Candidacy.objects.filter(pk=online.pk).update(channel="online")
    office = _client(world.personas.gharchak_governor)
    receive_documents(office, online, skip=("degree",))
    confirm = reverse("candidates:confirm", args=[online.pk])
    page = office.post(confirm, follow=True).content.decode()
    assert "cannot be confirmed while required documents are missing" in page
    named = page.split("missing or rejected:")[1].split("Receive them")[0]
    assert "Education certificate" in named and "photo" not in named
    online.refresh_from_db()
    assert online.state == State.PRE_REGISTERED and online.confirmed_at is None
    assert not Event.objects.filter(action="candidates.candidacy.confirm").exists()
    fa = _client(world.personas.gharchak_governor, "fa").post(confirm, follow=True)
    assert "مدرک تحصیلی" in fa.content.decode()
    receive_documents(office, online)
    office.post(confirm)
    online.refresh_from_db()
    assert online.state == State.REGISTERED
    assert Event.objects.filter(action="candidates.candidacy.confirm").count() == 1


# --- F15: the registrant told; the residence rule; a refusal next to what it reads -------


def _online(client: Client, world: World, n: int, lang: str = "en", **person: Any) -> Any:
    from amanat.candidates.tests.test_registration import _code, _person, _start

    assert _start(client, world, nid(n), lang=lang).status_code == 302
    return in_language(client, lang).post(reverse("candidates:register_confirm"), _person(
        code=_code(), constituency=world.city(world.geo.gharchak_city).pk, **person))


def test_the_online_registrant_is_told_which_conditions_are_not_met(world: World) -> None:
    """F15: a registrant whose schooling fails the city's rule (not a blocking rule) was
    registered and told nothing; only the county's dossier said «احراز نشده». The
    documents step (the registration's confirmation page) now lists each condition not
    met or needing a document, with its legal reference."""
    client = Client()
    response = _online(client, world, 61, education="3", residence_years="0")
    assert response.status_code == 302  # registered: the board decides on these
    page = client.get(reverse("candidates:register_documents")).content.decode()
    assert 'data-testid="eligibility-notice"' in page
    notice = page.split('data-testid="eligibility-notice"')[1].split("</div>")[0]
    assert re.search(r'data-verdict="not_met" data-rule="education_small_city"', notice)
    assert "not met by what you entered" in notice and "associate degree" in notice
    # Residence: the councils' rule (data, with its legal reference) reads the years.
    assert re.search(r'data-verdict="not_met" data-rule="residence"', notice)
    assert "قانون شوراها، ماده ۳۷" in notice
    # Age is met but proven by a document not yet received.
    assert re.search(r'data-verdict="needs_document" data-rule="age_min"', notice)
    assert "Copy of every page of the birth certificate" in notice
    fa = in_language(client, "fa").get(reverse("candidates:register_documents"))
    assert "با اطلاعاتی که وارد کرده‌اید احراز نمی‌شود" in fa.content.decode()


def test_a_registrant_meeting_every_condition_sees_no_notice_once_documents_are_in(
        world: World) -> None:
    client = Client()
    assert _online(client, world, 62).status_code == 302  # a master's degree, ten years
    page = client.get(reverse("candidates:register_documents")).content.decode()
    notice = page.split('data-testid="eligibility-notice"')[1].split("</div>")[0]
    assert 'data-verdict="not_met"' not in notice
    office = _client(world.personas.gharchak_governor)
    receive_documents(office, Candidacy.objects.get(national_id=nid(62)))
    page = client.get(reverse("candidates:register_documents")).content.decode()
    assert 'data-testid="eligibility-notice"' not in page


def test_the_councils_have_a_residence_rule_with_its_legal_reference(world: World) -> None:
    """F15: the form asks every council candidate's years of residence, but only the
    village councils had a residence rule."""
    from amanat.candidates.models import EligibilityRule, RuleCheck

    for kind in ("city_council", "village_council"):
        rule = EligibilityRule.objects.get(contest_kind=kind, test=RuleCheck.RESIDENCE_YEARS)
        assert rule.number == 1 and rule.legal_reference and not rule.blocks_registration


def test_every_blocking_rule_is_refused_next_to_the_answer_it_reads(world: World) -> None:
    """F15: a refusal by any blocking rule was attached to the birth date. Each kind of
    test names the answer it reads (``law.READS``); a rule made blocking as data (no code
    change) is refused under that answer on the public form."""
    from amanat.candidates import law
    from amanat.candidates.forms import PreRegisterForm
    from amanat.candidates.models import EligibilityRule, RuleCheck

    fields = PreRegisterForm(constituencies=Candidacy.objects.none()).fields  # type: ignore[arg-type]
    assert set(law.READS) == set(RuleCheck.values) - {RuleCheck.DOCUMENT}
    assert all(name in fields for name in law.READS.values())
    EligibilityRule.objects.filter(contest_kind="city_council").update(blocks_registration=True)
    cases = [
        ({"residence_years": "0"}, "error-residence_years"),
        ({"holds_listed_office": "on"}, "error-resigned_on"),
        ({"birth_date": "1390/01/01"}, "error-birth_date"),
    ]
    for n, (answers, where) in enumerate(cases, start=70):
        page = _online(Client(), world, n, **answers)
        assert page.status_code == 200
        text = page.content.decode()
        assert f'data-testid="{where}"' in text, where
        errors = re.findall(r'data-testid="(error-[a-z_]+)"', text)
        assert errors == [where], errors
    assert not Candidacy.objects.exists()


# --- F10: the online registrant told by SMS when a walk-in cancels the pre-registration -----


def test_a_walk_in_that_cancels_an_online_pre_registration_texts_its_registrant(
        world: World, django_capture_on_commit_callbacks: Any) -> None:
    """F10: a walk-in registration of the same national ID cancelled the online
    pre-registration without a word to whoever made it. They are now texted, in Persian,
    at the number they confirmed, through the notification layer; a walk-in that is
    refused texts no one."""
    from amanat.candidates.tests.test_registration import _person
    from amanat.core import notify
    from amanat.core.models import OutboundMessage
    from amanat.lib.persian import to_persian_digits

    with django_capture_on_commit_callbacks(execute=True):
        assert _online(Client(), world, 90).status_code == 302
    online = Candidacy.objects.get(national_id=nid(90))
    assert online.mobile == "09121234567"
    staff = _client(world.personas.kerman_governor)
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.kerman_county.pk}")
    notify.outbox.clear()
    # Refused (under age): the pre-registration stays, and no one is texted.
    with django_capture_on_commit_callbacks(execute=True):
        page = staff.post(url, _person(national_id=nid(90), mobile="09131234567",
                                       birth_date="1395/01/01",
                                       constituency=world.city(world.geo.kerman_city).pk))
    assert page.status_code == 200
    online.refresh_from_db()
    assert online.state == State.PRE_REGISTERED and not notify.outbox
    with django_capture_on_commit_callbacks(execute=True):
        page = staff.post(url, _person(national_id=nid(90), mobile="09131234567",
                                       constituency=world.city(world.geo.kerman_city).pk))
    assert page.status_code == 302
    online.refresh_from_db()
    assert online.state == State.CANCELLED
    assert [m.to for m in notify.outbox] == ["09121234567"]  # not the walk-in's number
    text = notify.outbox[0].text
    assert to_persian_digits(online.reference) in text
    assert "لغو" in text and world.geo.kerman_county.name in text
    sent = OutboundMessage.objects.get(purpose="candidates.pre_registration_cancelled")
    assert sent.to == "09121234567"
    event = Event.objects.get(action="candidates.candidacy.supersede")
    assert event.extra["notified"] is True


# --- F12: constituencies by name and place; F13: «هیئت», the supervision form's label ------


def test_the_public_form_names_constituencies_by_name_and_place(
        world: World, django_assert_max_num_queries: Any) -> None:
    """F12: the options read «شهر قرچک (CT-2321011593)»: an internal code means nothing
    to a citizen. They now read the constituency's name and where it lies, in the one
    query that lists them."""
    from amanat.candidates.tests.test_registration import _start

    client = Client()
    assert _start(client, world, nid(95)).status_code == 302
    url = reverse("candidates:register_confirm")
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", page)
    city = next(o for o in options if o.startswith("شهر قرچک"))
    assert city == "شهر قرچک — بخش مرکزی، شهرستان قرچک"  # no «بخش بخش مرکزی»
    assert "CT-" not in page
    english = in_language(client, "en").get(url).content.decode()
    assert "شهر قرچک — بخش مرکزی, قرچک county" in english  # not «بخش مرکزی district»
    # The village council at the Kerman office (the staff's walk-in form, the same
    # field): a village by its rural district too; the villages of unknown population
    # stand together as their rural district.
    staff = _client(world.personas.kerman_governor, "fa")
    village = world.contest("village_council")
    page = staff.get(reverse("candidates:new") + f"?contest={village.pk}"
                     f"&county={world.geo.kerman_county.pk}").content.decode()
    options = re.findall(r"<option value=\"\d+\"[^>]*>([^<]*)</option>", page)
    county = world.geo.kerman_county.name
    assert f"روستای اختیارآباد — دهستان اختیارآباد، بخش مرکزی، شهرستان {county}" in options
    assert f"دهستان اختیارآباد — بخش مرکزی، شهرستان {county}" in options
    assert "VL-" not in page and "RD-" not in page


def test_one_spelling_of_board_and_a_label_that_does_not_repeat_its_heading(
        world: World) -> None:
    """F13: the decision history wrote «هیأت اجرایی» and, a line below, «هیئت نظارت»; the
    supervision form's select was labelled «هیئت نظارت» under the heading «هیئت نظارت»."""
    from pathlib import Path

    a = _candidate(world, "رضایی")
    f.answered(a, by=world.board)
    assert _client(world.board).post(reverse("candidates_review:decide", args=[a.pk]),
                                     {"outcome": "qualified"}).status_code == 302
    page = _client(world.supervision, "fa").get(
        reverse("candidates_review:review", args=[a.pk])).content.decode()
    assert "هیأت" not in page and "هیئت اجرایی" in page
    form = page.split('data-testid="check-form"')[1].split("</form>")[0]
    heading = re.search(r"<h3[^>]*>([^<]*)</h3>", form)
    label = re.search(r"<label[^>]*>([^<]*)</label>", form)
    assert heading and label
    assert heading.group(1).strip() == "رسیدگی هیئت نظارت"
    assert label.group(1).strip().rstrip(":") == "تصمیم هیئت اجرایی"
    # One spelling in the catalog and every translation sheet.
    project = Path(__file__).resolve().parents[3]
    sheets = [project / "amanat/locale/fa/LC_MESSAGES/django.po",
              *sorted((project / "docs/translations").glob("*.tsv"))]
    assert len(sheets) > 1
    assert [p.name for p in sheets if "هیأت" in p.read_text(encoding="utf-8")] == []
