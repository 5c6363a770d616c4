"""Persian normalisation: idempotence and matching of real-world spelling variants."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from amanat.lib.persian import ZWNJ, normalize, search_key, to_ascii_digits, to_persian_digits

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
