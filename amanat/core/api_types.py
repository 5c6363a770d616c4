"""Number and text types of the API's JSON bodies.

A number is a JSON number, nothing else.

pydantic's lax mode reads ``true`` as 1 and ``"12"`` as 12 into an ``int``; a client that
sent a boolean or a string where the document says ``integer`` has a bug, and storing 1
for ``{"expected_voters": true}`` hides it.  Every integer and number field of a request
body is one of these (``core/tests/test_api_types.py`` walks the document's request
bodies and fails on any other).  Query and path parameters arrive as text and stay lax.

Text is ``Text``: a string that can be stored.  NUL cannot (PostgreSQL refuses it, and
``lib.persian.clean_text`` leaves it for the interfaces to refuse with a message), so a
string holding one is a 422 with code ``nul`` naming the field, not a database error.
Every string field of a request body is ``Text`` (the same test walks them).
"""

from __future__ import annotations

from typing import Annotated

from django.utils.translation import gettext_lazy as _
from pydantic import AfterValidator, Strict

from amanat.core.api_errors import rule_error
from amanat.core.errors import RuleError

# JSON integers only: not true/false, not "12", not 12.0.
Integer = Annotated[int, Strict()]
# JSON numbers (integers included), not true/false or "3.5".
Number = Annotated[float, Strict()]


NUL = RuleError(_("text cannot contain NUL characters"), code="nul")


def storable_text(value: str) -> str:
    """``value`` if it can be stored; a NUL character is refused (code ``nul``)."""
    if "\x00" in value:
        raise rule_error(NUL)
    return value


# A JSON string without NUL; constraints (max_length) go in the field or another Annotated.
Text = Annotated[str, AfterValidator(storable_text)]
