from __future__ import annotations

import pytest

from amanat.candidates import demo
from amanat.candidates.models import Candidacy, Document, State
from amanat.candidates.tests.conftest import World

pytestmark = pytest.mark.django_db


def test_demo_candidates_load_once_in_their_states(world: World,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # The small test geography's codes for Gharchak (2310) and Kerman (815).
    codes = {"2321": world.geo.gharchak.code, "0808": world.geo.kerman_county.code}
    monkeypatch.setattr(demo, "PEOPLE", [(*p[:7], codes[p[7]], *p[8:]) for p in demo.PEOPLE])
    result = demo.seed_demo_candidates(world.election)
    assert result.created == len(demo.PEOPLE) + 1
    states = set(Candidacy.objects.values_list("state", flat=True))
    # One online pre-registration cancelled by the person's walk-in (user review F10).
    assert states == {State.PRE_REGISTERED, State.REGISTERED, State.CANCELLED}
    assert set(Document.objects.values_list("status", flat=True)) == {"received", "rejected"}
    kinds = set(Candidacy.objects.values_list("contest__kind", flat=True))
    assert kinds == {"city_council", "village_council", "assembly_of_experts"}
    assert Candidacy.objects.filter(unit_path__startswith=world.geo.kerman_county.path).count() == 3
    # Some dossiers lack documents.
    assert Candidacy.objects.filter(documents__isnull=True).exists()
    again = demo.seed_demo_candidates(world.election)
    assert again.created == 0 and Candidacy.objects.count() == len(demo.PEOPLE) + 2
