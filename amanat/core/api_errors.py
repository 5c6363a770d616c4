"""The API's error body: ``{"detail": …, "errors": [{field, code, message}]}``.

Every error the API answers has this shape, in the request's language (LocaleMiddleware:
``Accept-Language``, Persian by default): a body that is not JSON or a missing required
header (400), a missing or expired token (401), an object outside the caller's scope
(404), a method the path does not take (405), a body over Django's size limit (413), a
broken rule of a service (``amanat.core.errors.RuleError``), a value pydantic could not
read (translated here) or a reused idempotency key (422), a database that cannot serve
now (503, with ``Retry-After``: amanat/core/outage.py).  Whatever else answers an error
under /api/ outside ninja's handlers (Django's own 400 and 405 pages) is rewritten into
this shape by ``ApiErrorBodyMiddleware``.  ``code`` is the
machine-readable kind of problem (``missing``, ``too_long``, ``locked``, …), the same in
every language.

``complete_openapi`` declares these answers in the OpenAPI document wherever the shared
plumbing can give them, so that a generated client knows every status it may receive.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic_core import PydanticCustomError

from amanat.core.errors import Grouped, RuleError


class FieldErrorOut(Schema):
    field: str
    code: str
    message: str


class ErrorOut(Schema):
    # Required, so a generated client can always iterate it: an answer with no field
    # errors (404, 503) sends an empty list.
    detail: str
    errors: list[FieldErrorOut]


INVALID_DETAIL = _("The request is invalid; see errors.")
NOT_FOUND_DETAIL = _("Not found")
# The detail of an error answer that has no rule error of its own, by status.
_STATUS_DETAILS: Mapping[int, Promise] = {
    400: _("The request cannot be read"),
    401: _("Unauthorized"),
    404: NOT_FOUND_DETAIL,
    405: _("This method is not allowed here; the Allow header lists those that are"),
    413: _("The request body is too large"),
}
_OTHER_DETAIL = _("The request cannot be served")


def status_detail(status: int) -> Promise:
    return _STATUS_DETAILS.get(status, _OTHER_DETAIL)


def error_body(errors: Iterable[RuleError], detail: str | Promise = INVALID_DETAIL
               ) -> dict[str, Any]:
    """The body, its messages in the active language (the request's)."""
    return {
        "detail": str(detail),
        "errors": [{"field": e.field, "code": e.code, "message": e.message} for e in errors],
    }


def error_response(
    errors: Iterable[RuleError], *, status: int = 422, detail: str | Promise = INVALID_DETAIL
) -> HttpResponse:
    return JsonResponse(error_body(errors, detail), status=status)


def not_found_body() -> dict[str, Any]:
    """The 404 body (no such object, or outside the caller's scope), in the active
    language."""
    return error_body([], NOT_FOUND_DETAIL)


def not_found_response() -> HttpResponse:
    return JsonResponse(not_found_body(), status=404)


# --- pydantic's errors, translated ------------------------------------------------------

# The pydantic error types the API's schemas can raise, worded for the catalog;
# ``%(x)s`` come from the error's context.  Anything else is ``_INVALID``.
_MESSAGES: Mapping[str, Promise] = {
    "missing": _("this value is required"),
    "int_parsing": _("must be a whole number"),
    "int_type": _("must be a whole number"),
    "int_from_float": _("must be a whole number"),
    "float_parsing": _("must be a number"),
    "float_type": _("must be a number"),
    "bool_parsing": _("must be true or false"),
    "bool_type": _("must be true or false"),
    "string_type": _("must be text"),
    "string_too_long": _("at most %(max_length)s characters are allowed"),
    "string_too_short": _("at least %(min_length)s characters are needed"),
    "literal_error": _("not an allowed value; give one of: %(expected)s"),
    "enum": _("not an allowed value; give one of: %(expected)s"),
    "greater_than_equal": _("must be at least %(ge)s"),
    "greater_than": _("must be greater than %(gt)s"),
    "less_than_equal": _("must be at most %(le)s"),
    "less_than": _("must be less than %(lt)s"),
    "date_parsing": _("the date must look like 2026-02-19 or 1404/11/30"),
    "date_from_datetime_parsing": _("the date must look like 2026-02-19 or 1404/11/30"),
    "json_invalid": _("the request body is not valid JSON"),
    "model_attributes_type": _("the request body must be a JSON object"),
    "dict_type": _("the request body must be a JSON object"),
    "extra_forbidden": _("this field is not known"),
    "value_error": _("the value is invalid"),
}
_INVALID = _("the value is invalid")
# Where a parameter comes from: not part of the field name the client sees.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}
# The context key of an error raised by our own validators (``rule_error``).
_RULE = "amanat_rule"


def _field(loc: Sequence[Any], body_params: int) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        # ninja nests a body under the view's parameter name ("payload"): drop it.
        if source == "body" and len(parts) > body_params:
            parts = parts[1:]
    return ".".join(parts)


def rule_error(error: RuleError) -> PydanticCustomError:
    """For pydantic validators: a rule error that reaches the client as it is."""
    return PydanticCustomError(error.code, str(error.render("en")), {_RULE: error})


def _rule_error(error: Mapping[str, Any], field: str) -> RuleError:
    """One of pydantic's errors as a rule error about ``field``."""
    ctx = dict(error.get("ctx") or {})
    own = ctx.get(_RULE)
    if isinstance(own, RuleError):
        return own.with_field(field)
    kind = str(error.get("type"))
    template = _MESSAGES.get(kind, _INVALID)
    params = {k: v for k, v in ctx.items() if isinstance(v, int | float | str)}
    rule = RuleError(template, code=kind, field=field, **params)
    try:
        rule.render("en")
    except (KeyError, ValueError, TypeError):  # a context this type does not usually carry
        rule = RuleError(_INVALID, code=kind, field=field)
    return rule


def translate_validation_errors(errors: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """ninja's list of pydantic errors → the API's error body."""
    return error_body(
        _rule_error(error, _field(error.get("loc") or (), body_params=1)) for error in errors
    )


UNREADABLE_BODY = RuleError(_("the request body is not valid JSON"), code="json_invalid",
                            field="body")
# ninja's words when the body cannot be parsed (ninja/params/models.py).
_UNPARSABLE = "Cannot parse request body"
UNAUTHORIZED = RuleError(
    _("a valid API token is needed: Authorization: Bearer amt_… (a missing, expired or "
      "revoked token, or one of a disabled user, is refused)"),
    code="unauthorized", field="Authorization",
)
TOO_LARGE = RuleError(_("the request body is larger than the %(limit)s bytes allowed"),
                      code="too_large", field="body",
                      limit=Grouped(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0))


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer unreadable parameters and bodies, and missing or bad tokens (401), with the
    API's bilingual error body."""

    # ``exc`` is a ValidationError (ninja's stubs type the handler loosely).
    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, translate_validation_errors(exc.errors), status=422)

    def on_http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        if exc.status_code == 400 and str(exc).startswith(_UNPARSABLE):
            return error_response([UNREADABLE_BODY], status=400,
                                  detail=_("Cannot parse the request body"))
        return error_response([], status=exc.status_code, detail=status_detail(exc.status_code))

    def on_not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return not_found_response()

    def on_too_large(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response([TOO_LARGE], status=413, detail=status_detail(413))

    # ninja's own answer is {"detail": "Unauthorized"}: the API's error body instead, with
    # the challenge RFC 6750 asks for.
    def on_unauthorized(request: HttpRequest, exc: Any) -> HttpResponse:
        response = error_response([UNAUTHORIZED], status=401, detail=status_detail(401))
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response

    def on_rule_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return error_response([exc], status=exc.status)

    api.add_exception_handler(ValidationError, on_validation_error)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_not_found)
    api.add_exception_handler(RequestDataTooBig, on_too_large)
    api.add_exception_handler(AuthenticationError, on_unauthorized)
    api.add_exception_handler(RuleError, on_rule_error)


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
    "413": "the body is larger than the server accepts; nothing changed",
    "422": "a value cannot be read or breaks a rule; every problem is listed, nothing changed",
    "503": "the database is unavailable (disk full, locked or unreachable); nothing changed:"
    " send the same request again after Retry-After seconds",
}
# An operation that honours an Idempotency-Key (and declares it): the retry keeps it.
_WHY_503_KEYED = ("the database is unavailable (disk full, locked or unreachable); nothing"
                  " changed: send the same request again (same Idempotency-Key) after"
                  " Retry-After seconds")


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
    keyed = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key"
                for p in parameters)
    wanted = {"503"}
    if operation.get("security"):
        wanted.add("401")
    if any(p.get("in") == "path" for p in parameters):
        wanted.add("404")
    if parameters or body:
        wanted.add("422")
    if body:
        wanted.update(("400", "413"))
    for status in sorted(wanted):
        responses.setdefault(status, {
            "description": _WHY_503_KEYED if status == "503" and keyed else _WHY[status],
            "content": {"application/json": {"schema": ERROR_REF}},
        })
    responses["503"].setdefault("headers", {})["Retry-After"] = RETRY_AFTER
    if keyed:
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


# --- error answers from outside ninja ----------------------------------------------------

# Headers of the original answer that the client still needs.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


class ApiErrorBodyMiddleware:
    """Under /api/, an error answer that is not JSON becomes the API's error body.

    Django answers some requests before or around ninja's handlers: 405 for a method a
    path does not take (ninja's PathView), 400 for a suspicious request (Django's
    handler400: a header it refuses, too many fields), each as an HTML or plain-text page
    that no client can parse.  Placed after LocaleMiddleware in both chains (the site's
    and the API's, amanat/intake/handlers.py), so the detail is in the request's language.
    """

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response
        self.prefix = settings.AMANAT_API_PREFIX

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self.get_response(request)
        if (response.status_code < 400 or not request.path.startswith(self.prefix)
                or response.get("Content-Type", "").startswith("application/json")):
            return response
        status = response.status_code
        replaced = error_response([], status=status, detail=status_detail(status))
        for name in _KEPT_HEADERS:
            if name in response:
                replaced[name] = response[name]
        # Above CommonMiddleware, which sets it on every other answer: without it a WSGI
        # server sends the body in chunks (a 500 seen by the load benchmark's client as
        # an empty body, then its chunks as the next answer).
        replaced["Content-Length"] = str(len(replaced.content))
        return replaced
