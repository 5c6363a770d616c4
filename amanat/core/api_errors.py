"""The API's error body: ``{"detail": …, "errors": [{field, message_en, message_fa}]}``.

Every 4xx the API answers has this shape, so a field device shows the same Persian and
English messages whatever went wrong: a broken rule of a service (422), a value pydantic
could not read (422, translated here), a reused idempotency key (422), a missing or
expired token (401) or an object outside the caller's scope (404).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI, Schema
from ninja.errors import ValidationError
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


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer unreadable parameters and bodies with the API's bilingual error body."""

    # ``exc`` is a ValidationError (ninja's stubs type the handler loosely).
    def on_validation_error(request: HttpRequest, exc: Any) -> HttpResponse:
        return api.create_response(request, translate_validation_errors(exc.errors), status=422)

    api.add_exception_handler(ValidationError, on_validation_error)
