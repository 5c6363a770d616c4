"""The national threat catalogue (docs/plans.md), adapted from International IDEA's
Electoral Risk Management Tool (internal and external risk factors) to the seeds.

Each threat names a place, an event or a process, never a group of people; the atlas
factors it lists raise its likelihood in a county.  ``threat_catalogue_seed`` loads it
(idempotent); ``amanat plans-seed-catalogue`` and the demo call it.
"""

from __future__ import annotations

from typing import NamedTuple

from amanat.accounts.access import AnyUser
from amanat.plans import services
from amanat.plans.models import Threat

IDEA = "International IDEA, Electoral Risk Management Tool"


class ThreatSeed(NamedTuple):
    code: str
    name_fa: str
    name_en: str
    factors: tuple[str, ...]
    impact: int
    source: str


CATALOGUE: tuple[ThreatSeed, ...] = (
    ThreatSeed("station_unrest", "ناآرامی و اخلال در نظم شعب اخذ رأی",
               "Unrest and disorder at polling stations",
               ("sensitive", "incidents", "over_capacity"), 4,
               f"{IDEA}: security environment during voting"),
    ThreatSeed("infrastructure_attack", "حمله به زیرساخت‌ها و اقلام انتخاباتی",
               "Attacks on election infrastructure and materials",
               ("no_cctv", "mobile_remote", "national_tier"), 5,
               f"{IDEA}: security of electoral materials and premises"),
    ThreatSeed("cyber_attack", "حمله سایبری به سامانه‌های الکترونیکی انتخابات",
               "Cyber attacks on the electronic election systems",
               ("no_fibre_evoting",), 5, f"{IDEA}: election technology"),
    ThreatSeed("disinformation", "انتشار اخبار جعلی درباره فرایند انتخابات",
               "Disinformation about the election process",
               ("incidents", "assessments"), 3, f"{IDEA}: media and disinformation"),
    ThreatSeed("vote_buying", "خرید و فروش رأی", "Vote buying",
               ("annulled_history", "assessments", "incidents"), 4,
               f"{IDEA}: electoral malpractice"),
    ThreatSeed("staff_intimidation", "ارعاب و تهدید عوامل اجرایی و ناظران",
               "Intimidation of election staff and observers",
               ("sensitive", "mobile_remote", "assessments"), 4,
               f"{IDEA}: safety of electoral staff"),
    ThreatSeed("ballot_tampering", "دست‌بردن در صندوق‌ها و نتایج در جابه‌جایی",
               "Tampering with ballot boxes and results in transport",
               ("mobile_remote", "no_cctv", "annulled_history"), 5,
               f"{IDEA}: counting and transfer of results"),
    ThreatSeed("natural_hazard", "بلایای طبیعی و شرایط جوی سخت",
               "Natural hazards and severe weather",
               ("mobile_remote",), 3, f"{IDEA}: natural hazards"),
    ThreatSeed("power_network_outage", "قطع برق و شبکه ارتباطی",
               "Power and network outages",
               ("no_fibre_evoting", "mobile_remote"), 4,
               f"{IDEA}: infrastructure and logistics"),
)


def threat_catalogue_seed(*, actor: AnyUser | None = None) -> int:
    """Add the catalogue's threats that are missing; returns how many were added."""
    have = set(Threat.objects.filter(unit__isnull=True).values_list("code", flat=True))
    added = 0
    for seed in CATALOGUE:
        if seed.code in have:
            continue
        services.threat_create(code=seed.code, name_fa=seed.name_fa, name_en=seed.name_en,
                               factors=seed.factors, impact=seed.impact, source=seed.source,
                               actor=actor)
        added += 1
    return added
