"""Station codes in their one canonical form.

Counties number their stations 1, 2, 3 … and write them zero-padded to four digits
(``0001``); a spreadsheet program that takes the code for a number shows ``1``.  So that
``1``, ``01`` and ``0001`` name one station, a code made of digits only is stored and
compared as its number zero-padded to ``STATION_CODE_WIDTH`` digits (longer numbers keep
all their digits, without extra leading zeros).  Other codes (letters and hyphens, such
as ``12-A``) are stored in upper case.  Migration 0003 put existing codes in this form.
"""

from __future__ import annotations

from amanat.lib.persian import normalize, to_ascii_digits

STATION_CODE_WIDTH = 4


def canonical_station_code(code: str) -> str:
    """The canonical form of a station code already in ASCII (``normalize`` first)."""
    code = code.strip()
    if code.isascii() and code.isdigit():
        return str(int(code)).zfill(STATION_CODE_WIDTH)
    return code.upper() if code.isascii() else code


def parse_station_code(text: str) -> tuple[str, str] | None:
    """"2321-0042" (county code, dash, station code) → ("2321", "0042"); else None."""
    cleaned = to_ascii_digits(normalize(text or "")).replace(" ", "").replace("/", "-")
    county, sep, station = cleaned.partition("-")
    if not sep or not county.isdigit() or not station:
        return None
    return county, station
