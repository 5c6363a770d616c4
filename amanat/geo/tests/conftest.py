"""The full national geography, imported once per test module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from amanat.geo.services import ImportResult, geo_import


@pytest.fixture(scope="module")
def national(django_db_setup: Any, django_db_blocker: Any) -> Iterator[ImportResult]:
    """Import the packaged file inside a module-wide transaction, rolled back afterwards.

    Each test's own transaction nests inside it (as Django's TestCase.setUpTestData
    does), so tests see the national tree, their changes vanish, and the next module
    starts from an empty table without a slow 100,000-row delete.
    """
    outer = transaction.atomic()
    with django_db_blocker.unblock():
        outer.__enter__()
        try:
            result = geo_import()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    yield result
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)
