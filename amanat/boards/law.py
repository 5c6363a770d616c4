"""Board sizes per kind, with their legal reference, as data (``data/sizes.json``).

The file says where each size comes from; a size changes there, without a code change.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from amanat.boards.models import BoardKind
from amanat.geo.models import Kind

DATA = Path(__file__).with_name("data") / "sizes.json"


@dataclass(frozen=True)
class KindRule:
    kind: str
    size: int
    unit_kinds: tuple[str, ...]
    legal_reference: str


_UNIT_KINDS = {
    "county": (Kind.COUNTY,),
    "province": (Kind.PROVINCE,),
    "province_or_county": (Kind.PROVINCE, Kind.COUNTY),
}


@cache
def rules() -> dict[str, KindRule]:
    data = json.loads(DATA.read_text(encoding="utf-8"))["kinds"]
    found = {kind: KindRule(kind=kind, size=int(row["size"]),
                            unit_kinds=tuple(str(k) for k in _UNIT_KINDS[row["unit_kind"]]),
                            legal_reference=row["legal_reference"])
             for kind, row in data.items()}
    missing = set(BoardKind.values) - set(found)
    if missing:
        raise ValueError(f"board sizes missing for {sorted(missing)}")
    return found


def rule(kind: str) -> KindRule:
    return rules()[kind]
