"""Persian normalisation: idempotence and matching of real-world spelling variants."""

from __future__ import annotations

import unicodedata

from hypothesis import example, given, settings
from hypothesis import strategies as st

from amanat.lib.persian import (
    INVISIBLE,
    ZWNJ,
    clean_text,
    normalize,
    search_key,
    to_ascii_digits,
    to_persian_digits,
)

# Text drawn mostly from the characters that normalisation touches, so that the
# interesting interactions (ZWNJ next to spaces, marks between letters) come up often.
_ALPHABET = (
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیيكةۀأإٱؤىےڪە"
    "۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩0123456789"
    " \t\n\u00a0\u200c\u200c\u200b\u200d\u200e\u200f\u202b\ufeff\u00ad"
    "\u064b\u064e\u0650\u0651\u0652\u0670\u0640"
    "AbZ"
)
texts = st.text(alphabet=_ALPHABET, max_size=30) | st.text(max_size=20)


@settings(max_examples=300)
@given(texts)
@example(" \u200c ")
@example("ا\u200c\u0640\u200cب")
@example("a\u200c \u200cb")
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300)
@given(texts)
def test_search_key_is_idempotent(text: str) -> None:
    once = search_key(text)
    assert search_key(once) == once


@settings(max_examples=300)
@given(texts)
def test_search_key_ignores_spaces_and_zwnj(text: str) -> None:
    assert ZWNJ not in search_key(text)
    assert " " not in search_key(text)


def test_kerman_spellings_share_a_key() -> None:
    arabic_kaf = "كرمان"
    persian_kaf = "کرمان"
    with_zwnj = "کر\u200cمان"
    assert search_key(arabic_kaf) == search_key(persian_kaf) == search_key(with_zwnj)
    assert search_key("  کرمان ") == search_key(persian_kaf)


def test_digits_round_trip() -> None:
    assert to_persian_digits("58638") == "۵۸۶۳۸"
    assert to_ascii_digits("۵۸۶۳۸ و ٥٨") == "58638 و 58"
    assert normalize("علي ۱۲") == "علی 12"


# --- clean_text: free text without invisible and reordering characters ------------------

# The Cf characters that are drawn (prepended concatenation marks) stay, and ZWNJ.
DRAWN_FORMAT = {0x600, 0x601, 0x602, 0x603, 0x604, 0x605, 0x6DD, 0x70F, 0x890, 0x891,
                0x8E2, 0x110BD, 0x110CD}


def test_clean_text_removes_every_invisible_format_character_but_zwnj() -> None:
    for code in range(0x110000):
        char = chr(code)
        if unicodedata.category(char) != "Cf" or code in DRAWN_FORMAT:
            continue
        cleaned = clean_text(f"ب{char}ب")
        assert cleaned == ("ب\u200cب" if code == 0x200C else "بب"), hex(code)
    assert "\u200c" not in INVISIBLE


def test_clean_text_defuses_bidi_spoofing_and_keeps_lines() -> None:
    # "ساعت 10" shown reversed by a right-to-left override, a zero-width space inside a
    # word, a BOM, a terminal escape and Windows line ends.
    typed = ("\ufeffخرید رأی\u200b در\u202e 01 تعاس\u202c\r\n\r\n\r\n\r\n"
             "می\u200c\u200c روم\x1b[0m\t!")
    assert clean_text(typed) == "خرید رأی در 01 تعاس\n\nمی روم[0m !"
    assert clean_text(typed, multiline=False) == "خرید رأی در 01 تعاس می روم[0m !"
    # Letters and digits stay as written; ZWNJ inside a word stays.
    assert clean_text("كتاب ۱۲ می\u200cروم") == "كتاب ۱۲ می\u200cروم"
    for text in (typed, "  \u2067a\u2069 \u2028b  "):
        assert clean_text(clean_text(text)) == clean_text(text)


@settings(max_examples=300)
@given(texts | st.text(alphabet=_ALPHABET + "\r\u2028\u2029\x85\u202e\u2066\x1b", max_size=30))
def test_clean_text_is_idempotent_and_leaves_nothing_invisible(text: str) -> None:
    for multiline in (True, False):
        once = clean_text(text, multiline=multiline)
        assert clean_text(once, multiline=multiline) == once
        # NUL stays for the interfaces to refuse (forms and API schemas do).
        assert not any(unicodedata.category(c) in ("Cc", "Cf") and c not in "\n\u200c\x00"
                       and ord(c) not in DRAWN_FORMAT for c in once)


def test_clean_text_is_idempotent_when_a_removed_joiner_separated_two_marks() -> None:
    """Found by hypothesis: a combining grapheme joiner between two marks, once removed,
    lets NFC reorder them, so NFC must come after the removals."""
    text = "\u064b\u034f\u064e"
    assert clean_text(clean_text(text)) == clean_text(text)
