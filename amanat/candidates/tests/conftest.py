"""Fixtures of the candidates tests: the small geography with populations, the demo
election loaded today (registration open until tonight), its law constituencies, and
the personas, plus a Gharchak executive board member and a Tehran supervision board
member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from amanat.accounts.models import Membership, Role
from amanat.accounts.testing import Personas, make_personas
from amanat.boards.demo import complete_board
from amanat.boards.models import BoardKind
from amanat.candidates.services import constituencies_load
from amanat.core import notify
from amanat.elections.demo import seed_example_election
from amanat.elections.models import Contest, ContestKind, Election
from amanat.geo.models import Constituency
from amanat.lib.nationalid import with_check_digit
from conftest import make_unit


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Election
    board: Any
    supervision: Any
    # Another supervision member: decides the complaints against what ``supervision``
    # confirmed (no one decides the appeal against their own decision).
    appeals: Any = None

    def contest(self, kind: str) -> Contest:
        return self.election.contests.get(kind=kind)

    @property
    def city_council(self) -> Contest:
        return self.contest(ContestKind.CITY_COUNCIL)

    def city(self, unit: Any) -> Constituency:
        return Constituency.objects.get(kind="city", unit=unit)


def nid(n: int) -> str:
    """A valid national ID, different for each ``n``."""
    return with_check_digit(f"{123_450_000 + n:09d}")


@pytest.fixture
def world(small_geo: Any, settings: Any, tmp_path: Any, django_user_model: Any) -> World:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    notify.outbox.clear()
    small_geo.kerman_city.population = 537_718
    small_geo.kerman_city.save()
    small_geo.villages[0].population = 2_100
    small_geo.villages[0].save()
    district = small_geo.gharchak_central
    make_unit("city", "231002", "تهران", district, population=8_700_000)
    personas = make_personas(small_geo)
    election = seed_example_election()
    constituencies_load(election=election)
    board = django_user_model.objects.create_user(username="gharchak_board")
    Membership.objects.create(user=board, role=Role.EXECUTIVE_BOARD, unit=small_geo.gharchak)
    supervision = django_user_model.objects.create_user(username="tehran_supervision")
    Membership.objects.create(user=supervision, role=Role.SUPERVISION_BOARD,
                              unit=small_geo.tehran)
    appeals = django_user_model.objects.create_user(username="tehran_supervision2")
    Membership.objects.create(user=appeals, role=Role.SUPERVISION_BOARD, unit=small_geo.tehran)
    # The boards that act are complete (amanat/boards refuses an incomplete one).
    complete_board(election=election, kind=BoardKind.COUNTY_EXECUTIVE, unit=small_geo.gharchak,
                   users=[board])
    complete_board(election=election, kind=BoardKind.SUPERVISION, unit=small_geo.tehran,
                   users=[supervision, appeals])
    return World(small_geo, personas, election, board, supervision, appeals)


PDF_BYTES = b"%PDF-1.4 test"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


def receive_documents(office: Any, candidacy: Any, *, skip: tuple[str, ...] = ()) -> None:
    """The county office receives the contest's required documents on the dossier page
    (``office``: a signed-in client), but those in ``skip``."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from amanat.candidates.models import DocumentType

    for doc in DocumentType.objects.filter(contest_kind=candidacy.contest.kind, required=True):
        if doc.code in skip:
            continue
        data, name = (PNG_BYTES, "photo.png") if doc.is_photo else (PDF_BYTES, f"{doc.code}.pdf")
        response = office.post(reverse("candidates:document_upload", args=[candidacy.pk]),
                               {"document_type": doc.pk,
                                "file": SimpleUploadedFile(name, data)})
        assert response.status_code == 302
