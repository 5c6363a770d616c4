"""Persian alphabetical order: ICU's collation for Persian (CLDR ``fa``).

Code-point order puts چ, ژ, گ, ک and ی after every other letter (چهارمحال after همدان)
and ه before و; the Persian alphabet is آ ا ب پ ت ث ج چ ح خ د ذ ر ز ژ س ش ص ض ط ظ ع غ
ف ق ک گ ل م ن و ه ی.  The database orders by the same rules (``core.collation``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import icu

T = TypeVar("T")

_COLLATOR = icu.Collator.createInstance(icu.Locale("fa_IR"))


def persian_compare(a: str, b: str) -> int:
    """Negative, zero or positive as ``a`` sorts before, with or after ``b``."""
    result: int = _COLLATOR.compare(a, b)
    return result


def persian_key(text: str) -> bytes:
    """A sort key: ``sorted(names, key=persian_key)`` is alphabetical order."""
    key: bytes = _COLLATOR.getSortKey(text)
    return key


def persian_sorted(items: Iterable[T], key: Callable[[T], str] | None = None) -> list[T]:
    """``items`` in Persian alphabetical order of ``key(item)`` (the item itself)."""
    if key is None:
        return sorted(items, key=lambda item: persian_key(str(item)))
    get = key
    return sorted(items, key=lambda item: persian_key(get(item)))
