"""The public registration's throttle (``core.ratelimit``): the posts of its three steps
(number, code, documents) are counted per client address; within the limit each step
goes through, beyond it the answer is 429 with a clear message (Persian and English),
nothing is stored and no code is sent; another address is not held back; the counter
keeps a keyed hash, never the address."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, TestCase
from django.urls import reverse

from amanat.accounts.testing import in_language
from amanat.candidates.models import Candidacy, Document, DocumentType, MobileCode
from amanat.candidates.tests.conftest import World, nid
from amanat.candidates.tests.test_registration import _code, _person, open_upload
from amanat.core import notify
from amanat.core.models import RateCounter

pytestmark = pytest.mark.django_db

HOME = "203.0.113.7"
OTHER = "198.51.100.9"


def _start(client: Client, world: World, n: int, *, address: str = HOME,
           lang: str = "en") -> Any:
    with TestCase.captureOnCommitCallbacks(execute=True):
        return in_language(client, lang).post(reverse("candidates:register"), {
            "contest": world.city_council.pk, "county": world.geo.gharchak.pk,
            "national_id": nid(n), "mobile": "09121234567"}, REMOTE_ADDR=address)


def _confirm(client: Client, world: World, *, code: str, address: str = HOME) -> Any:
    return in_language(client, "en").post(reverse("candidates:register_confirm"), _person(
        code=code, constituency=world.city(world.geo.gharchak_city).pk), REMOTE_ADDR=address)


def _photo(client: Client, *, address: str = HOME, lang: str = "en") -> Any:
    photo = DocumentType.objects.get(contest_kind="city_council", code="photo")
    with open_upload("photo.png", b"\x89PNG\r\n\x1a\n0000") as upload:
        return in_language(client, lang).post(reverse("candidates:register_documents"),
                                              {"document_type": photo.pk, "file": upload},
                                              REMOTE_ADDR=address)


def test_every_step_goes_through_within_the_limit(world: World, client: Client,
                                                  settings: Any) -> None:
    settings.AMANAT_CANDIDATE_REGISTRATION_LIMIT = 3
    assert _start(client, world, 1).status_code == 302
    assert _confirm(client, world, code=_code()).status_code == 302
    assert _photo(client).status_code == 302
    assert Candidacy.objects.count() == 1 and Document.objects.count() == 1
    # Reading the pages is not counted.
    for name in ("candidates:register", "candidates:register_documents"):
        assert client.get(reverse(name), REMOTE_ADDR=HOME).status_code == 200
    # The counter holds a keyed hash of the address, never the address.
    keys = list(RateCounter.objects.values_list("key", flat=True))
    assert keys and all(key.startswith("candidate-register:") and HOME not in key
                        for key in keys)


def test_beyond_the_limit_each_step_is_refused_and_nothing_is_stored(
        world: World, client: Client, settings: Any) -> None:
    settings.AMANAT_CANDIDATE_REGISTRATION_LIMIT = 3
    assert _start(client, world, 1).status_code == 302
    code = _code()
    assert _confirm(client, world, code="000000" if code != "000000" else "111111"
                    ).status_code == 200  # a wrong code: counted, refused by the service
    assert _confirm(client, world, code=code).status_code == 302
    candidacy = Candidacy.objects.get()

    # The fourth post of this connection: refused at each step, before anything is read.
    refused = _photo(client)
    assert refused.status_code == 429
    html = refused.content.decode()
    assert 'data-testid="rate-limited"' in html
    assert "Too many registration steps were sent from your connection" in html
    assert not Document.objects.exists()

    fa = _photo(client, lang="fa")
    assert fa.status_code == 429
    assert "از اتصال شما" in fa.content.decode()
    assert not Document.objects.exists()

    sent = len(notify.outbox)
    assert _start(client, world, 2).status_code == 429
    assert len(notify.outbox) == sent and MobileCode.objects.count() == 1
    assert _confirm(client, world, code=code).status_code == 429
    assert list(Candidacy.objects.all()) == [candidacy]

    # Another connection is not held back.
    assert _photo(client, address=OTHER).status_code == 302
    assert Document.objects.count() == 1
    assert _start(Client(), world, 3, address=OTHER).status_code == 302
