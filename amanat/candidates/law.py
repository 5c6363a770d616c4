"""The law as data: seat bands, document types and eligibility rules (data/law.json).

``law_seed()`` writes the rows the file holds that are not there yet (matched by their
keys), so an administrator's later edit of a row is kept; running it twice changes
nothing. Seat bands that name one unit (the capital) are written once the geography
holds that unit.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from amanat.candidates.models import (
    DeclarationCode,
    DocumentStatus,
    DocumentType,
    EligibilityRule,
    RuleCheck,
    SeatBand,
)
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.persian import search_key

LAW_FILE = Path(__file__).resolve().parent / "data" / "law.json"


@cache
def law_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(LAW_FILE.read_text(encoding="utf-8"))
    return data


def _unit_named(name: str, province: str) -> AdminUnit | None:
    province_unit = AdminUnit.objects.filter(kind=Kind.PROVINCE,
                                             name_key=search_key(province)).first()
    if province_unit is None:
        return None
    return AdminUnit.objects.within(province_unit).filter(
        kind=Kind.CITY, name_key=search_key(name)).order_by("path").first()


def law_seed() -> int:
    """Write the missing law rows; the number written."""
    data = law_data()
    written = 0
    for band in data["seat_bands"]:
        unit = None
        if "unit_name" in band:
            unit = _unit_named(band["unit_name"], band["unit_province"])
            if unit is None:
                continue
        fields = {k: band[k] for k in ("seats", "reserve_seats", "legal_reference")}
        _band, created = SeatBand.objects.get_or_create(
            kind=band["kind"], min_population=band["min_population"], unit=unit,
            defaults=fields)
        written += created
    types: dict[tuple[str, str], DocumentType] = {}
    for position, doc in enumerate(data["document_types"]):
        for kind in doc["contest_kinds"]:
            row, created = DocumentType.objects.get_or_create(
                contest_kind=kind, code=doc["code"], defaults={
                    "name_fa": doc["name_fa"], "name_en": doc["name_en"],
                    "required": doc["required"], "allowed_types": doc["allowed_types"],
                    "is_photo": doc.get("is_photo", False),
                    "legal_reference": doc["legal_reference"], "position": position,
                })
            types[(kind, doc["code"])] = row
            written += created
    for position, rule in enumerate(data["rules"]):
        for kind in rule["contest_kinds"]:
            _rule, created = EligibilityRule.objects.get_or_create(
                contest_kind=kind, code=rule["code"], defaults={
                    "test": rule["test"], "number": rule.get("number"),
                    "name_fa": rule["name_fa"], "name_en": rule["name_en"],
                    "legal_reference": rule["legal_reference"],
                    "blocks_registration": rule.get("blocks_registration", False),
                    "min_population": rule.get("min_population", 0),
                    "max_population": rule.get("max_population"),
                    "document_type": types.get((kind, rule.get("document", ""))),
                    "position": position,
                })
            written += created
    return written


# --- seats -----------------------------------------------------------------------------------


def seats_for(bands: list[SeatBand], kind: str, population: int | None,
              unit_id: int | None) -> SeatBand | None:
    """The band that sets the seats of a constituency: a band for the unit itself first,
    then the largest ``min_population`` not above the population (an unknown population
    takes the smallest band)."""
    own = [b for b in bands if b.kind == kind and b.unit_id is not None and b.unit_id == unit_id]
    if own:
        return own[0]
    general = sorted((b for b in bands if b.kind == kind and b.unit_id is None),
                     key=lambda b: b.min_population)
    chosen = None
    for band in general:
        if chosen is None or (population or 0) >= band.min_population:
            chosen = band
    return chosen


# --- eligibility -----------------------------------------------------------------------------


class Verdict:
    MET = "met"
    NOT_MET = "not_met"
    NEEDS_DOCUMENT = "needs_document"


@dataclass(frozen=True)
class Person:
    """What the rules read about a person (a candidacy or a registration in progress)."""

    birth_date: datetime.date
    education: int
    residence_years: int
    holds_listed_office: bool = False
    resigned_on: datetime.date | None = None


# What each kind of test reads of the person: the ``Person`` attribute, which is also the
# registration form's field of that name, so that a refusal is shown next to the answer
# it reads (user review F15). A test that reads nothing the person types (a document on
# file) has none: its refusal concerns the whole form.
READS: dict[str, str] = {
    RuleCheck.AGE_MIN: "birth_date",
    RuleCheck.AGE_MAX: "birth_date",
    RuleCheck.EDUCATION_MIN: "education",
    RuleCheck.RESIDENCE_YEARS: "residence_years",
    # Holding a listed office and not having resigned in time: the resignation date.
    RuleCheck.RESIGNATION: "resigned_on",
}


@dataclass(frozen=True)
class RuleResult:
    rule: EligibilityRule
    verdict: str

    @property
    def field(self) -> str | None:
        """The answer the rule reads (``READS``), None when it reads none."""
        return READS.get(self.rule.test)


def age_on(birth: datetime.date, day: datetime.date) -> int:
    """Full years on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _test(rule: EligibilityRule, person: Person, *, election_day: datetime.date,
          registration_opens: datetime.date | None) -> bool:
    number = rule.number or 0
    if rule.test == RuleCheck.AGE_MIN:
        return age_on(person.birth_date, election_day) >= number
    if rule.test == RuleCheck.AGE_MAX:
        return age_on(person.birth_date, election_day) <= number
    if rule.test == RuleCheck.EDUCATION_MIN:
        return person.education >= number
    if rule.test == RuleCheck.RESIDENCE_YEARS:
        return person.residence_years >= number
    if rule.test == RuleCheck.RESIGNATION:
        if not person.holds_listed_office:
            return True
        deadline = rule.date or (registration_opens - datetime.timedelta(days=number)
                                 if registration_opens else None)
        return person.resigned_on is not None and (deadline is None
                                                   or person.resigned_on <= deadline)
    return True  # RuleCheck.DOCUMENT: only the document decides


def _needs_document(rule: EligibilityRule, person: Person) -> bool:
    if rule.document_type_id is None:
        return False
    # The resignation letter is needed only from those who hold a listed office.
    return rule.test != RuleCheck.RESIGNATION or person.holds_listed_office


def evaluate(rules: list[EligibilityRule], person: Person, *, election_day: datetime.date,
             registration_opens: datetime.date | None,
             documents: dict[int, str] | None = None) -> list[RuleResult]:
    """Each active rule's verdict: not met when the data fails it; otherwise needs a
    document when its proving document is not received (``documents``: document type id
    → status); otherwise met."""
    documents = documents or {}
    results = []
    for rule in rules:
        if not rule.active:
            continue
        if not _test(rule, person, election_day=election_day,
                     registration_opens=registration_opens):
            verdict = Verdict.NOT_MET
        elif _needs_document(rule, person) and documents.get(
                rule.document_type_id or 0) != DocumentStatus.RECEIVED:
            verdict = Verdict.NEEDS_DOCUMENT
        else:
            verdict = Verdict.MET
        results.append(RuleResult(rule, verdict))
    return results


DECLARATION_OFFICE = DeclarationCode.HOLDS_LISTED_OFFICE
