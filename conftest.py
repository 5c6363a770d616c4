"""Shared pytest fixtures: a small geography tree and a headless-Chromium page.

``small_geo`` builds a tiny, hand-made slice of Iran (never the national import) so that
view tests are fast and independent of the importer.  ``browser_page`` drives Debian's
Chromium through Playwright against pytest-django's ``live_server``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pytest
from django.conf import settings as django_settings
from django.utils import translation

# Playwright's sync API runs an event loop in the test thread; Django would otherwise
# refuse ORM calls made from fixtures in that thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("AMANAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _live_server_one_request_at_a_time() -> None:
    """The live server answers one request at a time.  On SQLite the test database is in
    memory and Django hands the live server's request threads the test's one connection:
    two requests at once (a phone's page and its service worker sending the same queued
    report, as they do by design) would then interleave their transactions on that shared
    connection, and one's failure would roll back the other's acknowledged write, which
    no production server, with a connection per thread, can do.  Requests are still
    read and answered on their own threads (a browser's idle preconnection blocks
    nothing); only the application runs under a lock."""
    import threading

    from django.core.servers.basehttp import ThreadedWSGIServer
    from django.test.testcases import LiveServerThread

    class SerialApp:
        def __init__(self, app: Any) -> None:
            self.app, self.lock = app, threading.Lock()

        def __call__(self, environ: Any, start_response: Any) -> Any:
            with self.lock:
                return self.app(environ, start_response)

    class OneAtATimeServer(ThreadedWSGIServer):
        def set_app(self, application: Any) -> None:
            super().set_app(SerialApp(application))

    LiveServerThread.server_class = OneAtATimeServer


_live_server_one_request_at_a_time()


def pytest_sessionstart(session: pytest.Session) -> None:
    """Compile stale translation catalogs: .mo files are build products, not in git."""
    import importlib.util
    from pathlib import Path

    script = Path(__file__).resolve().parent / "scripts" / "compile_messages.py"
    spec = importlib.util.spec_from_file_location("compile_messages", script)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if any(module.stale(po) for po in module.catalogs()):
        module.main([])


# --- geography -------------------------------------------------------------------------


def make_unit(
    kind: str,
    code: str,
    name: str,
    parent: Any = None,
    *,
    lat: float | None = None,
    lon: float | None = None,
    placement: str | None = None,
    population: int | None = None,
) -> Any:
    """Create an AdminUnit with its materialised path, depth and search key filled in."""
    from amanat.geo.models import KIND_LETTER, AdminUnit, Kind, Placement
    from amanat.lib.persian import normalize, search_key

    letter = KIND_LETTER[Kind(kind)]
    segment = f"{letter}-{code}" if kind == Kind.COUNTRY else f"{letter}{code}"
    if placement is None:
        placement = Placement.MATCHED_PLACE if lat is not None else Placement.NONE
    return AdminUnit.objects.create(
        kind=kind,
        code=code,
        name=normalize(name),
        name_key=search_key(name),
        parent=parent,
        path=(parent.path if parent else "") + segment + "/",
        depth=(parent.depth + 1) if parent else 0,
        latitude=lat,
        longitude=lon,
        placement=placement,
        population=population,
    )


@dataclass
class SmallGeo:
    """Named handles to the units of the small tree, for readable assertions."""

    iran: Any
    tehran: Any
    gharchak: Any
    gharchak_central: Any
    gharchak_city: Any
    kerman_province: Any
    kerman_county: Any
    kerman_central: Any
    kerman_city: Any
    rural: Any
    qaleh_now: Any
    rafsanjan: Any
    villages: list[Any] = field(default_factory=list)


def build_small_geo() -> SmallGeo:
    iran = make_unit("country", "IR", "ایران", lat=32.4, lon=53.7, placement="child_mean")
    tehran = make_unit("province", "23", "تهران", iran, lat=35.69, lon=51.39)
    gharchak = make_unit("county", "2310", "قرچک", tehran, lat=35.43, lon=51.57)
    gharchak_central = make_unit("district", "231001", "بخش مرکزی", gharchak)
    gharchak_city = make_unit("city", "231001", "قرچک", gharchak_central, lat=35.43, lon=51.57)
    qaleh_now = make_unit(
        "rural_district", "23100101", "قلعه‌نو", gharchak_central, lat=35.38, lon=51.55
    )
    kerman_province = make_unit("province", "8", "كرمان", iran, lat=30.28, lon=57.08)
    kerman_county = make_unit("county", "815", "كرمان", kerman_province, lat=30.28, lon=57.08)
    rafsanjan = make_unit("county", "809", "رفسنجان", kerman_province, lat=30.41, lon=55.99)
    kerman_central = make_unit("district", "81501", "بخش مرکزی", kerman_county)
    kerman_city = make_unit("city", "81501", "کرمان", kerman_central, lat=30.29, lon=57.07)
    rural = make_unit(
        "rural_district", "8150101", "اختیارآباد", kerman_central, lat=30.32, lon=56.92
    )
    villages = [
        make_unit("village", "815010101", "اختیارآباد", rural, lat=30.32, lon=56.93),
        make_unit("village", "815010102", "باغین", rural, lat=30.19, lon=56.81),
        make_unit("village", "815010103", "کرمانشاهان", rural),
    ]
    return SmallGeo(
        iran=iran,
        tehran=tehran,
        gharchak=gharchak,
        gharchak_central=gharchak_central,
        gharchak_city=gharchak_city,
        kerman_province=kerman_province,
        kerman_county=kerman_county,
        kerman_central=kerman_central,
        kerman_city=kerman_city,
        rural=rural,
        qaleh_now=qaleh_now,
        rafsanjan=rafsanjan,
        villages=villages,
    )


@pytest.fixture
def small_geo(db: None) -> SmallGeo:
    """Iran → Tehran → Gharchak …, Kerman → Kerman county → district → city, villages."""
    return build_small_geo()


@pytest.fixture
def personas(small_geo: SmallGeo) -> Any:
    """The named personas (amanat.accounts.testing) on the small geography."""
    from amanat.accounts.testing import make_personas

    return make_personas(small_geo)


# --- clients and query counting ------------------------------------------------------


@pytest.fixture
def viewer(django_user_model: Any, small_geo: Any) -> Any:
    """A national observer: read-only, reaches every unit (and so needs 2FA)."""
    from amanat.accounts.models import Membership, Role

    user = django_user_model.objects.create_user(username="viewer", password="v" * 16)
    Membership.objects.create(user=user, role=Role.OBSERVER, unit=small_geo.iran)
    return user


@pytest.fixture
def viewer_client(client: Any, viewer: Any) -> Any:
    """A test client signed in as ``viewer``, its session already settled.

    The first request after sign-in writes the session (sign-in time, last seen); a
    warm-up request here keeps that write out of the query counts tests measure.
    """
    from amanat.accounts.testing import sign_in

    sign_in(client, viewer)
    client.get("/")
    return client


@pytest.fixture
def count_queries() -> Any:
    """``count_queries(fn)`` runs ``fn`` and returns how many SQL queries it made."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def run(fn: Any) -> int:
        with CaptureQueriesContext(connection) as captured:
            fn()
        return len(captured)

    return run


# --- browser ---------------------------------------------------------------------------


def _chromium_missing() -> str | None:
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return None
    return f"Chromium not found at {CHROMIUM}: browser tests need Debian's chromium package"


@pytest.fixture(scope="session")
def _browser() -> Iterator[Any]:
    problem = _chromium_missing()
    if problem:
        if os.environ.get("AMANAT_REQUIRE_BROWSER"):
            pytest.fail(f"{problem} (AMANAT_REQUIRE_BROWSER is set)")
        pytest.skip(problem)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    names = set(request.fixturenames)
    if names & {"transactional_db", "live_server", "django_db_reset_sequences"}:
        return True
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction"))


# Data migrations that seed reference tables; the flush after a transactional test
# empties those tables, so the next transactional test seeds them again.
REFERENCE_SEEDS = [
    ("amanat.accounts.migrations.0002_seed_agencies", "accounts", "agency"),
    ("amanat.incidents.migrations.0002_seed_categories_and_triggers", "incidents", "category"),
    ("amanat.staffing.migrations.0002_seed_rules", "staffing", "conflictrule"),
    ("amanat.operations.migrations.0006_closing_rules", "operations", "qualityrule"),
]


def _flush_with_append_only_triggers_off() -> None:
    """Empty every table while the append-only triggers are off; pytest-django's own
    flush that follows then finds nothing to refuse."""
    import contextlib

    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection

    with contextlib.ExitStack() as stack:
        from amanat.audit import triggers as audit_triggers

        stack.enter_context(audit_triggers.disabled(connection))
        if apps.is_installed("amanat.incidents"):
            from amanat.incidents import triggers as report_triggers

            stack.enter_context(report_triggers.disabled(connection))
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)


def _reseed_reference_data() -> None:
    import importlib

    from django.apps import apps

    for module, app_label, model in REFERENCE_SEEDS:
        if not apps.is_installed(f"amanat.{app_label}"):
            continue
        if not apps.get_model(app_label, model).objects.exists():
            importlib.import_module(module).seed(apps, None)


@pytest.fixture(autouse=True)
def _default_language_after_each_test() -> Iterator[None]:
    """Each test starts in the site's language, as each server process and command does.

    A request activates its user's language in the thread (the locale middleware) and
    Django leaves it active after the response; without this, a test that requested a
    page in English made the next test's command print English."""
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_audit_log_after_transactional_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Empty the append-only audit log before pytest-django flushes the database.

    Most writes append audit events, and the log's triggers refuse the DELETE (SQLite) or
    TRUNCATE (PostgreSQL) that the flush after a transactional test runs. Requesting the
    database fixture from here makes this teardown run before the flush.
    """
    if not _is_transactional(request):
        yield
        return
    request.getfixturevalue("_django_db_helper")
    _reseed_reference_data()
    yield
    _flush_with_append_only_triggers_off()


@pytest.fixture
def wipe_audit_log(transactional_db: None) -> None:
    """Kept for readability in tests that want to say so; the autouse fixture does it."""


@pytest.fixture
def browser_page(_browser: Any, live_server: Any, wipe_audit_log: None) -> Iterator[Any]:
    """A fresh Playwright page; ``page.base_url`` is the live server's address."""
    context = _browser.new_context(locale="fa-IR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def signed_in_page(browser_page: Any, viewer: Any) -> Any:
    """``browser_page`` carrying a session cookie for ``viewer``, second factor passed."""
    from amanat.accounts.testing import sign_in_page

    return sign_in_page(browser_page, viewer)


class AuditEvents(Sequence[dict[str, Any]]):
    """The audit events stored since the fixture started, oldest first, read from the log."""

    def __init__(self) -> None:
        from django.db.models import Max

        from amanat.audit.models import Event

        self.after = Event.objects.aggregate(last=Max("seq"))["last"] or 0

    def _rows(self) -> list[dict[str, Any]]:
        from amanat.audit.models import Event

        return [dict(row) for row in Event.objects.filter(seq__gt=self.after).order_by(
            "seq").values("action", "actor_id", "actor_name", "object_type", "object_id",
                          "before", "after", "extra")]

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self._rows()[index]

    def __len__(self) -> int:
        return len(self._rows())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, list) and self._rows() == other

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture
def audit_events(db: None) -> AuditEvents:
    """Every event recorded from here on, in order."""
    return AuditEvents()


# --- the SMS gateway ---------------------------------------------------------------------

KANNEL_SECRET = "test-kannel-secret"  # noqa: S105  (the tests' throwaway gateway)


def _kannel_module() -> Any:
    """scripts/kannel.py, the same start-up logic as scripts/with-kannel."""
    import importlib.util
    import sys
    from pathlib import Path

    if "amanat_kannel_harness" in sys.modules:
        return sys.modules["amanat_kannel_harness"]
    script = Path(__file__).resolve().parent / "scripts" / "kannel.py"
    spec = importlib.util.spec_from_file_location("amanat_kannel_harness", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["amanat_kannel_harness"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def kannel_gateway(live_server: Any) -> Iterator[Any]:
    """Kannel (bearerbox, smsbox, the fake SMS centre) for the session, its get-url on
    the live server.  Skipped only when Kannel is not installed and
    AMANAT_REQUIRE_KANNEL is unset (CI sets it: there it fails instead)."""
    module = _kannel_module()
    if not module.installed():
        problem = "Kannel is not installed (apt-get install kannel kannel-extras)"
        if os.environ.get("AMANAT_REQUIRE_KANNEL"):
            pytest.fail(f"{problem} (AMANAT_REQUIRE_KANNEL is set)")
        pytest.skip(problem)
    harness = module.KannelHarness(get_url=f"{live_server.url}/api/v1/sms/kannel",
                                   secret=KANNEL_SECRET)
    harness.start()
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def kannel(kannel_gateway: Any, settings: Any) -> Any:
    """The running gateway, with Amanat set to send through it and accept its get-url;
    tasks run at once (no worker in tests).  Needs a transactional database (the live
    server's thread writes)."""
    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.KannelBackend"
    settings.AMANAT_KANNEL_SENDSMS_URL = kannel_gateway.sendsms_url
    settings.AMANAT_KANNEL_USER = kannel_gateway.user
    settings.AMANAT_KANNEL_PASSWORD = kannel_gateway.password
    settings.AMANAT_KANNEL_SECRET = KANNEL_SECRET
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    return kannel_gateway


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Tests marked ``replica`` need a streaming replica (``scripts/with-postgres
    --replica``), tests marked ``failover`` a primary with a synchronous standby
    (``--sync-standby``): skipped without one, unless AMANAT_REQUIRE_REPLICA is set
    (``make test-postgres`` sets it: there they fail instead)."""
    if item.get_closest_marker("failover") is not None:
        if not os.environ.get("AMANAT_FAILOVER_URL"):
            problem = "no synchronous standby (run under scripts/with-postgres --sync-standby)"
            if os.environ.get("AMANAT_REQUIRE_REPLICA"):
                pytest.fail(f"{problem} (AMANAT_REQUIRE_REPLICA is set)")
            pytest.skip(problem)
        return
    if item.get_closest_marker("replica") is None:
        return
    from django.conf import settings as django_settings

    if "replica" not in django_settings.DATABASES:
        problem = "no streaming replica (run under scripts/with-postgres --replica)"
        if os.environ.get("AMANAT_REQUIRE_REPLICA"):
            pytest.fail(f"{problem} (AMANAT_REQUIRE_REPLICA is set)")
        pytest.skip(problem)
