"""Numbers in request bodies are JSON numbers; an Idempotency-Key header is a key or an
error, never "no key" (issue 11 follow-up: an outside review stored ``true`` as 1)."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from django.test import Client
from ninja import Schema

from amanat.api import api
from amanat.incidents.models import Report
from amanat.incidents.tests.conftest import World, world  # noqa: F401 (fixture)
from amanat.incidents.tests.test_intake import BODY, api_post
from amanat.stations.models import Station
from amanat.stations.tests.conftest import Registry, registry  # noqa: F401 (fixture)
from amanat.stations.tests.test_api import Api, one

pytestmark = pytest.mark.django_db


def _body_schemas() -> list[type[Schema]]:
    """The classes of every request body the API document declares."""
    document = api.get_openapi_schema()
    names = set()
    for path in document["paths"].values():
        for operation in path.values():
            content = operation.get("requestBody", {}).get("content", {})
            for media in content.values():
                if "$ref" in media["schema"]:  # the SMS webhook reads its raw body
                    names.add(media["schema"]["$ref"].rsplit("/", 1)[1])
    found = {}
    # Every module that declares API schemas is loaded once amanat.api has its routers.
    modules = [m for name, m in list(sys.modules.items())
               if name.startswith("amanat.") and name.rsplit(".", 1)[-1].endswith("api")]
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Schema) and value.__name__ in names:
                found[value.__name__] = value
    assert set(found) == names, names - set(found)
    return list(found.values())


def _number_fields(schema: type[Schema]) -> list[str]:
    """The fields the document declares as integer or number."""
    fields = []
    for name, prop in schema.model_json_schema()["properties"].items():
        kinds = {p.get("type") for p in prop.get("anyOf", [prop])}
        if kinds & {"integer", "number"}:
            fields.append(name)
    return fields


def test_every_number_of_every_request_body_refuses_booleans_and_strings() -> None:
    checked = 0
    for schema in _body_schemas():
        for name in _number_fields(schema):
            for wrong in (True, False, "12", "۱۲"):
                errors = _errors(schema, {name: wrong})
                assert any(e["loc"] == (name,) and e["type"] in ("int_type", "float_type")
                           for e in errors), (schema.__name__, name, wrong, errors)
                checked += 1
    assert checked >= 4 * 6  # stations: 5 numbers; incidents: unit_id


def _text_fields(schema: type[Schema]) -> list[str]:
    """The fields the document declares as free strings (not dates, not choices)."""
    fields = []
    for name, prop in schema.model_json_schema()["properties"].items():
        for kind in prop.get("anyOf", [prop]):
            if kind.get("type") == "string" and "format" not in kind and "enum" not in kind:
                fields.append(name)
                break
    return fields


def test_every_string_of_every_request_body_refuses_nul() -> None:
    """NUL cannot be stored (PostgreSQL refuses it): a 422 naming the field, never a
    database error or a stored NUL."""
    checked = 0
    for schema in _body_schemas():
        for name in _text_fields(schema):
            errors = _errors(schema, {name: "a\x00b"})
            assert any(e["loc"] == (name,) and e["type"] == "nul" for e in errors), (
                schema.__name__, name, errors)
            checked += 1
    assert checked >= 3  # incidents: category, station_code, text; stations: its texts


def _errors(schema: type[Schema], data: dict[str, Any]) -> list[Any]:
    try:
        schema.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError
        return list(getattr(exc, "errors")())  # noqa: B009
    return []


@pytest.mark.parametrize("body", [{"expected_voters": True}, {"cameras": False},
                                  {"capacity": "12"}, {"latitude": True}])
def test_a_station_patch_with_a_boolean_or_a_string_for_a_number_changes_nothing(
    registry: Registry, body: dict[str, Any]  # noqa: F811
) -> None:
    station = registry.g_ready
    before = Station.objects.filter(pk=station.pk).values().get()
    response = Api(registry.personas.admin).patch(one(station), body)
    assert response.status_code == 422, response.content
    (error,) = response.json()["errors"]
    assert error["field"] == next(iter(body)) and error["message"]
    assert Station.objects.filter(pk=station.pk).values().get() == before


@pytest.mark.parametrize("key", ["", " ", "   "])
def test_an_empty_or_blank_key_on_a_station_patch_is_malformed(
    registry: Registry, key: str  # noqa: F811
) -> None:
    api_client = Api(registry.personas.admin)
    station = registry.g_ready
    response = Client().patch(
        one(station), json.dumps({"name": "نام تازه"}), content_type="application/json",
        headers=api_client.headers({"Idempotency-Key": key}),
    )
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    station.refresh_from_db()
    assert station.name != "نام تازه"


@pytest.mark.parametrize("key", ["", " "])
def test_an_empty_or_blank_key_on_a_report_is_malformed(
    world: World, key: str  # noqa: F811
) -> None:
    response = api_post(world, BODY, key)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert not Report.objects.exists()


def test_a_missing_key_on_a_report_is_still_400(world: World) -> None:  # noqa: F811
    assert api_post(world, BODY, None).status_code == 400
