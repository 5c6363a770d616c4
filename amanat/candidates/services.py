"""Writes of the candidates app: constituencies and seats, registration, the dossier.

Every write is one transaction with its audit entry. A refused registration stores
nothing; the refusals that matter (outside the window, a second candidacy, an
eligibility rule that bars registration) are recorded as ``candidates.register.refused``
events in a transaction of their own.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.audit.services import audit_record
from amanat.candidates import law, selectors
from amanat.candidates.files import CheckedFile
from amanat.candidates.models import (
    LIVE,
    LIVE_STATES,
    Candidacy,
    Channel,
    Declaration,
    DeclarationCode,
    DeclaredRelative,
    Document,
    DocumentStatus,
    DocumentType,
    MobileCode,
    Relation,
    SeatBand,
    State,
)
from amanat.core import notify
from amanat.core.errors import ALL, Digits, RuleError
from amanat.core.identity import mask_national_id, mobile_checked, national_id_checked
from amanat.core.models import in_language
from amanat.core.templatetags.persian import list_separator
from amanat.elections.models import Contest, ContestKind, Election
from amanat.geo.models import AdminUnit, Constituency, ConstituencyKind, Kind
from amanat.lib.persian import normalize, search_key, to_ascii_digits, to_persian_digits

# --- constituencies ------------------------------------------------------------------------

COUNCIL_KINDS = {ContestKind.CITY_COUNCIL: (ConstituencyKind.CITY,),
                 ContestKind.VILLAGE_COUNCIL: (ConstituencyKind.VILLAGE,
                                               ConstituencyKind.RURAL_DISTRICT)}
CODE_PREFIX: dict[str, str] = {ConstituencyKind.CITY: "CT-", ConstituencyKind.VILLAGE: "VL-",
               ConstituencyKind.RURAL_DISTRICT: "RD-", ConstituencyKind.PROVINCE: "AE-"}
NAME_PREFIX: dict[str, str] = {ConstituencyKind.CITY: "شهر", ConstituencyKind.VILLAGE: "روستای",
               ConstituencyKind.RURAL_DISTRICT: "دهستان"}


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


def _council_units(scope: AdminUnit | None) -> list[tuple[ConstituencyKind, AdminUnit]]:
    """Cities; villages whose population is known; rural districts for the rest."""
    units = AdminUnit.objects.all() if scope is None else AdminUnit.objects.within(scope)
    cities = units.filter(kind=Kind.CITY)
    villages = units.filter(kind=Kind.VILLAGE, population__isnull=False)
    rurals = units.filter(kind=Kind.RURAL_DISTRICT)
    return ([(ConstituencyKind.CITY, u) for u in cities]
            + [(ConstituencyKind.VILLAGE, u) for u in villages]
            + [(ConstituencyKind.RURAL_DISTRICT, u) for u in rurals])


def constituencies_load(*, election: Election, scope: AdminUnit | None = None,
                        actor: AnyUser | None = None) -> LoadResult:
    """Council constituencies from the geography, seats by the law's population bands,
    attached to the election's council contests; the Assembly of Experts' province
    constituencies get their seat too. Seats an administrator set by hand are kept.

    A city is one constituency and so is a village whose population the geography knows
    (GeoNames lists places of 500 people or more); the villages of a rural district
    without a known population stand together as the rural district.
    """
    with transaction.atomic():
        law.law_seed()
        bands = list(SeatBand.objects.all())
        provinces = list(AdminUnit.objects.filter(kind=Kind.PROVINCE))
        existing = {(c.kind, c.unit_id): c for c in Constituency.objects.filter(
            unit__isnull=False)}
        created = updated = unchanged = 0
        new: list[Constituency] = []
        changed: list[Constituency] = []
        for kind, unit in _council_units(scope):
            band = law.seats_for(bands, kind, unit.population, unit.pk)
            seats = band.seats if band else 0
            reserve = band.reserve_seats if band else 0
            current = existing.get((kind, unit.pk))
            if current is None:
                province = next(p for p in provinces if unit.path.startswith(p.path))
                new.append(Constituency(
                    code=f"{CODE_PREFIX[kind]}{unit.code}", name=f"{NAME_PREFIX[kind]} {unit.name}",
                    kind=kind, province=province, unit=unit, unit_path=unit.path, seats=seats,
                    reserve_seats=reserve, population=unit.population))
            elif not current.seats_edited and (current.seats, current.reserve_seats,
                                                current.population) != (
                    seats, reserve, unit.population):
                current.seats, current.reserve_seats = seats, reserve
                current.population = unit.population
                changed.append(current)
            else:
                unchanged += 1
        Constituency.objects.bulk_create(new, batch_size=2000)
        Constituency.objects.bulk_update(changed, ["seats", "reserve_seats", "population"],
                                         batch_size=2000)
        created, updated = len(new), len(changed)
        _attach_to_contests(election, scope)
        audit_record(action="candidates.constituencies.load", actor=signed_in(actor),
                     actor_name=None if signed_in(actor) else "command", unit=scope,
                     object_type="geo.constituency", object_id="*",
                     extra={"election": election.slug, "created": created,
                            "updated": updated})
    return LoadResult(created, updated, unchanged)


def _attach_to_contests(election: Election, scope: AdminUnit | None) -> None:
    through = Contest.constituencies.through
    for contest in election.contests.all():
        kinds = COUNCIL_KINDS.get(ContestKind(contest.kind)) if contest.kind in COUNCIL_KINDS \
            else None
        if contest.kind == ContestKind.ASSEMBLY_OF_EXPERTS:
            _province_seats(contest)
            continue
        if kinds is None:
            continue
        wanted = Constituency.objects.filter(kind__in=kinds)
        if scope is not None:
            wanted = wanted.filter(unit_path__startswith=scope.path)
        have = set(through.objects.filter(contest=contest).values_list("constituency_id",
                                                                         flat=True))
        through.objects.bulk_create(
            [through(contest_id=contest.pk, constituency_id=pk)
             for pk in wanted.values_list("pk", flat=True) if pk not in have],
            batch_size=2000)


def _province_seats(contest: Contest) -> None:
    """A by-election's constituency is the province: mark it so, one seat by default."""
    for constituency in contest.constituencies.filter(unit__isnull=True):
        constituency.kind = ConstituencyKind.PROVINCE
        constituency.unit = constituency.province
        constituency.unit_path = constituency.province.path
        if not constituency.seats_edited:
            constituency.seats = constituency.seats or 1
        constituency.save(update_fields=["kind", "unit", "unit_path", "seats"])


CONSTITUENCY_FIELDS = ("name", "seats", "reserve_seats", "population")


def constituency_update(*, actor: AnyUser, constituency: Constituency,
                        changes: Mapping[str, Any]) -> Constituency:
    """A national administrator's correction; the seats are then kept by the loader."""
    unknown = set(changes) - set(CONSTITUENCY_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    with transaction.atomic():
        fresh = Constituency.objects.select_for_update().get(pk=constituency.pk)
        before = {k: getattr(fresh, k) for k in changes if getattr(fresh, k) != changes[k]}
        if not before:
            return fresh
        for key, value in changes.items():
            setattr(fresh, key, value)
        if {"seats", "reserve_seats"} & set(before):
            fresh.seats_edited = True
        fresh.save()
        audit_record(action="candidates.constituency.update", actor=actor, unit=fresh.unit,
                     obj=fresh, before=before, after={k: changes[k] for k in before})
    return fresh


# --- checks of what people type: core.identity (national_id_checked, mobile_checked) -------

# --- the registration window -----------------------------------------------------------------


def window_check(election: Election, *, contest: Contest | None = None,
                 now: datetime.datetime | None = None) -> None:
    """Refuse unless ``now`` falls in the registration window of ``contest`` (its own, or
    the election's; both days whole, Iran time). The message gives the window's Jalali
    dates."""
    opens, closes = selectors.registration_window(election, contest)
    today = timezone.localdate(now or timezone.now())
    if opens is None or closes is None:
        raise RuleError(_("The calendar of %(election)s has no candidate registration "
                          "window."), code="no_window", election=election.name)
    if today < opens:
        raise RuleError(_("Registration of candidates opens on %(opens)s and closes at the "
                          "end of %(closes)s; it is not open yet."), code="window_not_open",
                        opens=opens, closes=closes)
    if today > closes:
        raise RuleError(_("Registration of candidates was open from %(opens)s to the end of "
                          "%(closes)s; it is closed."), code="window_closed",
                        opens=opens, closes=closes)


# --- one-time codes for the mobile number ------------------------------------------------------

CODE_LIFETIME = datetime.timedelta(minutes=10)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 5
# Codes asked for from one connection (the client's address, an IPv6 /64) in an hour: a
# county office or a family behind one address registers several people, a script
# texting strangers many more. Counted on the codes themselves, like the per-number limit.
CODES_PER_ADDRESS_PER_HOUR = 20


def _code_hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def _client_key(address: str) -> str:
    """A keyed hash of the client's address (as ``core.ratelimit.client_key``): the
    codes table never holds a readable IP address."""
    if not address:
        return ""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"codes:{address}".encode(),
                      hashlib.sha256)
    return digest.hexdigest()[:40]


def mobile_code_send(*, national_id: str, mobile: str, client_address: str = "",
                     now: datetime.datetime | None = None) -> MobileCode:
    """Make a six-digit code and text it to ``mobile``: a few per hour per number, and a
    limited number per hour per client address (``core.clientaddr.client_limit_address``)."""
    now = now or timezone.now()
    client = _client_key(client_address)
    hour_ago = now - datetime.timedelta(hours=1)
    with transaction.atomic():
        if client and MobileCode.objects.filter(
                client_key=client, created_at__gte=hour_ago).count() \
                >= CODES_PER_ADDRESS_PER_HOUR:
            raise RuleError(_("Too many confirmation codes were asked for from your "
                              "connection (at most %(limit)s an hour); try again in an hour."),
                            code="address_limit", limit=CODES_PER_ADDRESS_PER_HOUR)
        recent = MobileCode.objects.filter(mobile=mobile, created_at__gte=hour_ago)
        if recent.count() >= CODES_PER_HOUR:
            raise RuleError(_("Too many codes were sent to this number; try again in an "
                              "hour."), code="codes_limit", field="mobile")
        code = f"{secrets.randbelow(10**6):06d}"
        row = MobileCode.objects.create(national_id=national_id, mobile=mobile,
                                        code_hash=_code_hash(code), created_at=now,
                                        expires_at=now + CODE_LIFETIME, client_key=client)
        with translation.override("fa"):
            text = gettext("Amanat candidate registration code: %(code)s") % {"code": code}
        notify.sms_send(to=mobile, text=text, purpose="candidates.mobile_code", sensitive=True)
    return row


def mobile_code_verify(*, code_id: int, national_id: str, mobile: str, code: str,
                       now: datetime.datetime | None = None) -> MobileCode:
    """The code row once ``code`` matches; each wrong try counts, a few end the code."""
    now = now or timezone.now()
    with transaction.atomic():
        row = MobileCode.objects.select_for_update().filter(
            pk=code_id, national_id=national_id, mobile=mobile).first()
        if row is None or row.used_at is not None or row.expires_at < now \
                or row.attempts >= CODE_ATTEMPTS:
            raise RuleError(_("The code has expired; ask for a new one."), code="code_expired",
                            field="code")
        matches = hmac.compare_digest(row.code_hash,
                                      _code_hash(to_ascii_digits(code.strip())))
        if not matches:
            # Counted (and committed) before the refusal: a few wrong tries end the code.
            row.attempts += 1
            row.save(update_fields=["attempts"])
    if not matches:
        raise RuleError(_("The code is not the one we sent."), code="code_wrong", field="code")
    return row


# --- registration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PersonData:
    national_id: str
    first_name: str
    last_name: str
    father_name: str
    gender: str
    birth_date: datetime.date
    education: int
    residence_years: int
    mobile: str
    occupation: str = ""
    address: str = ""
    holds_listed_office: bool = False
    resigned_on: datetime.date | None = None


def _refused(*, actor: AnyUser | None, election: Election, unit: AdminUnit | None,
             error: RuleError, national_id: str, channel: str) -> None:
    """Record a refused registration that matters, in a transaction of its own."""
    with transaction.atomic():
        audit_record(action="candidates.register.refused", actor=signed_in(actor),
                     actor_name=None if signed_in(actor) else "public", unit=unit,
                     object_type="candidates.candidacy", object_id="-",
                     extra={"code": error.code, "election": election.slug, "channel": channel,
                            "national_id": "******" + national_id[-4:]})


def county_of(constituency: Constituency, county: AdminUnit | None) -> AdminUnit:
    """The county office a candidacy registers with: the county the constituency lies in,
    or for a province-wide constituency the county chosen in that province."""
    if constituency.unit is not None and constituency.unit.kind not in (Kind.PROVINCE,
                                                                        Kind.COUNTRY):
        found = AdminUnit.objects.filter(kind=Kind.COUNTY, path__in=[
            constituency.unit_path[:i + 1] for i, ch in enumerate(constituency.unit_path)
            if ch == "/"]).first()
        if found is not None:
            return found
    if county is None or county.kind != Kind.COUNTY or not county.path.startswith(
            constituency.province.path):
        raise RuleError(_("Choose the county office in %(province)s where you register."),
                        code="county", field="county", province=constituency.province.name)
    return county


def _new_reference() -> str:
    return "".join(str(secrets.randbelow(10)) for _i in range(10))


def candidacy_register(*, actor: AnyUser | None, contest: Contest, constituency: Constituency,
                       person: PersonData, channel: str, county: AdminUnit | None = None,
                       mobile_confirmed_at: datetime.datetime | None = None,
                       mobile_code: MobileCode | None = None,
                       now: datetime.datetime | None = None) -> Candidacy:
    """Register a candidacy (online: pre-registered; at the office: registered).

    ``mobile_code`` (online: the verified code) is spent in the registration's own
    transaction: registered and spent together, or neither (one commit, not two).

    Refused, with nothing stored: outside the registration window, a national ID with a
    wrong check digit, a constituency not in the contest, an eligibility rule that bars
    registration (age), a second live candidacy of the same person in the election (also
    a database constraint, for two registrations racing).
    """
    now = now or timezone.now()
    election = contest.election
    national_id = national_id_checked(person.national_id)
    mobile = mobile_checked(person.mobile)
    if not contest.constituencies.filter(pk=constituency.pk).exists():
        raise RuleError(_("%(constituency)s is not a constituency of %(contest)s."),
                        code="constituency", field="constituency",
                        constituency=constituency.name, contest=contest.name)
    office = county_of(constituency, county)
    try:
        window_check(election, contest=contest, now=now)
        _eligibility_bars(contest, constituency, person)
        return _register(actor=actor, contest=contest, constituency=constituency,
                         office=office, person=person, national_id=national_id,
                         mobile=mobile, channel=channel,
                         mobile_confirmed_at=mobile_confirmed_at, mobile_code=mobile_code,
                         now=now)
    except RuleError as error:
        _refused(actor=actor, election=election, unit=office, error=error,
                 national_id=national_id, channel=channel)
        raise


def _eligibility_bars(contest: Contest, constituency: Constituency,
                      person: PersonData) -> None:
    opens, _closes = selectors.registration_window(contest.election, contest)
    rules = [r for r in selectors.rules_for(contest.kind, constituency.population)
             if r.blocks_registration]
    results = law.evaluate(rules, _person(person), election_day=contest.election.election_day,
                           registration_opens=opens)
    for result in results:
        if result.verdict == law.Verdict.NOT_MET:
            # Next to the answer the rule reads (law.READS), whatever the rule; the whole
            # form when it reads none.
            raise RuleError(_("Registration refused: %(rule)s (%(reference)s)."),
                            code="ineligible", field=result.field or ALL,
                            rule=_in_language(result.rule.name_fa, result.rule.name_en),
                            reference=result.rule.legal_reference)


# A row's name in the language of whoever reads the message.
_in_language = lazy(in_language, str)
# A list of names in the reader's language, joined as that language joins a list.
_listed = lazy(lambda items: list_separator().join(str(i) for i in items), str)


def _person(person: PersonData) -> law.Person:
    return law.Person(birth_date=person.birth_date, education=person.education,
                      residence_years=person.residence_years,
                      holds_listed_office=person.holds_listed_office,
                      resigned_on=person.resigned_on)


def _duplicate(election: Election, national_id: str) -> RuleError:
    return RuleError(_("National ID %(value)s is already registered as a candidate in this "
                       "election; the law allows one candidacy per person, in one "
                       "constituency."), code="second_candidacy", field="national_id",
                     value=Digits(national_id))


def _register(*, actor: AnyUser | None, contest: Contest, constituency: Constituency,
              office: AdminUnit, person: PersonData, national_id: str, mobile: str,
              channel: str, mobile_confirmed_at: datetime.datetime | None,
              mobile_code: MobileCode | None, now: datetime.datetime) -> Candidacy:
    election = contest.election
    # The live candidacies (LIVE_STATES: every state but cancelled), written as the
    # condition of the unique index "one per person per election" so the database reads
    # that index: with ``state IN (...)`` SQLite read every candidacy of the election.
    live = Candidacy.objects.filter(LIVE, election=election, national_id=national_id)
    # An online pre-registration proves only that someone holds *a* mobile number, not
    # that they are the person of the national ID: anyone could pre-register another
    # person's ID and so bar that person from standing. The person registering at the
    # office, seen with their card, replaces an unconfirmed online pre-registration.
    supersede = channel == Channel.WALK_IN and live.exists() and not live.exclude(
        state=State.PRE_REGISTERED, channel=Channel.ONLINE).exists()
    if live.exists() and not supersede:
        raise _duplicate(election, national_id)
    user = signed_in(actor)
    first, last = normalize(person.first_name), normalize(person.last_name)
    try:
        with transaction.atomic():
            if supersede:
                _supersede(actor=actor, live=live, office=office, now=now)
            reference = _new_reference()
            while Candidacy.objects.filter(reference=reference).exists():
                reference = _new_reference()
            candidacy = Candidacy.objects.create(
                reference=reference, election=election, contest=contest,
                constituency=constituency, county=office, unit_path=office.path,
                state=State.PRE_REGISTERED if channel == Channel.ONLINE else State.REGISTERED,
                channel=channel, national_id=national_id, first_name=first, last_name=last,
                father_name=normalize(person.father_name), gender=person.gender,
                birth_date=person.birth_date, education=person.education,
                occupation=person.occupation, residence_years=person.residence_years,
                address=person.address, mobile=mobile, mobile_confirmed_at=mobile_confirmed_at,
                search_text=search_key(f"{first} {last} {national_id} {reference}"),
                created_at=now, created_by=user,
                confirmed_at=now if channel == Channel.WALK_IN else None,
                confirmed_by=user if channel == Channel.WALK_IN else None,
            )
            Declaration.objects.create(candidacy=candidacy,
                                       code=DeclarationCode.HOLDS_LISTED_OFFICE,
                                       value=person.holds_listed_office, declared_at=now)
            if person.holds_listed_office:
                Declaration.objects.create(candidacy=candidacy, code=DeclarationCode.RESIGNED,
                                           value=person.resigned_on is not None,
                                           date=person.resigned_on, declared_at=now)
            Declaration.objects.create(candidacy=candidacy, code=DeclarationCode.TRUTHFUL,
                                       value=True, declared_at=now)
            audit_record(action="candidates.candidacy.register", actor=user,
                         actor_name=None if user else "public", unit=office, obj=candidacy,
                         after={"state": candidacy.state, "channel": channel,
                                "contest": contest.pk, "constituency": constituency.code})
            if mobile_code is not None and not MobileCode.objects.filter(
                    pk=mobile_code.pk, used_at__isnull=True).update(used_at=now):
                # Spent meanwhile by another request with the same code: nothing stored.
                raise RuleError(_("The code has expired; ask for a new one."),
                                code="code_expired", field="code")
    except IntegrityError as error:
        # Two registrations of one person racing: the constraint decides.
        if "one_per_person" in str(error) or "UNIQUE" in str(error).upper():
            raise _duplicate(election, national_id) from error
        raise
    return candidacy


def _supersede(*, actor: AnyUser | None, live: Any, office: AdminUnit,
               now: datetime.datetime) -> None:
    """Cancel the unconfirmed online pre-registrations of the person now registering in
    person (inside the registration's transaction); refused if one was confirmed
    meanwhile. Whoever pre-registered online is told by SMS at the number they confirmed
    (user review F10): if it was not the person, they learn why their pre-registration
    went; the message leaves only if the walk-in registration commits."""
    for old in live.select_for_update().select_related("county", "contest"):
        if (old.state, old.channel) != (State.PRE_REGISTERED, Channel.ONLINE):
            raise _duplicate(old.election, old.national_id)
        old.state = State.CANCELLED
        old.save(update_fields=["state", "updated_at"])
        audit_record(action="candidates.candidacy.supersede", actor=signed_in(actor),
                     unit=old.county, obj=old,
                     before={"state": State.PRE_REGISTERED},
                     after={"state": State.CANCELLED, "reason": "walk_in_registration"},
                     extra={"notified": bool(old.mobile)})
        if old.mobile:
            with translation.override("fa"):
                text = gettext(
                    "Amanat: your online pre-registration %(ref)s as a candidate "
                    "(%(contest)s) was cancelled: the same national ID was registered in "
                    "person at the county office of %(office)s, and a person stands only "
                    "once. If that was not you, contact that office.") % {
                    "ref": to_persian_digits(old.reference), "contest": old.contest.name,
                    "office": office.name}
            notify.sms_send(to=old.mobile, text=text,
                            purpose="candidates.pre_registration_cancelled")


def candidacy_confirm(*, actor: AnyUser, candidacy: Candidacy) -> Candidacy:
    """County staff confirm an online pre-registration after seeing the person and the
    papers: refused while a required document of the dossier is missing or rejected (the
    office receives it on the dossier first, then confirms). A registration is complete
    only with its required documents; there is no "confirm anyway"."""
    with transaction.atomic():
        fresh = Candidacy.objects.select_for_update().select_related("contest").get(
            pk=candidacy.pk)
        if fresh.state != State.PRE_REGISTERED:
            raise RuleError(_("Only a pre-registration can be confirmed; this candidacy is "
                              "%(state)s."), code="state", state=fresh.get_state_display())
        missing = selectors.missing_required_documents(fresh)
        if missing:
            raise RuleError(_("The registration cannot be confirmed while required documents "
                              "are missing or rejected: %(documents)s. Receive them on the "
                              "dossier, then confirm."), code="documents_missing",
                            documents=_listed([_in_language(t.name_fa, t.name_en)
                                               for t in missing]))
        fresh.state = State.REGISTERED
        fresh.confirmed_at = timezone.now()
        fresh.confirmed_by = signed_in(actor)
        fresh.save(update_fields=["state", "confirmed_at", "confirmed_by", "updated_at"])
        audit_record(action="candidates.candidacy.confirm", actor=actor, unit=fresh.county,
                     obj=fresh, before={"state": State.PRE_REGISTERED},
                     after={"state": State.REGISTERED})
    return fresh


# --- documents --------------------------------------------------------------------------------


PUBLIC_UPLOADS_PER_TYPE = 3


def document_upload(*, actor: AnyUser | None, candidacy: Candidacy,
                    document_type: DocumentType, checked: CheckedFile) -> Document:
    """Store a dossier file (checked types only) as received."""
    if actor is None:
        # The candidate online sends documents only while registration is open; after it,
        # county staff receive them (the same window as the registration itself).
        window_check(candidacy.election, contest=candidacy.contest)
    if document_type.contest_kind != candidacy.contest.kind:
        raise RuleError(_("%(type)s is not a document of this contest."), code="document_type",
                        field="document_type", type=document_type.name_en)
    if checked.ext not in document_type.allowed_types:
        allowed = ", ".join(t.upper() for t in document_type.allowed_types)
        raise RuleError(_("“%(name)s” is a %(found)s file; %(type)s must be %(allowed)s."),
                        code="file_type", field="file", name=checked.original_name,
                        found=checked.ext.upper(), type=document_type.name_en, allowed=allowed)
    if candidacy.state not in LIVE_STATES or candidacy.state == State.WITHDRAWN:
        raise RuleError(_("This candidacy takes no more documents."), code="state")
    user = signed_in(actor)
    if user is None and Document.objects.filter(
            candidacy=candidacy, document_type=document_type,
            uploaded_by__isnull=True).count() >= PUBLIC_UPLOADS_PER_TYPE:
        # Every upload is kept (the dossier's history): without a limit one registration
        # code let anyone fill the disk with 5 MB files, signed out.
        raise RuleError(_("%(type)s has been sent %(count)s times online; bring any "
                          "correction to the county office."), code="upload_limit",
                        field="file", type=document_type.name_en,
                        count=PUBLIC_UPLOADS_PER_TYPE)
    with transaction.atomic():
        document = Document(
            candidacy=candidacy, document_type=document_type, status=DocumentStatus.RECEIVED,
            original_name=checked.original_name, content_type=checked.content_type,
            size=len(checked.data), sha256=hashlib.sha256(checked.data).hexdigest(),
            uploaded_by=user)
        document.file.save(f"{uuid.uuid4().hex}.{checked.ext}", ContentFile(checked.data),
                           save=False)
        document.save()
        audit_record(action="candidates.document.upload", actor=user,
                     actor_name=None if user else "public", unit=candidacy.county,
                     obj=document, after={"type": document_type.code, "size": document.size,
                                          "sha256": document.sha256},
                     extra={"candidacy": candidacy.reference})
    return document


def document_reject(*, actor: AnyUser, document: Document, reason: str) -> Document:
    reason = reason.strip()
    if not reason:
        raise RuleError(_("Give the reason the document is rejected."), code="reason",
                        field="reason")
    with transaction.atomic():
        fresh = Document.objects.select_for_update().get(pk=document.pk)
        if fresh.status == DocumentStatus.REJECTED:
            raise RuleError(_("The document is already rejected."), code="state")
        fresh.status = DocumentStatus.REJECTED
        fresh.rejection_reason = reason
        fresh.reviewed_at = timezone.now()
        fresh.reviewed_by = signed_in(actor)
        fresh.save(update_fields=["status", "rejection_reason", "reviewed_at", "reviewed_by"])
        audit_record(action="candidates.document.reject", actor=actor,
                     unit=fresh.candidacy.county, obj=fresh,
                     before={"status": DocumentStatus.RECEIVED},
                     after={"status": DocumentStatus.REJECTED, "reason": reason})
    return fresh


def document_download_record(*, actor: AnyUser, document: Document) -> None:
    with transaction.atomic():
        audit_record(action="candidates.document.download", actor=actor,
                     unit=document.candidacy.county, obj=document,
                     extra={"candidacy": document.candidacy.reference})


# --- declared relatives ----------------------------------------------------------------------

MAX_RELATIVE_NAME = 100


def relative_declare(*, actor: AnyUser, candidacy: Candidacy, relation: str, national_id: str,
                     first_name: str, last_name: str) -> DeclaredRelative:
    """Record a relative the candidate declares, at the county office (audited, the
    national ID masked in the log). These rows are what the staffing conflict rule
    ``relative`` and the boards' "no one decides a relative's case" read."""
    if relation not in Relation.values:
        raise RuleError(_("Choose the relation."), code="relation", field="relation")
    nid = national_id_checked(national_id)
    names = {}
    for name, value in (("first_name", first_name), ("last_name", last_name)):
        text = normalize(value or "").strip()
        if not text:
            raise RuleError(_("This field is required."), code="required", field=name)
        if len(text) > MAX_RELATIVE_NAME:
            raise RuleError(_("The name is longer than %(limit)s characters."),
                            code="too_long", field=name, limit=MAX_RELATIVE_NAME)
        names[name] = text
    with transaction.atomic():
        candidacy = Candidacy.objects.select_for_update().select_related("county").get(
            pk=candidacy.pk)
        if candidacy.state not in LIVE_STATES or candidacy.state == State.WITHDRAWN:
            raise RuleError(_("This candidacy takes no more declarations."), code="state")
        if nid == candidacy.national_id:
            raise RuleError(_("The candidate cannot be declared as their own relative."),
                            code="self", field="national_id")
        if DeclaredRelative.objects.filter(candidacy=candidacy, national_id=nid).exists():
            raise RuleError(_("%(value)s is already declared as a relative of this "
                              "candidate."), code="relative_exists", field="national_id",
                            value=Digits(nid))
        relative = DeclaredRelative.objects.create(candidacy=candidacy, relation=relation,
                                                   national_id=nid, **names)
        audit_record(action="candidates.relative.declare", actor=actor, unit=candidacy.county,
                     obj=relative, after={"candidacy": candidacy.reference,
                                          "relation": relation,
                                          "national_id": mask_national_id(nid)})
    return relative


# --- boards ----------------------------------------------------------------------------------


def board_seat_check(*, board: Any, national_id: str, **_kwargs: Any) -> None:
    """boards.services.member_seat_check's receiver: a candidate of the board's election
    (any live candidacy) cannot sit on one of its boards, which review candidates."""
    candidacy = (Candidacy.objects.filter(LIVE, election_id=board.election_id,
                                          national_id=national_id)
                 .select_related("contest").first())
    if candidacy is not None:
        raise RuleError(_("%(value)s is a candidate in this election (%(contest)s); a "
                          "candidate cannot sit on an election board."),
                        code="candidate_on_board", field="national_id",
                        value=Digits(national_id), contest=candidacy.contest.name)
