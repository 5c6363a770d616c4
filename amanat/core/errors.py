"""The one rule-error type: a code, a lazily translated message, an optional field.

Services raise ``RuleError`` (or collect several, e.g. one per spreadsheet row) when a
rule is broken and nothing was changed.  The message is an English source string marked
with ``gettext_lazy`` and ``%(name)s`` placeholders; its Persian lives in the catalog
(amanat/locale/fa), never in code.  It is rendered when it is shown, in the language of
whoever reads it: a web page and an API answer in the request's language, an SMS reply in
Persian, a command's output in the command's language.  Numbers among the parameters are
shown with Persian digits when the language is Persian.

    raise RuleError(_("Case %(ref)s is locked by %(user)s."), code="locked",
                    ref=case.reference, user=holder)
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

from amanat.core.templatetags.persian import jdate, localize_digits

ALL = "__all__"  # the error concerns the whole input, not one field


class RuleError(Exception):
    """A broken rule; nothing changed.  ``status`` is the HTTP status an API answers with."""

    code = "invalid"
    status = 422

    def __init__(self, message: str | Promise, *, code: str | None = None, field: str = ALL,
                 **params: Any) -> None:
        self.template = message
        self.params: Mapping[str, Any] = params
        self.field = field
        if code is not None:
            self.code = code
        # The message is rendered when shown, in the reader's language (not here).
        super().__init__(self.code, field)

    @property
    def message(self) -> str:
        """The message in the active language."""
        text = str(self.template)
        if not self.params:
            return text
        return text % {name: _display(value) for name, value in self.params.items()}

    def render(self, language: str) -> str:
        """The message in ``language`` ("fa", "en"), whatever language is active."""
        with translation.override(language):
            return self.message

    def with_field(self, field: str) -> RuleError:
        """The same error about another field (a nested value, a spreadsheet column)."""
        return type(self)(self.template, code=self.code, field=field, **self.params)

    def __str__(self) -> str:
        return self.message


def _display(value: Any) -> Any:
    """A parameter as it is shown: Jalali dates, digits of the active language."""
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.date):
        return jdate(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return localize_digits(str(value))
    return value


def messages(errors: Iterable[RuleError]) -> list[str]:
    """The errors' messages in the active language."""
    return [error.message for error in errors]
