"""The categories of electoral violations and crimes seeded by migration 0002.

Each row: code, SMS code, Persian name, English name, responsible agency
(``accounts.Agency.code``, see accounts/migrations/0002_seed_agencies.py), default
severity (1 low … 4 critical) and the response-time target in hours.  The division of
labour follows the directive: crimes against the vote go to the police, online offences
to the cyber police (FATA) with the prosecutor, attacks on election systems to FATA,
failures of equipment to the election headquarters.  Django-free so that the migration
can import it.
"""

from __future__ import annotations

from typing import Final, NamedTuple


class CategorySeed(NamedTuple):
    code: str
    sms_code: str
    name_fa: str
    name_en: str
    agency: str
    severity: int
    response_hours: int


CATEGORIES: Final[tuple[CategorySeed, ...]] = (
    CategorySeed("vote_buying", "VB", "خرید و فروش رأی", "Vote buying", "police", 3, 24),
    CategorySeed("identity_fraud", "ID", "رأی دادن با شناسنامه یا هویت دیگری",
                 "Voting with another's identity", "police", 3, 12),
    CategorySeed("ballot_tampering", "BT", "دست بردن در آرا یا تعویض صندوق",
                 "Ballot tampering or box substitution", "police", 4, 2),
    CategorySeed("illegal_campaigning", "CP", "تبلیغات در روز رأی‌گیری یا داخل شعبه",
                 "Campaigning on election day or inside a station", "police", 2, 6),
    CategorySeed("material_destruction", "MD", "تخریب اقلام تبلیغاتی",
                 "Destroying campaign material", "municipality", 1, 72),
    CategorySeed("intimidation", "TH", "تهدید و ارعاب", "Threats and intimidation",
                 "police", 3, 6),
    CategorySeed("obstruction", "OB", "ممانعت از رأی دادن یا کار مأموران",
                 "Obstructing voters or officials", "police", 3, 4),
    CategorySeed("public_resources", "PR", "استفاده از امکانات دولتی و عمومی",
                 "Misuse of public resources", "judiciary", 2, 72),
    CategorySeed("online_disinformation", "FI", "نشر اکاذیب یا افترا در فضای مجازی",
                 "False information or defamation online", "fata", 2, 48),
    CategorySeed("system_attack", "SA", "حمله به سامانه‌های انتخاباتی",
                 "Attacks on election systems", "fata", 4, 2),
    CategorySeed("station_disorder", "SD", "اخلال در نظم شعبه", "Station disorder",
                 "police", 3, 2),
    CategorySeed("equipment_failure", "EF", "خرابی تجهیزات", "Equipment failure",
                 "election_hq", 2, 4),
    CategorySeed("other", "OT", "سایر", "Other", "election_hq", 1, 72),
)
