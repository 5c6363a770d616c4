"""Registration: the public three-step pre-registration (code by SMS), walk-in entry by
county staff, and every refusal (check digit, second candidacy, outside the window,
wrong document type) with nothing stored and the attempts that matter audited."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.audit.models import Event
from amanat.candidates import services
from amanat.candidates.models import (
    Candidacy,
    Channel,
    Document,
    DocumentType,
    MobileCode,
    State,
)
from amanat.candidates.selectors import registration_window
from amanat.candidates.tests.conftest import World, nid, receive_documents
from amanat.core import notify
from amanat.lib.nationalid import with_check_digit
from amanat.lib.persian import to_persian_digits

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 test"


def _person(**over: Any) -> dict[str, Any]:
    data = {"first_name": "مریم", "last_name": "احمدی", "father_name": "علی",
            "gender": "female", "birth_date": "1360/05/10", "education": "6",
            "residence_years": "10", "occupation": "", "address": "", "truthful": "on"}
    return data | over


def _start(client: Client, world: World, national_id: str, *, lang: str = "fa") -> Any:
    """Step one; the SMS leaves when the transaction commits (run here)."""
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        return in_language(client, lang).post(reverse("candidates:register"), {
            "contest": world.city_council.pk, "county": world.geo.gharchak.pk,
            "national_id": national_id, "mobile": "09121234567"})


def _errors(response: Any) -> list[str]:
    html = response.content.decode()
    return re.findall(r'data-testid="(error-[^"]*)"[^>]*><div>(.*?)<', html, re.S) + re.findall(
        r'alert-danger[^>]*>(.*?)<', html, re.S)


def _code() -> str:
    match = re.search(r"(\d{6})", notify.outbox[-1].text)
    assert match
    return match.group(1)


def _register_online(client: Client, world: World, national_id: str) -> Any:
    assert _start(client, world, national_id).status_code == 302
    return client.post(reverse("candidates:register_confirm"), _person(
        code=_code(), constituency=world.city(world.geo.gharchak_city).pk))


def test_online_pre_registration_from_code_to_documents(world: World, client: Client) -> None:
    response = _start(client, world, nid(1))
    assert response.status_code == 302
    assert notify.outbox[-1].to == "09121234567"
    assert MobileCode.objects.get().code_hash != _code()  # only the hash is kept
    response = client.post(reverse("candidates:register_confirm"), _person(
        code=_code(), constituency=world.city(world.geo.gharchak_city).pk))
    assert response.status_code == 302, _errors(response)
    candidacy = Candidacy.objects.get()
    assert (candidacy.state, candidacy.channel) == (State.PRE_REGISTERED, Channel.ONLINE)
    assert candidacy.mobile_confirmed_at is not None
    assert candidacy.county == world.geo.gharchak
    assert candidacy.declarations.filter(code="truthful", value=True).exists()
    event = Event.objects.get(action="candidates.candidacy.register")
    assert event.actor_name == "public" and event.unit_id == world.geo.gharchak.pk
    # The code cannot be used again.
    assert MobileCode.objects.get().used_at is not None

    page = client.get(reverse("candidates:register_documents")).content.decode()
    # The Persian page shows the tracking code in Persian digits (user review F11).
    assert to_persian_digits(candidacy.reference) in page
    photo = DocumentType.objects.get(contest_kind="city_council", code="photo")
    # A PDF is not a photo: refused, nothing stored.
    with open_upload("photo.pdf", PDF) as upload:
        response = in_language(client, "en").post(reverse("candidates:register_documents"),
                               {"document_type": photo.pk, "file": upload})
    assert "must be JPG, PNG" in response.content.decode()
    assert not Document.objects.exists()
    with open_upload("photo.png", b"\x89PNG\r\n\x1a\n0000") as upload:
        response = client.post(reverse("candidates:register_documents"),
                               {"document_type": photo.pk, "file": upload})
    assert response.status_code == 302
    assert Document.objects.get().status == "received"
    assert Event.objects.filter(action="candidates.document.upload").count() == 1


class open_upload:
    def __init__(self, name: str, data: bytes) -> None:
        from django.core.files.uploadedfile import SimpleUploadedFile

        self.file = SimpleUploadedFile(name, data)

    def __enter__(self) -> Any:
        return self.file

    def __exit__(self, *args: Any) -> None:
        self.file.close()


def test_wrong_check_digit_is_refused_in_both_languages(world: World, client: Client) -> None:
    good = nid(2)
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    fa = _start(client, world, bad).content.decode()
    assert "رقم کنترل" in fa
    en = _start(client, world, bad, lang="en").content.decode()
    assert "check digit is wrong" in en
    assert not MobileCode.objects.exists() and not notify.outbox


def test_a_wrong_code_stores_nothing(world: World, client: Client) -> None:
    _start(client, world, nid(3))
    response = in_language(client, "en").post(reverse("candidates:register_confirm"), _person(
        code="000000" if _code() != "000000" else "111111",
        constituency=world.city(world.geo.gharchak_city).pk))
    assert "not the one we sent" in response.content.decode()
    assert not Candidacy.objects.exists()
    assert MobileCode.objects.get().attempts == 1


def test_a_second_candidacy_anywhere_in_the_election_is_refused_and_audited(
        world: World, client: Client) -> None:
    _register_online(client, world, nid(4))
    # Confirmed at the Gharchak office (the person was seen there).
    office = Client()
    sign_in(office, world.personas.gharchak_governor)
    receive_documents(office, Candidacy.objects.get())
    assert office.post(reverse("candidates:confirm", args=[Candidacy.objects.get().pk])
                       ).status_code == 302
    staff = Client()
    sign_in(staff, world.personas.kerman_governor)
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.kerman_county.pk}")
    response = in_language(staff, "en").post(url, _person(national_id=nid(4), mobile="09131234567",
                                       constituency=world.city(world.geo.kerman_city).pk))
    assert "one candidacy per person" in response.content.decode()
    assert Candidacy.objects.count() == 1
    refused = Event.objects.get(action="candidates.register.refused")
    assert refused.extra["code"] == "second_candidacy"
    assert refused.extra["national_id"].endswith(nid(4)[-4:])
    assert nid(4) not in str(refused.extra)


def test_an_online_pre_registration_of_someone_elses_id_does_not_bar_them(
        world: World, client: Client) -> None:
    """Attack: anyone with a mobile number pre-registers another person's national ID
    online; the person, registering in person at the office, replaces it (audited)."""
    _register_online(client, world, nid(11))
    squatter = Candidacy.objects.get()
    # A second online pre-registration of the same ID is still refused.
    other = Client()
    response = _register_online(other, world, nid(11))
    assert response.status_code == 200 and Candidacy.objects.count() == 1
    staff = Client()
    sign_in(staff, world.personas.kerman_governor)
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.kerman_county.pk}")
    response = in_language(staff, "en").post(url, _person(
        national_id=nid(11), mobile="09131234567",
        constituency=world.city(world.geo.kerman_city).pk))
    assert response.status_code == 302, _errors(response)
    # The office is told which pre-registration its entry cancelled (user review F10).
    page = staff.get(response.url).content.decode()
    assert "unconfirmed online pre-registration" in page and squatter.reference in page
    squatter.refresh_from_db()
    assert squatter.state == State.CANCELLED
    real = Candidacy.objects.get(state=State.REGISTERED)
    assert (real.channel, real.county) == (Channel.WALK_IN, world.geo.kerman_county)
    event = Event.objects.get(action="candidates.candidacy.supersede")
    assert event.object_id == str(squatter.pk) and event.unit_id == world.geo.gharchak.pk


def test_the_database_refuses_a_second_live_candidacy(world: World, client: Client) -> None:
    _register_online(client, world, nid(5))
    first = Candidacy.objects.get()
    second = Candidacy(**{f.attname: getattr(first, f.attname) for f in Candidacy._meta.fields
                          if f.attname not in ("id", "reference")}, reference="X1")
    second.constituency = world.city(world.geo.kerman_city)
    with pytest.raises(IntegrityError), transaction.atomic():
        second.save()
    # A cancelled one does not count.
    Candidacy.objects.filter(pk=first.pk).update(state=State.CANCELLED)
    second.save()


def test_a_minute_after_the_window_closes_is_refused_with_its_dates(
        world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    opens, closes = registration_window(world.election)
    assert opens and closes
    after = timezone.make_aware(datetime.datetime.combine(
        closes + datetime.timedelta(days=1), datetime.time(0, 1)))
    monkeypatch.setattr(timezone, "now", lambda: after)
    html = _start(client, world, nid(6), lang="en").content.decode()
    from django.utils import translation

    from amanat.core.templatetags.persian import jdate
    with translation.override("en"):
        assert f"open from {jdate(opens)} to the end of {jdate(closes)}; it is closed" in html
    assert not notify.outbox
    # Straight to the service (as staff at the office): refused and audited.
    with pytest.raises(services.RuleError) as caught:
        services.candidacy_register(
            actor=world.personas.gharchak_governor, contest=world.city_council,
            constituency=world.city(world.geo.gharchak_city), channel=Channel.WALK_IN,
            person=services.PersonData(
                national_id=nid(6), first_name="a", last_name="b", father_name="c",
                gender="male", birth_date=datetime.date(1980, 1, 1), education=6,
                residence_years=3, mobile="09121112233"), now=after)
    assert caught.value.code == "window_closed"
    assert not Candidacy.objects.exists()
    assert Event.objects.get(action="candidates.register.refused").extra["code"] == \
        "window_closed"


def test_walk_in_registration_is_registered_at_once(world: World, client: Client) -> None:
    sign_in(client, world.personas.gharchak_governor)
    assert client.get(reverse("candidates:new")).status_code == 200
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.gharchak.pk}")
    assert client.get(url).status_code == 200
    response = client.post(url, _person(national_id="۰" + nid(7)[1:] if nid(7)[0] == "0"
                                        else nid(7), mobile="۰۹۱۲۱۲۳۴۵۶۷",
                                        constituency=world.city(world.geo.gharchak_city).pk))
    assert response.status_code == 302
    candidacy = Candidacy.objects.get()
    assert (candidacy.state, candidacy.channel) == (State.REGISTERED, Channel.WALK_IN)
    assert candidacy.confirmed_by == world.personas.gharchak_governor
    assert candidacy.mobile == "09121234567"


def test_too_young_is_refused_at_registration(world: World, client: Client) -> None:
    sign_in(client, world.personas.gharchak_governor)
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.gharchak.pk}")
    response = in_language(client, "en").post(url, _person(national_id=nid(8), mobile="09121234567",
                                        birth_date="1390/01/01",
                                        constituency=world.city(world.geo.gharchak_city).pk))
    assert "At least 25 full years" in response.content.decode()
    # Under the birth date, the answer the rule read (user review F15).
    assert 'data-testid="error-birth_date"' in response.content.decode()
    assert not Candidacy.objects.exists()
    assert Event.objects.get(action="candidates.register.refused").extra["code"] == "ineligible"


def test_a_kerman_officer_cannot_enter_a_gharchak_candidate(world: World,
                                                             client: Client) -> None:
    sign_in(client, world.personas.kerman_governor)
    url = reverse("candidates:new") + (f"?contest={world.city_council.pk}"
                                       f"&county={world.geo.gharchak.pk}")
    response = client.post(url, _person(national_id=nid(9), mobile="09121234567",
                                        constituency=world.city(world.geo.gharchak_city).pk))
    assert response.status_code == 200  # the county is not among the choices
    assert not Candidacy.objects.exists()


def test_national_id_helper_matches_the_lib() -> None:
    assert services.national_id_checked(with_check_digit("000000017")) == \
        with_check_digit("000000017")


def test_online_documents_after_the_window_closes_are_refused(
        world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _register_online(client, world, nid(2)).status_code == 302
    _opens, closes = registration_window(world.election)
    assert closes
    # The window closes while the candidate is on the documents page (the page itself
    # ends after half an hour idle, so the calendar moves rather than the clock).
    from amanat.elections.models import Milestone, MilestoneCode
    Milestone.objects.filter(election=world.election,
                             code=MilestoneCode.REGISTRATION_CLOSES).update(
        due=timezone.localdate() - datetime.timedelta(days=1))
    photo = DocumentType.objects.get(contest_kind="city_council", code="photo")
    with open_upload("photo.png", b"\x89PNG\r\n\x1a\n0000") as upload:
        response = in_language(client, "en").post(reverse("candidates:register_documents"),
                                                  {"document_type": photo.pk, "file": upload})
    assert response.status_code == 200
    assert "it is closed" in response.content.decode()
    assert not Document.objects.exists()


def test_each_contest_registers_in_its_own_window(world: World, client: Client) -> None:
    """The by-election's own milestones (``<code>__assembly_of_experts``) make its window;
    the councils keep the election's. Refused outside it with its own Jalali dates."""
    from django.utils import translation

    from amanat.core.templatetags.persian import jdate
    from amanat.elections.models import ContestKind, Milestone, PhaseKind

    today = timezone.localdate()
    ae = world.contest(ContestKind.ASSEMBLY_OF_EXPERTS)
    own = (today - datetime.timedelta(days=20), today - datetime.timedelta(days=10))
    for code, due in zip(("candidate_registration_opens", "candidate_registration_closes"),
                         own, strict=True):
        Milestone.objects.create(election=world.election, code=f"{code}__{ae.kind}",
                                 name=code, due=due, phase=PhaseKind.BEFORE)
    assert registration_window(world.election, ae) == own
    council = registration_window(world.election, world.city_council)
    assert council == registration_window(world.election) and council != own
    services.window_check(world.election, contest=world.city_council)  # open today
    with pytest.raises(services.RuleError) as caught:
        services.window_check(world.election, contest=ae)
    assert caught.value.code == "window_closed"
    with translation.override("en"):
        assert (f"open from {jdate(own[0])} to the end of {jdate(own[1])}; it is closed"
                in caught.value.message)
    # The public form refuses the by-election and sends no code; it shows both windows.
    response = in_language(client, "en").post(reverse("candidates:register"), {
        "contest": ae.pk, "county": world.geo.gharchak.pk, "national_id": nid(41),
        "mobile": "09121234567"})
    html = response.content.decode()
    with translation.override("en"):
        assert f"to the end of {jdate(own[1])}; it is closed" in html
        assert html.count('data-testid="window"') == world.election.contests.count()
    assert not notify.outbox
    # The councils still register.
    assert _start(client, world, nid(42)).status_code == 302


def test_codes_are_limited_per_client_address(world: World, client: Client,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """One connection may ask for only so many codes an hour, whatever the numbers; the
    refusal says so (429), sends nothing and stores nothing; another address is not held
    back. The codes table keeps a keyed hash, never the address."""
    from django.test import TestCase

    from amanat.candidates.models import MobileCode

    monkeypatch.setattr(services, "CODES_PER_ADDRESS_PER_HOUR", 2)

    def ask(n: int, address: str) -> Any:
        with TestCase.captureOnCommitCallbacks(execute=True):
            return in_language(client, "en").post(reverse("candidates:register"), {
                "contest": world.city_council.pk, "county": world.geo.gharchak.pk,
                "national_id": nid(60 + n), "mobile": f"0912123456{n}"},
                REMOTE_ADDR=address)

    assert ask(1, "203.0.113.7").status_code == 302
    assert ask(2, "203.0.113.7").status_code == 302
    refused = ask(3, "203.0.113.7")
    assert refused.status_code == 429
    assert "Too many confirmation codes were asked for from your connection" in \
        refused.content.decode()
    assert MobileCode.objects.count() == 2 and len(notify.outbox) == 2
    assert ask(4, "198.51.100.9").status_code == 302
    assert not MobileCode.objects.filter(client_key__contains="203.0.113.7").exists()
    assert MobileCode.objects.values("client_key").distinct().count() == 2


def test_the_code_is_spent_with_the_registration_or_not_at_all(
        world: World, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    """One transaction registers and spends the code: a registration refused leaves the
    code for a corrected try; a code spent meanwhile (two tabs racing) stores nothing."""
    assert _start(client, world, nid(70)).status_code == 302
    code = _code()
    url = reverse("candidates:register_confirm")
    place = world.city(world.geo.gharchak_city).pk
    # Too young: refused by the rules, the code stays usable.
    refused = in_language(client, "en").post(url, _person(code=code, constituency=place,
                                                          birth_date="1400/01/01"))
    assert refused.status_code == 200 and not Candidacy.objects.exists()
    assert MobileCode.objects.get().used_at is None
    # Spent by another request between the check of the code and the registration.
    verify = services.mobile_code_verify

    def spent_meanwhile(**kwargs: Any) -> MobileCode:
        row = verify(**kwargs)
        MobileCode.objects.filter(pk=row.pk).update(used_at=timezone.now())
        return row

    monkeypatch.setattr(services, "mobile_code_verify", spent_meanwhile)
    response = in_language(client, "en").post(url, _person(code=code, constituency=place))
    assert response.status_code == 200
    assert "The code has expired" in response.content.decode()
    assert not Candidacy.objects.exists()
    monkeypatch.undo()
    MobileCode.objects.update(used_at=None)
    assert client.post(url, _person(code=code, constituency=place)).status_code == 302
    assert Candidacy.objects.count() == 1
    assert MobileCode.objects.get().used_at is not None
