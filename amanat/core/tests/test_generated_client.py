"""A client generated from the served OpenAPI document works against the served app.

This is what an integrator does: fetch ``/api/v1/openapi.json``, run openapi-python-client
on it, and call the API through the generated functions only.  If the document leaves out
a header the API requires (as it once did with ``Idempotency-Key``: every report was
400), or an answer's schema, this test fails.  Generation runs locally, without its
formatting hooks, so it needs no network.  The server is the WSGI application as
deployed (amanat.wsgi: the API under its own middleware chain) on a local port.
"""

from __future__ import annotations

import datetime
import importlib
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from django.db import connections
from django.utils import timezone

from amanat.accounts import services as accounts
from amanat.accounts.testing import Personas
from amanat.audit.models import Event
from amanat.core.models import IdempotencyRecord
from amanat.elections.models import Election
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import seed_categories
from amanat.stations.models import Station
from amanat.stations.tests.conftest import make_station
from amanat.wsgi import application

# The server thread has its own database connection: the test's data must be committed.
pytestmark = pytest.mark.django_db(transaction=True)

PACKAGE = "amanat_api_client"
# No post hooks: the generator would otherwise run ruff/black on its output, and the
# generated code is used, not read.
CONFIG = f"package_name_override: {PACKAGE}\npost_hooks: []\n"


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(server: WSGIServer) -> None:
    try:
        server.serve_forever(poll_interval=0.05)
    finally:
        connections.close_all()  # this thread's connection, before the test's flush


@pytest.fixture
def served() -> Iterator[str]:
    """The served WSGI application on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, application, handler_class=_QuietHandler)
    thread = threading.Thread(target=_serve, args=(server,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=30)
    server.server_close()


@pytest.fixture
def generated(served: str, tmp_path: Path) -> Iterator[ModuleType]:
    """The client package generated from the document the server serves."""
    document = tmp_path / "openapi.json"
    document.write_bytes(httpx.get(f"{served}/api/v1/openapi.json").raise_for_status().content)
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(document),
         "--meta", "none", "--output-path", str(tmp_path / PACKAGE), "--config", str(config),
         "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def _client(base_url: str, user: Any, language: str | None = None) -> Any:
    _, token = accounts.api_token_issue(user=user, name="generated client", ttl_days=1,
                                        actor=user)
    headers = {"Accept-Language": language} if language else {}
    return _module("client").AuthenticatedClient(base_url=base_url, token=token,
                                                 headers=headers)


@pytest.fixture
def stations(small_geo: Any, personas: Personas) -> tuple[Station, Station]:
    seed_categories()
    election = Election.objects.create(
        name="انتخابات آزمایشی", slug="test-1405",
        election_day=timezone.localdate() + datetime.timedelta(days=30),
    )
    gharchak = make_station(election, small_geo.gharchak, "0042", unit=small_geo.gharchak_city)
    kerman = make_station(election, small_geo.kerman_county, "0007")
    return gharchak, kerman


def test_a_generated_client_files_a_report_once_reads_and_patches_stations(
    generated: ModuleType, served: str, personas: Personas, stations: tuple[Station, Station],
) -> None:
    gharchak, kerman = stations
    models = _module("models")
    report_create = _module("api.incidents.report_create")
    inspector = _client(served, personas.inspector)

    # A report, then the same report retried (a field device after a timeout): one record.
    body = models.ReportIn(category="VB", station_code=small_code(gharchak),
                           text="پول در ازای رأی")
    key = str(uuid.uuid4())
    first = report_create.sync_detailed(client=inspector, body=body, idempotency_key=key)
    assert first.status_code == 201, first.content
    assert isinstance(first.parsed, models.ReportOut)
    retry = report_create.sync_detailed(client=inspector, body=body, idempotency_key=key)
    assert retry.status_code == 201
    assert retry.parsed.reference == first.parsed.reference
    assert retry.headers["Idempotent-Replayed"] == "true"
    report = Report.objects.get()
    assert report.reference == first.parsed.reference
    assert (report.channel, report.station, report.submitted_by) == (
        "api", gharchak, personas.inspector)
    assert IdempotencyRecord.objects.filter(key=key).count() == 1

    # An error answer comes back as the declared schema, in the language asked for
    # (Persian by default).
    unknown_station = models.ReportIn(category="VB", station_code="2310-9999", text="متن")
    unknown = report_create.sync_detailed(
        client=inspector, idempotency_key=str(uuid.uuid4()), body=unknown_station)
    assert unknown.status_code == 422
    assert isinstance(unknown.parsed, models.ErrorOut)
    error = unknown.parsed.errors[0]
    assert (error.field, error.code) == ("station_code", "unknown_station")
    assert "شعبه" in error.message
    english = report_create.sync_detailed(
        client=_client(served, personas.inspector, "en"), idempotency_key=str(uuid.uuid4()),
        body=unknown_station)
    assert english.parsed.errors[0].message == "no polling station “2310-9999” in your area"
    assert english.parsed.detail == "The request is invalid; see errors."
    assert Report.objects.count() == 1

    # Stations: read the governor's list, patch one, find it changed and audited.
    governor = _client(served, personas.gharchak_governor)
    page = _module("api.stations.station_list").sync(client=governor)
    assert isinstance(page, models.StationPage)
    assert [s.id for s in page.results] == [gharchak.pk]
    patch = models.StationPatch(cctv=models.Cctv.RECORDED, cameras=2, power_backup=True)
    changed = _module("api.stations.station_patch").sync_detailed(
        client=governor, station_id=gharchak.pk, body=patch, idempotency_key=str(uuid.uuid4()),
    )
    assert changed.status_code == 200, changed.content
    assert (changed.parsed.cctv, changed.parsed.cameras) == (models.Cctv.RECORDED, 2)
    gharchak.refresh_from_db()
    assert (gharchak.cctv, gharchak.cameras, gharchak.power_backup) == ("recorded", 2, True)
    assert Event.objects.filter(action="station.update", object_id=str(gharchak.pk)).count() == 1

    # The denied paths, as the client sees them: out of scope and without a token.
    outside = _module("api.stations.station_get").sync_detailed(client=governor,
                                                                station_id=kerman.pk)
    assert outside.status_code == 404 and isinstance(outside.parsed, models.ErrorOut)
    anonymous = _module("client").Client(base_url=served)
    refused = _module("api.stations.station_list").sync_detailed(client=anonymous)
    assert refused.status_code == 401 and isinstance(refused.parsed, models.ErrorOut)
    kerman.refresh_from_db()
    assert kerman.cctv == "none"


def small_code(station: Station) -> str:
    """The code a field device sends: county code and station code."""
    return f"{station.county.code}-{station.code}"
