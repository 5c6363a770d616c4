"""The API's request parser: every string of every body and query is cleaned text.

Free text from field devices and scripts reaches staff screens like the web forms'
does, so it gets the same cleaning (``lib.persian.clean_text``: no bidi controls,
zero-width or other invisible characters; ZWNJ tidied; line breaks kept) before any
schema sees it.  Being the parser, it covers every endpoint and every field, including
those added later; schemas may narrow further (one-line names, say).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from amanat.lib.persian import clean_text


def clean_strings(value: Any) -> Any:
    """``value`` (decoded JSON) with every string in it cleaned; keys are left alone."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [clean_strings(item) for item in value]
    if isinstance(value, dict):
        return {key: clean_strings(item) for key, item in value.items()}
    return value


class CleanTextParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        cleaned: dict[str, Any] = clean_strings(json.loads(request.body))
        return cleaned

    def parse_querydict(self, data: MultiValueDict[str, Any], list_fields: list[str],
                        request: HttpRequest) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        return {key: clean_strings(value) for key, value in parsed.items()}
