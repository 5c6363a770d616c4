"""Demo candidates: the law's constituencies and candidates in the first states of the
process (synthetic people; national IDs made with a valid check digit).

``seed_demo_candidates(election)`` loads the council constituencies of the whole
country, then registers candidates for the Gharchak and Kerman city councils, a
Gharchak village or rural district council and the Tehran Assembly of Experts
by-election: some pre-registered online (mobile confirmed), some confirmed by the county
office or entered at the office, with documents missing, received and rejected, and one
online pre-registration cancelled by the person's own registration at the office
(``SUPERSEDED``). The
registrations are dated inside the registration window. Running it twice changes
nothing.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from amanat.accounts.models import Membership, Role
from amanat.candidates import services
from amanat.candidates.files import check_bytes
from amanat.candidates.models import Candidacy, Channel, DocumentType, State
from amanat.candidates.selectors import registration_window
from amanat.elections.models import Contest, ContestKind, Election
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind, Kind
from amanat.lib.nationalid import with_check_digit

PDF = b"%PDF-1.4\n% Amanat demo document\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16

# (first name, last name, father, gender, birth year, education, contest kind, county code,
#  channel, confirmed, documents uploaded, rejected document)
PEOPLE: list[tuple[str, str, str, str, int, int, str, str, str, bool, tuple[str, ...], str]] = [
    ("مریم", "احمدی", "علی", "female", 1982, 6, "city_council", "2321", "online", False,
     ("id_card", "photo"), ""),
    ("رضا", "کریمی", "حسن", "male", 1975, 5, "city_council", "2321", "online", True,
     ("id_card", "birth_certificate", "photo", "degree"), ""),
    ("زهرا", "حسینی", "محمد", "female", 1990, 6, "city_council", "2321", "walk_in", True,
     ("id_card", "birth_certificate", "photo", "degree"), "degree"),
    ("علی", "رضایی", "عباس", "male", 1968, 7, "city_council", "2321", "walk_in", True,
     (), ""),
    ("فاطمه", "موسوی", "جواد", "female", 1985, 3, "village_council", "2321", "online", True,
     ("id_card", "birth_certificate", "photo", "degree"), ""),
    ("حسین", "صادقی", "رحیم", "male", 1979, 5, "city_council", "0808", "online", False,
     ("id_card",), ""),
    ("نرگس", "افشار", "کاظم", "female", 1987, 6, "city_council", "0808", "walk_in", True,
     ("id_card", "birth_certificate", "photo", "degree"), "photo"),
    ("محمود", "باقری", "یوسف", "male", 1972, 5, "city_council", "0808", "online", True,
     ("id_card", "birth_certificate", "photo", "degree"), ""),
    ("سید احمد", "طباطبایی", "سید محمود", "male", 1958, 8, "assembly_of_experts", "2321",
     "walk_in", True, ("id_card", "birth_certificate", "photo", "ijtihad"), ""),
    ("محمدحسن", "نوری", "عبدالله", "male", 1962, 8, "assembly_of_experts", "2321", "online",
     False, ("id_card", "photo"), ""),
]


# Someone pre-registered this person online; the person then registered at the Gharchak
# office, which cancels the pre-registration and texts its registrant (user review F10):
# (first name, last name, father, gender, birth year, education).
SUPERSEDED = ("امیر", "نادری", "حسین", "male", 1983, 6)


@dataclass(frozen=True)
class DemoCandidates:
    constituencies: services.LoadResult
    created: int

    def __str__(self) -> str:
        return f"constituencies {self.constituencies}; {self.created} candidates created"


def _national_id(index: int) -> str:
    return with_check_digit(f"{470_000_100 + index * 7_919:09d}")


def _constituency(contest: Contest, county: AdminUnit) -> Constituency | None:
    if contest.kind == ContestKind.ASSEMBLY_OF_EXPERTS:
        return contest.constituencies.first()
    kinds = ([ConstituencyKind.CITY] if contest.kind == ContestKind.CITY_COUNCIL
             else [ConstituencyKind.VILLAGE, ConstituencyKind.RURAL_DISTRICT])
    # The county's main city (its namesake) first; else the most populous.
    qs = contest.constituencies.filter(kind__in=kinds, unit_path__startswith=county.path)
    return (qs.filter(unit__name_key=county.name_key).first()
            or qs.order_by("-population", "code").first())


def _staff(county: AdminUnit) -> Membership | None:
    return (Membership.objects.filter(unit=county, role=Role.GOVERNOR, active=True)
            .select_related("user").first())


def seed_demo_candidates(election: Election) -> DemoCandidates:
    loaded = services.constituencies_load(election=election)
    opens, closes = registration_window(election)
    if opens is None or closes is None:
        return DemoCandidates(loaded, 0)
    created = 0
    contests = {c.kind: c for c in election.contests.all()}
    for index, person in enumerate(PEOPLE):
        (first, last, father, gender, year, education, kind, county_code, channel, confirmed,
         uploaded, rejected) = person
        national_id = _national_id(index)
        if Candidacy.objects.filter(election=election, national_id=national_id).exists():
            continue
        contest = contests.get(kind)
        county = AdminUnit.objects.filter(kind=Kind.COUNTY, code=county_code).first()
        if contest is None or county is None:
            continue
        constituency = _constituency(contest, county)
        if constituency is None:
            continue
        membership = _staff(county)
        staff = membership.user if membership else None
        # Each contest registers in its own window (the by-election's may differ).
        opens, closes = registration_window(election, contest)
        if opens is None or closes is None:
            continue
        start = timezone.make_aware(datetime.datetime.combine(opens, datetime.time(9, 0)))
        at = min(start + datetime.timedelta(hours=7 * index),
                 timezone.make_aware(datetime.datetime.combine(closes, datetime.time(12, 0))))
        with transaction.atomic():
            candidacy = services.candidacy_register(
                actor=staff if channel == Channel.WALK_IN else None, contest=contest,
                constituency=constituency, county=county, channel=channel, now=at,
                mobile_confirmed_at=at if channel == Channel.ONLINE else None,
                person=services.PersonData(
                    national_id=national_id, first_name=first, last_name=last,
                    father_name=father, gender=gender,
                    birth_date=datetime.date(year, 3 + index % 9, 1 + index),
                    education=education, residence_years=5 + index,
                    mobile=f"0912{5550000 + index:07d}", occupation="", address=""))
            types = {t.code: t for t in DocumentType.objects.filter(contest_kind=kind)}
            for code in uploaded:
                data = PNG if types[code].is_photo else PDF
                document = services.document_upload(
                    actor=staff if channel == Channel.WALK_IN else None, candidacy=candidacy,
                    document_type=types[code], checked=check_bytes(data, f"{code}.pdf"))
                if code == rejected and staff is not None:
                    services.document_reject(actor=staff, document=document,
                                             reason="تصویر ناخوانا است؛ دوباره بارگذاری شود.")
            if confirmed and channel == Channel.ONLINE and staff is not None:
                services.candidacy_confirm(actor=staff, candidacy=candidacy)
            created += 1
    created += _superseded(election, contests.get(ContestKind.CITY_COUNCIL))
    return DemoCandidates(loaded, created)


def _superseded(election: Election, contest: Contest | None) -> int:
    """The online pre-registration cancelled by the person's own walk-in registration."""
    national_id = _national_id(len(PEOPLE))
    county = AdminUnit.objects.filter(kind=Kind.COUNTY, code=PEOPLE[0][7]).first()
    if contest is None or county is None or Candidacy.objects.filter(
            election=election, national_id=national_id).exists():
        return 0
    constituency = _constituency(contest, county)
    membership = _staff(county)
    opens, closes = registration_window(election, contest)
    if constituency is None or membership is None or opens is None or closes is None:
        return 0
    first, last, father, gender, year, education = SUPERSEDED
    at = timezone.make_aware(datetime.datetime.combine(closes, datetime.time(8, 0)))
    for channel, actor, mobile, moment in (
            (Channel.ONLINE, None, "09125559990", at),
            (Channel.WALK_IN, membership.user, "09125559991",
             at + datetime.timedelta(hours=2))):
        services.candidacy_register(
            actor=actor, contest=contest, constituency=constituency, county=county,
            channel=channel, now=moment,
            mobile_confirmed_at=moment if channel == Channel.ONLINE else None,
            person=services.PersonData(
                national_id=national_id, first_name=first, last_name=last,
                father_name=father, gender=gender, birth_date=datetime.date(year, 6, 1),
                education=education, residence_years=12, mobile=mobile))
    return 1


DEMO_STATES = (State.PRE_REGISTERED, State.REGISTERED, State.CANCELLED)
