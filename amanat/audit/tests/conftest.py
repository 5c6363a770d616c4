from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import translation

from amanat.audit.models import Event
from amanat.audit.services import audit_keygen, audit_record
from amanat.audit.testing import wipe_audit_log
from amanat.geo.models import AdminUnit


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Assert on the English source strings whatever the default language is."""
    with translation.override("en"):
        yield


@pytest.fixture
def signing_key(tmp_path: Path, settings) -> str:
    """A fresh checkpoint key outside the database; returns the public key (hex)."""
    settings.AMANAT_AUDIT_KEY = tmp_path / "keys" / "audit_ed25519.pem"
    return audit_keygen()


@pytest.fixture
def governor(db):
    return get_user_model().objects.create_user(username="gharchak.governor", password="x" * 16)


@pytest.fixture
def tehran(db) -> AdminUnit:
    return AdminUnit.objects.create(
        kind="province", code="23", name="تهران", name_key="تهران", path="I/P23", depth=1
    )


@pytest.fixture
def populated(governor, tehran) -> list[Event]:
    """Eight events of the kinds services will write."""
    events = [
        audit_record(action="auth.login", actor=governor, unit=tehran),
        audit_record(action="auth.login_failed", actor_name="intruder", extra={"ip": "10.0.0.9"}),
    ]
    for n in range(3, 8):
        events.append(
            audit_record(
                action="station.update",
                actor=governor,
                unit=tehran,
                object_type="stations.station",
                object_id=n,
                before={"expected_voters": 100 * n, "cctv": False},
                after={"expected_voters": 100 * n + 7, "cctv": True},
            )
        )
    events.append(audit_record(action="access.denied", actor=governor, extra={"url": "/atlas/"}))
    return events


@pytest.fixture
def wipe_log(transactional_db) -> Iterator[None]:
    """Empty the append-only table before pytest-django flushes the database."""
    yield
    wipe_audit_log()
