"""Iranian national ID (کد ملی): ten digits, the last a check digit.

The check: the first nine digits weighted 10 down to 2, summed, modulo 11 (``r``); the
check digit is ``r`` when ``r`` < 2 and ``11 - r`` otherwise. Numbers of one repeated
digit pass the arithmetic but are never issued, so they are refused too. Persian and
Arabic-Indic digits are read as digits; spaces and dashes are ignored.
(A small, dependency-free rule: the PyPI packages for it are unmaintained.)
"""

from __future__ import annotations

from typing import Literal

from amanat.lib.persian import to_ascii_digits
from amanat.lib.tabular import code_digits

Problem = Literal["length", "digits", "repeated", "check_digit"]


def normalize_national_id(text: str) -> str:
    """ASCII digits with spaces and dashes removed (not checked)."""
    return "".join(ch for ch in to_ascii_digits(text) if ch not in " -\u200c\t")


def national_id_from_cell(text: str) -> str:
    """A national ID read from a spreadsheet: a number cell (or a CSV saved by Excel) loses
    its leading zeros (0012345679 becomes 12345679), so eight or nine digits get them back
    (and a CSV written with decimals, 12345679.0, gives its digits, ``code_digits``);
    the check digit still decides whether the result is a national ID."""
    value = code_digits(normalize_national_id(text))
    if value.isascii() and value.isdigit() and 8 <= len(value) < 10:
        return value.zfill(10)
    return value


def national_id_problem(text: str) -> Problem | None:
    """Why ``text`` is not a valid national ID, or None when it is."""
    value = normalize_national_id(text)
    if not value.isascii() or not value.isdigit():
        return "digits"
    if len(value) != 10:
        return "length"
    if len(set(value)) == 1:
        return "repeated"
    remainder = sum(int(value[i]) * (10 - i) for i in range(9)) % 11
    expected = remainder if remainder < 2 else 11 - remainder
    return None if int(value[9]) == expected else "check_digit"


def is_valid_national_id(text: str) -> bool:
    return national_id_problem(text) is None


def with_check_digit(first_nine: str) -> str:
    """The ten-digit ID whose first nine digits are ``first_nine`` (demo data, tests)."""
    remainder = sum(int(first_nine[i]) * (10 - i) for i in range(9)) % 11
    return first_nine + str(remainder if remainder < 2 else 11 - remainder)
