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
from django.utils.translation import gettext_lazy as _

from amanat.core.templatetags.persian import (
    ARABIC_THOUSANDS_SEPARATOR,
    jdate,
    localize_digits,
    persian_active,
)
from amanat.lib.tabular import (
    CP1256_WARNING,
    HEADER_SCAN_ROWS,
    HIDDEN_ROWS_WARNING,
    Table,
    TabularError,
)

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
        # Not copy.copy: an exception is copied by calling its class with its args.
        moved = type(self).__new__(type(self))
        moved.__dict__.update(self.__dict__)
        moved.args = (self.code, field)
        moved.field = field
        return moved

    def __str__(self) -> str:
        return self.message


class Grouped(int):
    """A number shown with thousands grouped: 100,000 in English, ۱۰۰٬۰۰۰ in Persian."""


class Digits(str):
    """Text whose digits follow the language (a cell or code quoted in a message).

    Other text parameters are shown as they are: a reference or a file name is typed
    back exactly.
    """


class RuleErrors(RuleError):
    """Several refusals of one input (every one in ``errors``); the first is this error's
    own message, so a caller that shows one message shows the first."""

    def __init__(self, errors: list[RuleError]) -> None:
        first = errors[0]
        super().__init__(first.template, code=first.code, field=first.field, **first.params)
        self.errors = errors


def _display(value: Any) -> Any:
    """A parameter as it is shown: Jalali dates, digits of the active language."""
    if isinstance(value, RuleError):
        return value.message
    if isinstance(value, Promise):
        return str(value)
    if isinstance(value, datetime.date):
        return jdate(value)
    if isinstance(value, bool):
        return value
    if isinstance(value, Grouped):
        grouped = f"{value:,}"
        return localize_digits(grouped.replace(",", ARABIC_THOUSANDS_SEPARATOR)
                               if persian_active() else grouped)
    if isinstance(value, int | float | Digits):
        return localize_digits(str(value))
    return value


def messages(errors: Iterable[RuleError]) -> list[str]:
    """The errors' messages in the active language."""
    return [error.message for error in errors]


_TABLE_PROBLEMS = {
    "format": _("“%(filename)s” is neither a CSV nor an XLSX file"),
    "utf8": _("the file starts with a UTF-8 mark but row %(row)s is not valid UTF-8: save "
              "it again as “CSV UTF-8”"),
    "utf16": _("the file starts with a UTF-16 mark but is not valid UTF-16"),
    "empty": _("the file is empty: no header row"),
    "unreadable": _("the file cannot be read as a table: %(detail)s"),
    "no_header": _("no header row in the first %(rows)s rows"),
    "too_many_rows": _("the file has rows down to row %(count)s; at most %(limit)s rows are "
                       "read (delete the rows past the data, or split the file)"),
    "too_many_columns": _("the sheet “%(detail)s” has values in %(count)s columns; at most "
                          "%(limit)s are read (delete the columns past the data)"),
    "formula_without_value": _("formula cells of the sheet “%(detail)s” have no saved "
                               "value, so their values are unknown: open the file in Excel "
                               "or LibreOffice, save it, and upload it again"),
    "encrypted": _("“%(filename)s” is protected with a password, so it cannot be read: open "
                   "it, remove the password (File › Info › Protect Workbook), save and "
                   "upload it again"),
    "xls": _("“%(filename)s” is an old Excel 97–2003 workbook (.xls), which is not read: "
             "open it in Excel or LibreOffice and save it as .xlsx"),
    "ods": _("“%(filename)s” is an OpenDocument spreadsheet (.ods), which is not read: save "
             "it in LibreOffice as .xlsx"),
    "not_xlsx": _("“%(filename)s” is not an XLSX workbook (it is no spreadsheet, or another "
                  "kind of file renamed): save it from Excel or LibreOffice as .xlsx or "
                  ".csv"),
    "binary": _("the file is not text (row %(row)s holds a NUL byte): it is no CSV file; "
                "save it from Excel or LibreOffice as .xlsx or “CSV UTF-8”"),
    "unpacked_too_large": _("the workbook unpacks to %(count)s MB; at most %(limit)s MB are "
                            "read (delete what is not data, or split the file)"),
    "error_cell": _("cell %(cell)s (row %(row)s, column “%(column)s”) of the sheet "
                    "“%(detail)s” holds the error %(value)s instead of a value: correct "
                    "its formula or type the value, save and upload the file again"),
}
_TABLE_WARNINGS = {
    CP1256_WARNING: _("the file is not UTF-8; it was read as Windows-1256 (Arabic/Persian "
                      "Windows)"),
}


def tabular_error(error: TabularError) -> RuleError:
    """A spreadsheet that cannot be read (``lib.tabular``), as a rule error."""
    return RuleError(_TABLE_PROBLEMS[error.reason], code=error.reason,
                     filename=error.filename, detail=error.detail, rows=HEADER_SCAN_ROWS,
                     count=Grouped(error.count), limit=Grouped(error.limit), row=error.row,
                     column=error.column, cell=Digits(error.cell), value=error.value)


def tabular_warning(code: str) -> RuleError:
    """A note about how a spreadsheet was read (``Table.warnings``)."""
    return RuleError(_TABLE_WARNINGS.get(code, code), code=code)


_SHOWN_ROWS = 10


def table_warnings(table: Table) -> list[RuleError]:
    """Every note about how ``table`` was read, with what each is about."""
    notes = [tabular_warning(c) for c in table.warnings if c != HIDDEN_ROWS_WARNING]
    if table.hidden_rows:
        shown = ", ".join(str(r) for r in table.hidden_rows[:_SHOWN_ROWS])
        if len(table.hidden_rows) > _SHOWN_ROWS:
            shown += ", …"
        notes.append(RuleError(
            _("%(count)s rows of the sheet “%(sheet)s” are hidden (rows %(rows)s) and were "
              "read like the others: unhide them to check, and delete the rows that are not "
              "meant to be imported"), code=HIDDEN_ROWS_WARNING,
            count=len(table.hidden_rows), sheet=table.sheet, rows=Digits(shown)))
    return notes
