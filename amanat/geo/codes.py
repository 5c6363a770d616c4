"""Official unit codes in their canonical, zero-padded form.

The Statistical Centre's codes are digit strings of a fixed width per level (see
``geo/data/README.md``): province 2, county 4, district 6, city and rural district 10,
village 16; each starts with its parent's code, so a code of Markazi province (00) starts
with zeros.  A spreadsheet program that takes a code for a number drops those zeros
(``808`` for county ``0808``): codes are compared in the padded form, never as typed.
"""

from __future__ import annotations

from collections.abc import Iterable

CODE_WIDTHS = {
    "province": 2,
    "county": 4,
    "district": 6,
    "city": 10,
    "rural_district": 10,
    "village": 16,
}
# Excel keeps 15 significant digits: a longer code typed as a number has lost digits.
EXCEL_DIGITS = 15


def canonical_unit_code(kind: str, code: str) -> str:
    """``code`` of a unit of ``kind`` padded with leading zeros to its official width.

    Codes that are not all digits (the country's ``IR``) or already long enough are
    returned as they are.
    """
    width = CODE_WIDTHS.get(kind)
    if width is None or not code.isdigit() or not code.isascii():
        return code
    return code.zfill(width)


def unit_code_candidates(code: str, kinds: Iterable[str]) -> set[str]:
    """Every canonical form ``code`` may stand for among units of ``kinds``."""
    return {canonical_unit_code(kind, code) for kind in kinds}
