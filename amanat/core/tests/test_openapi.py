"""The OpenAPI document: served, complete (every header an operation needs, every error
answer with its schema), and true under fuzzing.

The schemathesis test generates requests from the document itself (a bounded,
derandomised number per operation) and sends them to the WSGI app with a valid token:
whatever it sends, the API must answer without a server error.  Besides random values it
sends boundary values: its coverage phase tries each declared minimum and maximum (and
one past them, in negative mode), and dates are drawn from the ends of the calendar and
of this election's era as well as from anywhere in between (issue 11: 9999-12-31 and
2**63 answered 500).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from amanat.accounts import services as accounts
from amanat.elections.models import Election
from amanat.lib.jalali import era_years, from_jalali, to_jalali
from amanat.stations.tests.conftest import make_station
from amanat.wsgi import application

SCHEMA_URL = "/api/v1/openapi.json"
STATION_PATHS = {"/api/v1/stations/", "/api/v1/stations/{station_id}"}
STATION_SCHEMAS = {"StationOut", "StationPage", "StationPatch", "ErrorOut", "FieldErrorOut"}
# The SMS gateway's webhook answers its own shape (with the SMS reply) for what its code
# decides; the database's 503 is the API's error body there too.
OWN_ERROR_SHAPE = {("POST /api/v1/incidents/sms", status) for status in ("400", "401", "422")} | {
    ("GET /api/v1/sms/kannel", status) for status in ("401", "422")}
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def document(client: Client) -> dict[str, Any]:
    response = client.get(SCHEMA_URL)  # public: no token
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    schema: dict[str, Any] = response.json()
    return schema


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    ]


@pytest.mark.django_db
def test_document_lists_the_station_endpoints_and_schemas(document: dict[str, Any]) -> None:
    assert set(document["paths"]) >= STATION_PATHS
    assert set(document["paths"]["/api/v1/stations/{station_id}"]) >= {"get", "patch"}
    assert set(document["components"]["schemas"]) >= STATION_SCHEMAS
    patch = document["components"]["schemas"]["StationPatch"]
    assert patch.get("additionalProperties") is False
    assert {"cctv", "fibre_planned_date", "sensitive", "status"} <= set(patch["properties"])
    params = {
        p["name"]: p for p in document["paths"]["/api/v1/stations/{station_id}"]["patch"][
            "parameters"
        ]
    }
    assert params["Idempotency-Key"]["in"] == "header"
    assert params["Idempotency-Key"]["required"] is False
    page_size = next(
        p for p in document["paths"]["/api/v1/stations/"]["get"]["parameters"]
        if p["name"] == "page_size"
    )
    assert page_size["schema"]["maximum"] == 500


def wanted_errors(path: str, op: dict[str, Any]) -> set[str]:
    """The error answers an operation can give, from the facts that cause them."""
    wanted = {"503"}  # every operation reads the database
    if op.get("security"):
        wanted.add("401")
    if "{" in path:
        wanted.add("404")  # out of scope
    # Every parameter (path ones too: ``/stations/abc``) and every body is read by the
    # schemas: a bad one is 422.  A body that is not JSON is 400.
    if op.get("parameters") or op.get("requestBody"):
        wanted.add("422")
    if op.get("requestBody"):
        wanted.add("400")
    return wanted


@pytest.mark.django_db
def test_every_operation_declares_its_error_responses(document: dict[str, Any]) -> None:
    missing = []
    for path, method, op in operations(document):
        name = f"{method.upper()} {path}"
        for status in sorted(wanted_errors(path, op)):
            answer = op["responses"].get(status)
            if answer is None:
                missing.append(f"{name}: {status}")
                continue
            schema = answer["content"]["application/json"]["schema"]
            if (name, status) not in OWN_ERROR_SHAPE and schema != ERROR_OUT:
                missing.append(f"{name}: {status} is not ErrorOut")
        if "Retry-After" not in op["responses"]["503"].get("headers", {}):
            missing.append(f"{name}: 503 without Retry-After")
    assert not missing, missing


@pytest.mark.django_db
def test_every_required_header_is_declared(document: dict[str, Any]) -> None:
    # The bearer token is a security scheme, so generated clients send it themselves.
    scheme = document["components"]["securitySchemes"]["TokenAuth"]
    assert (scheme["type"], scheme["scheme"], scheme["bearerFormat"]) == (
        "http", "bearer", "amt_…")
    assert "Authorization: Bearer" in scheme["description"]
    secured = {f"{m.upper()} {p}" for p, m, op in operations(document) if op.get("security")}
    assert secured == {f"{m.upper()} {p}" for p, m, _ in operations(document)} - {
        "POST /api/v1/incidents/sms", "GET /api/v1/sms/kannel"}

    def header(path: str, method: str, name: str) -> dict[str, Any]:
        params = document["paths"][path][method]["parameters"]
        return next(p for p in params if p["in"] == "header" and p["name"] == name)

    report_key = header("/api/v1/incidents/reports", "post", "Idempotency-Key")
    assert report_key["required"] is True
    assert report_key["schema"]["maxLength"] == 255
    assert header("/api/v1/stations/{station_id}", "patch", "Idempotency-Key")["required"] is False
    assert header("/api/v1/incidents/sms", "post", "X-Amanat-Signature")["required"] is True
    sms_body = document["paths"]["/api/v1/incidents/sms"]["post"]["requestBody"]
    assert sms_body["content"]["application/json"]["schema"]["required"] == [
        "message_id", "text"]
    replayed = document["paths"]["/api/v1/incidents/reports"]["post"]["responses"]["201"]
    assert "Idempotent-Replayed" in replayed["headers"]
    ids = [op["operationId"] for _, _, op in operations(document)]
    assert len(ids) == len(set(ids)) and "report_create" in ids


ERROR_OUT = {"$ref": "#/components/schemas/ErrorOut"}


# --- fuzzing with schemathesis ---------------------------------------------------------


@pytest.fixture
def keep_connection() -> Iterator[None]:
    """Requests go straight to the WSGI handler, whose request_started/finished signals
    close the database connection, and with it the test's transaction (on PostgreSQL).
    Django's test client detaches that handler for the same reason; so do we."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(small_geo: Any, personas: Any, keep_connection: None) -> dict[str, Any]:
    """Two stations (Gharchak, Kerman) and a national administrator's token."""
    election = Election.objects.create(
        name="Fuzz round", slug="fuzz-round", election_day=datetime.date(2026, 6, 12)
    )
    stations = [
        make_station(election, small_geo.gharchak, "101", unit=small_geo.gharchak_city,
                     cctv="live", cameras=1, power_backup=True),
        make_station(election, small_geo.kerman_county, "201", sensitive=True,
                     sensitivity_reason="مرزی"),
    ]
    admin = personas.admin
    _, token = accounts.api_token_issue(user=admin, name="fuzz", ttl_days=1, actor=admin)
    return {"token": token, "stations": stations}


def _boundary_dates() -> list[str]:
    """Dates at the edges: of the calendar, of the Gregorian/Jalali split of the date
    reader, and of this election's era (one day inside and outside), ISO and Jalali."""
    low, high = era_years()
    first, end = from_jalali(low, 1, 1), from_jalali(high + 1, 1, 1)
    day = datetime.timedelta(days=1)
    edges = [first - day, first, end - day, end]
    jalali = ["{}/{:02d}/{:02d}".format(*to_jalali(d)) for d in edges]
    return [
        "0001-01-01", "9999-12-31", "1699-12-31", "1700-01-01", "2026-02-30", "0000-00-00",
        *(d.isoformat() for d in edges), *jalali, "1304/05/05", "9377/12/29", "۱۴۰۴/۱۱/۳۰",
    ]


# Every "format: date" field (the API's dates) draws from the edges half of the time.
schemathesis.openapi.format("date", st.one_of(
    st.sampled_from(_boundary_dates()),
    st.dates(min_value=datetime.date(1, 1, 1)).map(datetime.date.isoformat),
))

# Loaded once, at collection, through the served WSGI app (amanat.wsgi: the API under
# its own middleware chain) as a client would (the document is public and reading it
# touches no database).  Cases are then sent to the same app.
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, application)
# Stated rather than left to the defaults: the coverage phase is where the boundary
# values of every declared minimum and maximum come from, and negative mode sends values
# just outside them.
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def test_the_api_never_answers_with_a_server_error(case: Any, fuzz_world: dict[str, Any]) -> None:
    # Random ids are nearly always 404; point every other one at a real station so the
    # edit path (rules, audit, idempotency) is fuzzed too.
    station_id = (case.path_parameters or {}).get("station_id")
    if isinstance(station_id, int) and station_id % 2 == 0:
        case.path_parameters["station_id"] = fuzz_world["stations"][station_id % 4 // 2].pk
    response = case.call(headers={"Authorization": f"Bearer {fuzz_world['token']}"})
    case.validate_response(response, checks=[not_a_server_error])


# --- boundary values, every one of them -------------------------------------------------

# Integers past every column (64-bit) and past PostgreSQL's integer (32-bit).
BOUNDARY_INTS = [0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**20]
# Bodies that pass the schema, so that one boundary value at a time reaches the code
# behind it (a 422 for the base body would test nothing).
BASE_BODIES = {
    ("POST", "/api/v1/incidents/reports"): {"category": "VB", "text": "گزارش"},
}


def _merged(prop: dict[str, Any]) -> dict[str, Any]:
    """A property's schema with its non-null ``anyOf`` branch folded in (pydantic writes
    ``X | None`` that way)."""
    merged = dict(prop)
    for branch in prop.get("anyOf", []):
        if branch.get("type") != "null":
            merged |= branch
    return merged


def _boundaries(prop: dict[str, Any]) -> list[Any]:
    prop = _merged(prop)
    if prop.get("format") == "date":
        return _boundary_dates()
    if prop.get("type") != "integer":
        return []
    edges = [v for key in ("minimum", "maximum") if key in prop
             for v in (prop[key] - 1, prop[key], prop[key] + 1)]
    return edges + BOUNDARY_INTS


def _boundary_cases(document: dict[str, Any]) -> list[tuple[str, str, str, str, Any]]:
    """(method, path, where, name, value) for each integer and date the API reads."""
    found = []
    components = document["components"]["schemas"]
    for path, method, op in operations(document):
        for param in op.get("parameters", []):
            for value in _boundaries(param["schema"]):
                found.append((method.upper(), path, param["in"], param["name"], value))
        body = (op.get("requestBody") or {}).get("content", {}).get("application/json", {})
        ref = body.get("schema", {}).get("$ref", "")
        properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        for name, prop in properties.items():
            for value in _boundaries(prop):
                found.append((method.upper(), path, "body", name, value))
    return found


@pytest.mark.django_db
def test_the_api_answers_every_boundary_value_without_a_server_error(
    document: dict[str, Any], fuzz_world: dict[str, Any],
) -> None:
    """Each integer and date parameter or body field, one at a time, at and past its
    declared bounds, past the columns' widths and at the ends of the calendar."""
    cases = _boundary_cases(document)
    fields = {(m, p, name) for m, p, _, name, _ in cases}
    assert {("PATCH", "/api/v1/stations/{station_id}", "fibre_planned_date"),
            ("POST", "/api/v1/incidents/reports", "unit_id"),
            ("GET", "/api/v1/stations/", "page_size")} <= fields
    station = fuzz_world["stations"][0].pk
    failures = []
    for number, (method, path, where, name, value) in enumerate(cases):
        path_parameters = {p: station for p in ("station_id", "unit_id") if f"{{{p}}}" in path}
        query: dict[str, Any] = {}
        body = dict(BASE_BODIES.get((method, path), {})) if method != "GET" else None
        if where == "path":
            path_parameters[name] = value
        elif where == "query":
            query[name] = value
        elif where == "body":
            assert body is not None
            body[name] = value
        case = schema[path][method].Case(path_parameters=path_parameters, query=query,
                                         **({"body": body} if body is not None else {}))
        response = case.call(headers={"Authorization": f"Bearer {fuzz_world['token']}",
                                      "Idempotency-Key": f"boundary-{number}"})
        if response.status_code >= 500:
            failures.append(f"{method} {path} {where}.{name}={value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_error_answers_always_list_their_errors() -> None:
    """A generated client iterates ErrorOut.errors without checking for it first."""
    from amanat.api import api

    schema = api.get_openapi_schema()["components"]["schemas"]["ErrorOut"]
    assert set(schema["required"]) == {"detail", "errors"}


# Writes that take no Idempotency-Key, and why: the SMS gateway's webhook is made
# idempotent by the gateway's own message id (amanat/intake, docs/sms.md).
UNKEYED_WRITES = {"POST /api/v1/incidents/sms"}


@pytest.mark.django_db
def test_every_create_declares_its_idempotency_key(document: dict[str, Any]) -> None:
    """User review 2, F17, for the whole class: every write of the API honours an
    ``Idempotency-Key`` and declares it (a generated client then sends it), with whether
    it is required (then a missing key is 400, declared); the 503 answer tells a client
    to resend the same key only where the operation takes one."""
    problems = []
    writes = 0
    for path, method, op in operations(document):
        name = f"{method.upper()} {path}"
        keys = [p for p in op.get("parameters", [])
                if p["in"] == "header" and p["name"] == "Idempotency-Key"]
        why_503 = op["responses"]["503"]["description"]
        if method not in {"post", "put", "patch"} or name in UNKEYED_WRITES:
            if "Idempotency-Key" in why_503:
                problems.append(f"{name}: 503 asks for an Idempotency-Key it does not take")
            continue
        writes += 1
        if len(keys) != 1:
            problems.append(f"{name}: Idempotency-Key not declared")
            continue
        key = keys[0]
        if key["schema"].get("maxLength") != 255 or "retrying" not in key["description"]:
            problems.append(f"{name}: Idempotency-Key without its schema or description")
        if key["required"] and ("Missing: 400" not in key["description"]
                                or "400" not in op["responses"]):
            problems.append(f"{name}: a required key without its 400")
        if "same Idempotency-Key" not in why_503:
            problems.append(f"{name}: 503 does not say to resend the same key")
        for status, answer in op["responses"].items():
            if status.startswith("2") and "Idempotent-Replayed" not in answer.get("headers", {}):
                problems.append(f"{name}: {status} without Idempotent-Replayed")
    assert writes >= 4
    assert not problems, problems
