"""Number types of the API's JSON bodies: a number is a JSON number, nothing else.

pydantic's lax mode reads ``true`` as 1 and ``"12"`` as 12 into an ``int``; a client that
sent a boolean or a string where the document says ``integer`` has a bug, and storing 1
for ``{"expected_voters": true}`` hides it.  Every integer and number field of a request
body is one of these (``core/tests/test_api_types.py`` walks the document's request
bodies and fails on any other).  Query and path parameters arrive as text and stay lax.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Strict

# JSON integers only: not true/false, not "12", not 12.0.
Integer = Annotated[int, Strict()]
# JSON numbers (integers included), not true/false or "3.5".
Number = Annotated[float, Strict()]
