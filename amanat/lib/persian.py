"""Persian text normalisation, Django-free.

Two levels:

* ``normalize`` is for text we store and show: Arabic letter forms become Persian ones,
  Persian and Arabic-Indic digits become ASCII, diacritics and tatweel go, spacing and
  zero-width non-joiners (ZWNJ) are tidied.  It keeps the text readable.
* ``search_key`` is for matching and search indexes: ``normalize`` plus no ZWNJ, no
  spaces and lower-case Latin, so «كرمان», «کرمان» and «کر‌مان» all give the same key.

Both are idempotent: applying them twice gives the same result as once.
"""

from __future__ import annotations

import re
import unicodedata

ZWNJ = "\u200c"

_LETTERS = {
    "\u064a": "\u06cc",  # ARABIC YEH -> FARSI YEH
    "\u0649": "\u06cc",  # ALEF MAKSURA -> FARSI YEH
    "\u06d2": "\u06cc",  # YEH BARREE -> FARSI YEH
    "\u0643": "\u06a9",  # ARABIC KAF -> KEHEH
    "\u06aa": "\u06a9",  # SWASH KAF -> KEHEH
    "\u0629": "\u0647",  # TEH MARBUTA -> HEH
    "\u06c0": "\u0647",  # HEH WITH YEH ABOVE -> HEH (the hamza is a diacritic here)
    "\u06d5": "\u0647",  # AE -> HEH
    "\u0623": "\u0627",  # ALEF WITH HAMZA ABOVE -> ALEF
    "\u0625": "\u0627",  # ALEF WITH HAMZA BELOW -> ALEF
    "\u0671": "\u0627",  # ALEF WASLA -> ALEF
    "\u0624": "\u0648",  # WAW WITH HAMZA ABOVE -> WAW
}
_DIGITS = {ord(c): str(i) for i, c in enumerate("۰۱۲۳۴۵۶۷۸۹")}
_DIGITS.update({ord(c): str(i) for i, c in enumerate("٠١٢٣٤٥٦٧٨٩")})
_TABLE = {ord(k): v for k, v in _LETTERS.items()} | _DIGITS
# Harakat, superscript alef, small high marks and tatweel carry no meaning for matching.
_MARKS = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
# Other invisible joiners and marks that registries paste in by accident.
_INVISIBLE = re.compile("[\u200b\u200d\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZWNJ_RUN = re.compile(ZWNJ + "{2,}")
# Any run of spaces and ZWNJs holding a ZWNJ (e.g. "ZWNJ space ZWNJ") in one match, so
# that a single pass settles it and normalize stays idempotent.
_ZWNJ_SPACE = re.compile("[ " + ZWNJ + "]*" + ZWNJ + "[ " + ZWNJ + "]*")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def normalize(text: str) -> str:
    """Readable canonical form of ``text`` for storage and display."""
    text = unicodedata.normalize("NFC", text)
    text = text.translate(_TABLE)
    text = _MARKS.sub("", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _ZWNJ_RUN.sub(ZWNJ, text)
    # A ZWNJ next to a space, or at either end, joins nothing.
    text = _ZWNJ_SPACE.sub(lambda m: " " if " " in m.group(0) else ZWNJ, text)
    return text.strip(" " + ZWNJ)


def search_key(text: str) -> str:
    """Key for matching: ``normalize`` without ZWNJ or spaces, Latin case folded."""
    return normalize(text).replace(ZWNJ, "").replace(" ", "").casefold()


def to_ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII, nothing else changed."""
    return text.translate(_DIGITS)


def to_persian_digits(text: str) -> str:
    """ASCII digits to Persian digits, for display."""
    return text.translate(_PERSIAN_DIGITS)
