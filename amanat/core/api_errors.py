"""The API's error body: ``{"detail": …, "errors": [{field, message_en, message_fa}]}``.

Every error the API answers has this shape, so a field device shows the same Persian and
English messages whatever went wrong: a body that is not JSON or a missing required
header (400), a missing or expired token (401), an object outside the caller's scope
(404), a broken rule of a service, a value pydantic could not read (translated here) or
a reused idempotency key (422), a database that cannot serve now (503, with
``Retry-After``: amanat/core/outage.py).

``complete_openapi`` declares these answers in the OpenAPI document wherever the shared
plumbing can give them, so that a generated client knows every status it may receive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic_core import PydanticCustomError

from amanat.lib.persian import to_persian_digits


class FieldErrorOut(Schema):
    field: str
    message_en: str
    message_fa: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldErrorOut] = []


class FieldErrorLike(Protocol):
    """stations.validation.FieldError, RowError and the like."""

    @property
    def field(self) -> str: ...
    @property
    def message_en(self) -> str: ...
    @property
    def message_fa(self) -> str: ...


INVALID_DETAIL = "The request is invalid; see errors."


def error_body(errors: Iterable[FieldErrorLike], detail: str = INVALID_DETAIL) -> dict[str, Any]:
    return {
        "detail": detail,
        "errors": [
            {"field": e.field, "message_en": e.message_en, "message_fa": e.message_fa}
            for e in errors
        ],
    }


def error_response(
    errors: Iterable[FieldErrorLike], *, status: int = 422, detail: str = INVALID_DETAIL
) -> HttpResponse:
    return JsonResponse(error_body(errors, detail), status=status)


# --- pydantic's messages in Persian ---------------------------------------------------

# Persian for the pydantic error types the API's schemas can raise; ``{x}`` fields come
# from the error's context.  Anything else falls back to a general message.
_FA: Mapping[str, str] = {
    "missing": "این مقدار لازم است",
    "int_parsing": "باید عدد صحیح باشد",
    "int_type": "باید عدد صحیح باشد",
    "int_from_float": "باید عدد صحیح باشد",
    "float_parsing": "باید عدد باشد",
    "float_type": "باید عدد باشد",
    "bool_parsing": "باید true یا false باشد",
    "bool_type": "باید true یا false باشد",
    "string_type": "باید متن باشد",
    "string_too_long": "حداکثر {max_length} نویسه مجاز است",
    "string_too_short": "دست‌کم {min_length} نویسه لازم است",
    "literal_error": "مقدار مجاز نیست؛ یکی از این‌ها را بدهید: {expected}",
    "enum": "مقدار مجاز نیست؛ یکی از این‌ها را بدهید: {expected}",
    "greater_than_equal": "باید دست‌کم {ge} باشد",
    "greater_than": "باید بیشتر از {gt} باشد",
    "less_than_equal": "باید حداکثر {le} باشد",
    "less_than": "باید کمتر از {lt} باشد",
    "date_parsing": "تاریخ باید به شکل ۲۰۲۶-۰۲-۱۹ یا ۱۴۰۴/۱۱/۳۰ باشد",
    "date_from_datetime_parsing": "تاریخ باید به شکل ۲۰۲۶-۰۲-۱۹ یا ۱۴۰۴/۱۱/۳۰ باشد",
    "json_invalid": "بدنه درخواست JSON معتبر نیست",
    "model_attributes_type": "بدنه درخواست باید یک شیء JSON باشد",
    "dict_type": "بدنه درخواست باید یک شیء JSON باشد",
    "extra_forbidden": "این فیلد شناخته نیست",
    "value_error": "مقدار نامعتبر است",
}
_FA_DEFAULT = "مقدار نامعتبر است"
# Where a parameter comes from: not part of the field name the client sees.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field(loc: Sequence[Any], body_params: int) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        # ninja nests a body under the view's parameter name ("payload"): drop it.
        if source == "body" and len(parts) > body_params:
            parts = parts[1:]
    return ".".join(parts)


def _message_fa(error: Mapping[str, Any]) -> str:
    ctx = {k: to_persian_digits(str(v)) if isinstance(v, int | float) else v
           for k, v in (error.get("ctx") or {}).items()}
    # Our own validators raise ``bilingual_error``s that carry their Persian message.
    if "message_fa" in ctx:
        return str(ctx["message_fa"])
    template = _FA.get(str(error.get("type")), _FA_DEFAULT)
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return _FA_DEFAULT


def bilingual_error(message_en: str, message_fa: str) -> PydanticCustomError:
    """For pydantic validators: an error whose Persian message reaches the client."""
    return PydanticCustomError("amanat_invalid", message_en, {"message_fa": message_fa})


def _message_en(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")


def translate_validation_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """ninja's list of pydantic errors → the API's error body."""
    out = []
    for error in errors:
        field = _field(error.get("loc") or (), body_params=1)
        out.append({
            "field": field,
            "message_en": _message_en(error),
            "message_fa": _message_fa(error),
        })
    return {"detail": INVALID_DETAIL, "errors": out}


@dataclass(frozen=True)
class RequestProblem:
    """An error about the request as a whole, not one of its fields."""

    field: str
    message_en: str
    message_fa: str


UNREADABLE_BODY = RequestProblem(
    "body", "the request body is not valid JSON", "بدنه درخواست JSON معتبر نیست"
)
# ninja's words when the body cannot be parsed (ninja/params/models.py).
_UNPARSABLE = "Cannot parse request body"
UNAUTHORIZED = RequestProblem(
    "Authorization",
    "a valid API token is needed: Authorization: Bearer amt_… (a missing, expired or "
    "revoked token, or one of a disabled user, is refused)",
    "توکن معتبر API لازم است: Authorization: Bearer amt_… (توکنِ نفرستاده، منقضی یا "
    "باطل‌شده، یا توکن کاربرِ غیرفعال پذیرفته نمی‌شود)",
)


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer unreadable parameters and bodies, and missing or bad tokens (401), with the
    API's bilingual error body."""

    # ``exc`` is a ValidationError (ninja's stubs type the handler loosely).
    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, translate_validation_errors(exc.errors), status=422)

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith(_UNPARSABLE):
            return error_response([UNREADABLE_BODY], status=400, detail=_UNPARSABLE)
        return api.create_response(request, {"detail": str(exc)}, status=exc.status_code)

    # ninja's own answer is {"detail": "Unauthorized"}: the API's error body instead, with
    # the challenge RFC 6750 asks for.
    def on_unauthorized(request: HttpRequest, exc: Any) -> HttpResponse:
        response = error_response([UNAUTHORIZED], status=401, detail="Unauthorized")
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(AuthenticationError, on_unauthorized)


# --- the answers in the OpenAPI document -----------------------------------------------

_METHODS = {"get", "put", "post", "patch", "delete", "head", "options"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
RETRY_AFTER = {
    "description": "seconds to wait before sending the same request again",
    "schema": {"type": "integer", "minimum": 1},
}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the"
    " same Idempotency-Key (nothing was done again)",
    "schema": {"type": "string", "enum": ["true"]},
}
_WHY: Mapping[str, str] = {
    "400": "the body is not JSON, or a required header is missing",
    "401": "no valid bearer token: missing, expired or revoked, or its user is disabled",
    "404": "no such object, or outside your scope (never 403)",
    "422": "a value cannot be read or breaks a rule; every problem is listed, nothing changed",
    "503": "the database is unavailable (disk full, locked or unreachable); nothing changed:"
    " send the same request again (same Idempotency-Key) after Retry-After seconds",
}


def complete_openapi(document: dict[str, Any]) -> dict[str, Any]:
    """Declare on every operation the error answers the shared plumbing can give.

    Operations declare what their own code answers; what follows from the API's common
    parts is added here, from the same facts that cause it: a security requirement (the
    token check: 401), a parameter or body (ninja's validation: 422), a body (unreadable
    JSON: 400), a path parameter (the access helpers: 404), and the database (503 with
    ``Retry-After``, amanat/core/outage.py).  Answers an operation declared itself are
    kept; an ``Idempotency-Key`` operation's success answers name ``Idempotent-Replayed``.
    """
    _add_error_schemas(document)
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in _METHODS:
                _complete_operation(operation)
    return document


def _complete_operation(operation: dict[str, Any]) -> None:
    # ninja keys the answers by int; JSON makes them strings anyway.
    responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
    operation["responses"] = responses
    parameters = operation.get("parameters", [])
    body = "requestBody" in operation
    wanted = {"503"}
    if operation.get("security"):
        wanted.add("401")
    if any(p.get("in") == "path" for p in parameters):
        wanted.add("404")
    if parameters or body:
        wanted.add("422")
    if body:
        wanted.add("400")
    for status in sorted(wanted):
        responses.setdefault(status, {
            "description": _WHY[status],
            "content": {"application/json": {"schema": ERROR_REF}},
        })
    responses["503"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
    if any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters):
        for status, answer in responses.items():
            if status.startswith("2"):
                answer.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED


def _add_error_schemas(document: dict[str, Any]) -> None:
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" in schemas:
        return
    schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    schemas["ErrorOut"] = schema
