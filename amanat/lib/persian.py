"""Persian text normalisation, Django-free.

Two levels:

* ``normalize`` is for text we store and show: Arabic letter forms become Persian ones,
  Persian and Arabic-Indic digits become ASCII, diacritics and tatweel go, spacing and
  zero-width non-joiners (ZWNJ) are tidied.  It keeps the text readable.
* ``search_key`` is for matching and search indexes: ``normalize`` plus no ZWNJ, no
  spaces and lower-case Latin, so «كرمان», «کرمان» and «کر‌مان» all give the same key.

Both are idempotent: applying them twice gives the same result as once.

``clean_text`` is for free text as people typed it (report texts, notes, minutes): it
keeps letters, digits and line breaks as written and removes only what is invisible or
reorders what is shown (see ``INVISIBLE``).  Every free-text input of every interface
goes through it (forms, API, SMS, imports); ``normalize`` does the same removal.
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
# Removed from all text: every invisible format character (Unicode category Cf) except
# ZWNJ, which Persian spelling needs (می‌روم) and which is kept and tidied.  That is the
# bidi controls that can make text read differently from how it is stored (LRM, RLM,
# ALM, the embeddings and overrides U+202A-202E, the isolates U+2066-2069), the zero-
# width space, joiner and word joiner, the BOM, the soft hyphen, invisible operators,
# interlinear annotation marks and tag characters; plus the few invisible characters of
# other categories that serve the same tricks (combining grapheme joiner, Hangul
# fillers, Khmer inherent vowels).  The Cf signs that are drawn (Arabic number signs
# U+0600-0605, end of ayah U+06DD, and the like) stay.
INVISIBLE = (
    "\u00ad\u061c\u180e\u200b\u200d-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
    "\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0"
)
_INVISIBLE = re.compile(f"[{INVISIBLE}]")
# Control characters other than tab and line feed (a carriage return is a line end).
# NUL is left for the interfaces to refuse with a message (Django forms and the API
# schemas do): it is never typed, only sent.
_CONTROLS = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_ENDS = re.compile("\r\n?|[\x85\u2028\u2029\x0b\x0c]")
_BLANK_LINES = re.compile("\n{3,}")
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_ZWNJ_RUN = re.compile(ZWNJ + "{2,}")
# Any run of spaces and ZWNJs holding a ZWNJ (e.g. "ZWNJ space ZWNJ") in one match, so
# that a single pass settles it and normalize stays idempotent.
_ZWNJ_SPACE = re.compile("[ " + ZWNJ + "]*" + ZWNJ + "[ " + ZWNJ + "]*")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _tidy_line(line: str) -> str:
    """Spaces collapsed; ZWNJ runs made one, and dropped where they join nothing."""
    line = _SPACES.sub(" ", line)
    line = _ZWNJ_RUN.sub(ZWNJ, line)
    # A ZWNJ next to a space, or at either end, joins nothing.
    line = _ZWNJ_SPACE.sub(lambda m: " " if " " in m.group(0) else ZWNJ, line)
    return line.strip(" " + ZWNJ)


def clean_text(text: str, *, multiline: bool = True) -> str:
    """Free text as typed, minus what is invisible or reorders what is shown.

    NFC; ``INVISIBLE`` and control characters removed; line ends made ``\n`` (or, with
    ``multiline=False``, spaces); on each line spaces collapsed and ZWNJ tidied; at most
    one blank line in a row; no blank lines at either end.  Letters and digits are kept
    as written.  Idempotent.
    """
    text = _LINE_ENDS.sub("\n", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROLS.sub("", text)
    # NFC after the removals: a removed joiner between two combining marks lets them be
    # reordered, which NFC done first would leave to a second pass (not idempotent).
    text = unicodedata.normalize("NFC", text)
    if not multiline:
        return _tidy_line(text.replace("\n", " "))
    text = "\n".join(_tidy_line(line) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip("\n")


def normalize(text: str) -> str:
    """Readable canonical form of ``text`` for storage and display: one line, Persian
    letter forms and ASCII digits (see the module's docstring)."""
    text = clean_text(text, multiline=False)
    text = text.translate(_TABLE)
    text = _MARKS.sub("", text)
    return _tidy_line(text)


def search_key(text: str) -> str:
    """Key for matching: ``normalize`` without ZWNJ or spaces, Latin case folded."""
    return normalize(text).replace(ZWNJ, "").replace(" ", "").casefold()


def to_ascii_digits(text: str) -> str:
    """Persian and Arabic-Indic digits to ASCII, nothing else changed."""
    return text.translate(_DIGITS)


def to_persian_digits(text: str) -> str:
    """ASCII digits to Persian digits, for display."""
    return text.translate(_PERSIAN_DIGITS)
