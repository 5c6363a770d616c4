"""Evidence on disk is readable by Amanat's account only (issue 11: it was 0644).

Django chmods every stored upload to FILE_UPLOAD_PERMISSIONS whatever the umask, so
settings set it (and the folders' mode) to 0600/0700.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from amanat.incidents import evidence, services
from amanat.incidents.tests.conftest import World, client_for

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_evidence_files_and_folders_are_private(world: World, settings: Any) -> None:
    received = services.report_receive(
        channel="web", category=world.category("vote_buying"), text="با پیوست",
        station=world.gharchak_station, actor=world.personas.gharchak_governor,
        evidence=[evidence.check_bytes(PDF, "proof.pdf")],
    )
    item = received.report.evidence.get()
    media = Path(settings.MEDIA_ROOT)
    path = media / item.file.name
    assert path.read_bytes() == PDF
    assert _mode(path) == 0o600
    assert _mode(path.parent) == _mode(media) == 0o700
    # Still served to those allowed: the server reads it as its own account.
    response = client_for(world.personas.gharchak_governor).post(
        reverse("incidents:evidence", args=[item.pk]))
    assert b"".join(response.streaming_content) == PDF
