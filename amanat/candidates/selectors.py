"""Reads of the candidates app: scope, the list, the dossier, the registration window.

Scope: a candidacy is reached through the path of the county office it registered with
(``unit_path``), so a Kerman officer's every query carries a prefix that no Gharchak
candidacy matches. Out of scope is 404.
"""

from __future__ import annotations

import datetime
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from amanat.accounts import policy
from amanat.accounts.access import (
    AnyUser,
    can,
    get_national_object_for_user,
    get_object_for_user,
    scope_paths,
    scope_queryset,
)
from amanat.candidates import law, search
from amanat.candidates.models import (
    Candidacy,
    Channel,
    Document,
    DocumentStatus,
    DocumentType,
    EligibilityRule,
    State,
)
from amanat.core.collation import persian
from amanat.elections.models import Contest, Election, Milestone, MilestoneCode
from amanat.geo.models import AdminUnit, Constituency, Kind
from amanat.geo.paths import under
from amanat.lib.persian import search_key

CANDIDACY = "candidates.candidacy"
DOCUMENT = "candidates.document"
CONSTITUENCY = "geo.constituency"


_WINDOW_CODES = (MilestoneCode.REGISTRATION_OPENS, MilestoneCode.REGISTRATION_CLOSES)


def _window(contest: Contest | None, dues: dict[str, datetime.date]
            ) -> tuple[datetime.date | None, datetime.date | None]:
    ends = []
    for code, own in zip(_WINDOW_CODES, (contest.registration_opens, contest.registration_closes)
                         if contest is not None else (None, None), strict=True):
        kind = dues.get(f"{code}__{contest.kind}") if contest is not None else None
        ends.append(own or kind or dues.get(code))
    return ends[0], ends[1]


def _window_dues(election: Election, contests: Collection[Contest]) -> dict[str, datetime.date]:
    codes = list(_WINDOW_CODES) + [f"{code}__{kind}" for code in _WINDOW_CODES
                                   for kind in sorted({c.kind for c in contests})]
    return dict(Milestone.objects.filter(election=election, code__in=codes)
                .values_list("code", "due"))


def registration_window(election: Election, contest: Contest | None = None
                        ) -> tuple[datetime.date | None, datetime.date | None]:
    """The first and last day of candidate registration.

    With ``contest``: that contest's own window. Each end is, in this order, the date set
    on the contest itself (``Contest.registration_opens`` / ``registration_closes``: a
    by-election, a constituency's race set apart), the calendar's milestone for its kind
    of contest (``<code>__<contest kind>``, as the review's dates do), or the election's
    milestone. So two contests of one election can register in different windows.
    """
    if contest is not None and contest.registration_opens and contest.registration_closes:
        return contest.registration_opens, contest.registration_closes  # no calendar read
    return _window(contest, _window_dues(election, [contest] if contest is not None else []))


def registration_windows(election: Election, contests: Collection[Contest]
                         ) -> list[tuple[Contest, datetime.date | None, datetime.date | None]]:
    """Each contest's window (as ``registration_window``), the calendar read once."""
    dues = _window_dues(election, contests)
    return [(contest, *_window(contest, dues)) for contest in contests]


def rules_for(contest_kind: str, population: int | None = None) -> list[EligibilityRule]:
    """The active rules of a contest kind for a constituency of ``population``."""
    rules = (EligibilityRule.objects.filter(contest_kind=contest_kind, active=True)
             .select_related("document_type"))
    return [rule for rule in rules if rule.applies_to(population)]


def document_types_for(contest_kind: str) -> list[DocumentType]:
    return list(DocumentType.objects.filter(contest_kind=contest_kind))


# --- scope ----------------------------------------------------------------------------------


def scoped_candidacies(user: AnyUser, action: str = policy.VIEW) -> QuerySet[Candidacy]:
    return scope_queryset(user, Candidacy.objects.all(), action=action, path_field="unit_path",
                          model_label=CANDIDACY)


def get_candidacy_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Candidacy:
    return get_object_for_user(
        user, Candidacy, pk, action=action, path_field="unit_path", model_label=CANDIDACY,
        queryset=Candidacy.objects.select_related("contest", "constituency", "county",
                                                  "election", "created_by", "confirmed_by"))


def get_document_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Document:
    return get_object_for_user(
        user, Document, pk, action=action, path_field="candidacy__unit_path",
        model_label=DOCUMENT,
        queryset=Document.objects.select_related("candidacy__county", "document_type"))


def scoped_counties(user: AnyUser, action: str = policy.VIEW) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by(persian("name"), "pk")
    return scope_queryset(user, units, action=action, path_field="path", model_label=CANDIDACY)


def get_county_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> AdminUnit:
    county: AdminUnit = get_object_for_user(
        user, AdminUnit, pk, action=action, path_field="path", model_label=CANDIDACY,
        queryset=AdminUnit.objects.filter(kind=Kind.COUNTY))
    return county


# The cases of the incidents app (a layer above; it links a case to a candidate) are
# drawn on the dossier and the review page by incidents' own page, scoped there, for
# whoever may see the candidate and cases at the candidate's county.
CASE = "incidents.case"


def show_cases(user: AnyUser, candidacy: Candidacy) -> bool:
    return can(user, policy.VIEW, CASE, candidacy.county)


# When more rows than this hold the search key, a page is found sooner by walking the
# list's order and testing each row than by sorting every row that holds it.
DENSE_MATCHES = 1000
# The columns the staff list shows (and its links and filters need).
LIST_COLUMNS = ("id", "reference", "first_name", "last_name", "state", "channel",
                "created_at", "constituency__id", "constituency__name", "county__id",
                "county__name")


def candidacy_list(user: AnyUser, *, election: Election, county: AdminUnit | None = None,
                   state: str = "", text: str = "", walk: bool = False
                   ) -> QuerySet[Candidacy]:
    """The staff list: scoped, filtered, with what the rows show in the same query.

    The text filter goes through the trigram index (``search.contains``) when the
    search is national (no county chosen, a national scope): then the rows holding the
    key are found directly instead of testing every candidacy of the election. Within a
    county or a provincial scope the range is read anyway and each row is tested.
    ``walk``: test each row even for a national search (``candidacy_page`` asks for it
    when the key is common).
    """
    qs = scoped_candidacies(user).filter(election=election)
    if county is not None:
        # A range on SQLite (its LIKE never uses an index), LIKE 'prefix%' elsewhere.
        qs = qs.filter(under("unit_path", county.path))
    if state:
        qs = qs.filter(state=state)
    key = search_key(text) if text else ""
    if key and any(ch.isdigit() for ch in key) and not sees_national_ids(user):
        # The key holds digits and the reader sees national IDs masked: a substring of
        # ``search_text`` (which holds the national ID) would give the number away a digit
        # at a time. Such a reader finds a candidate by the whole national ID or by the
        # tracking code only.
        qs = qs.filter(Q(national_id=key) | Q(reference__contains=key))
    elif key:
        indexed = not walk and county is None and _national(user)
        qs = qs.filter(search.contains(key, indexed=indexed))
    return qs.select_related("constituency", "county").order_by("-created_at", "-pk")


PERSONAL_DATA = "candidates.personaldata"


def sees_national_ids(user: AnyUser) -> bool:
    """Whether ``user`` may see national IDs in full (``candidates.personaldata``) wherever
    they see candidacies; a reader who sees them masked anywhere in reach is treated as
    seeing them masked (the list spans their whole reach)."""
    shown = scope_paths(user, PERSONAL_DATA, policy.VIEW)
    return all(any(path.startswith(p) for p in shown)
               for path in scope_paths(user, CANDIDACY, policy.VIEW))


def _national(user: AnyUser) -> bool:
    return any(path.count("/") == 1
               for path in scope_paths(user, CANDIDACY, policy.VIEW))


def candidacy_rows(user: AnyUser, *, election: Election, county: AdminUnit | None = None,
                   state: str = "", text: str = "",
                   columns: tuple[str, ...] | None = LIST_COLUMNS,
                   counties: Collection[int] | None = None,
                   ) -> tuple[int, QuerySet[Candidacy]]:
    """The list's count and the rows to slice a page from (one query each).

    The count goes through the trigram index for a national text search; when it finds
    the key common (more than ``DENSE_MATCHES`` rows), the page is read by walking the
    list's order and testing each row (it stops at the page), else by sorting the rows
    found (few). ``columns``: only these are read (None: all). ``counties``: only these
    (a field device's, ``stations.selectors.token_unit_ids``).
    """
    def rows(walk: bool) -> QuerySet[Candidacy]:
        qs = candidacy_list(user, election=election, county=county, state=state, text=text,
                            walk=walk)
        if counties is not None:
            qs = qs.filter(county_id__in=counties)
        return qs.only(*columns) if columns else qs

    qs = rows(walk=False)
    count = qs.count()
    if text and count > DENSE_MATCHES:
        qs = rows(walk=True)  # the same rows, read another way
    return count, qs


def candidacy_page(user: AnyUser, *, election: Election, number: Any, per_page: int,
                   county: AdminUnit | None = None, state: str = "", text: str = "",
                   columns: tuple[str, ...] | None = LIST_COLUMNS) -> Page:
    """One page of the staff list (``candidacy_rows``): a count and a page, two queries."""
    count, qs = candidacy_rows(user, election=election, county=county, state=state,
                               text=text, columns=columns)
    paginator = Paginator(qs, per_page)
    paginator.__dict__["count"] = count  # known: the Paginator's cached count
    return paginator.get_page(number)


# --- the dossier ----------------------------------------------------------------------------


def document_status(candidacy: Candidacy) -> dict[int, str]:
    """Document type id → status of its latest upload (absent: missing)."""
    latest: dict[int, str] = {}
    for type_id, status in (Document.objects.filter(candidacy=candidacy)
                            .order_by("document_type_id", "-uploaded_at", "-pk")
                            .values_list("document_type_id", "status")):
        latest.setdefault(type_id, status)
    return latest


def missing_required_documents(candidacy: Candidacy) -> list[DocumentType]:
    """The contest's required documents whose latest upload is not received (none sent,
    or the last one rejected), in the dossier's order."""
    status = document_status(candidacy)
    return [t for t in document_types_for(candidacy.contest.kind)
            if t.required and status.get(t.pk) != DocumentStatus.RECEIVED]


@dataclass(frozen=True)
class DossierLine:
    document_type: DocumentType
    status: str
    latest: Document | None
    history: list[Document]

    @property
    def status_label(self) -> str:
        return str(DocumentStatus(self.status).label)


@dataclass(frozen=True)
class Dossier:
    candidacy: Candidacy
    documents: list[DossierLine]
    rules: list[law.RuleResult]
    declarations: list[Any]
    relatives: list[Any]

    @property
    def complete(self) -> bool:
        return all(line.status == DocumentStatus.RECEIVED for line in self.documents
                   if line.document_type.required)


def dossier(candidacy: Candidacy) -> Dossier:
    types = document_types_for(candidacy.contest.kind)
    uploads: dict[int, list[Document]] = {}
    for doc in (Document.objects.filter(candidacy=candidacy)
                .select_related("uploaded_by", "reviewed_by")
                .order_by("-uploaded_at", "-pk")):
        uploads.setdefault(doc.document_type_id, []).append(doc)
    lines = [DossierLine(t, uploads[t.pk][0].status if t.pk in uploads
                         else DocumentStatus.MISSING,
                         uploads.get(t.pk, [None])[0], uploads.get(t.pk, []))
             for t in types]
    declarations = list(candidacy.declarations.all())
    office = next((d for d in declarations if d.code == "holds_listed_office"), None)
    resigned = next((d for d in declarations if d.code == "resigned"), None)
    person = law.Person(birth_date=candidacy.birth_date, education=candidacy.education,
                        residence_years=candidacy.residence_years,
                        holds_listed_office=bool(office and office.value),
                        resigned_on=resigned.date if resigned else None)
    opens, _closes = registration_window(candidacy.election, candidacy.contest)
    results = law.evaluate(rules_for(candidacy.contest.kind, candidacy.constituency.population),
                           person,
                           election_day=candidacy.election.election_day,
                           registration_opens=opens,
                           documents={line.document_type.pk: line.status for line in lines})
    return Dossier(candidacy, lines, results, declarations, list(candidacy.relatives.all()))


# --- constituencies -------------------------------------------------------------------------


def constituency_list(*, kind: str = "", text: str = "", province: AdminUnit | None = None
                      ) -> QuerySet[Constituency]:
    qs = Constituency.objects.select_related("province", "unit").order_by("code")
    if kind:
        qs = qs.filter(kind=kind)
    if province is not None:
        qs = qs.filter(province=province)
    if text:
        qs = qs.filter(name__icontains=text.strip()) | qs.filter(code__icontains=text.strip())
    return qs


def get_constituency_for_user(user: AnyUser, pk: Any, *, action: str = policy.CHANGE
                              ) -> Constituency:
    """Constituencies are national: changed only through a country membership."""
    return get_national_object_for_user(
        user, Constituency.objects.select_related("province", "unit"), action=action,
        model_label=CONSTITUENCY, national=True, pk=pk)


def contest_constituencies(contest_id: int, county: AdminUnit) -> QuerySet[Constituency]:
    """The contest's constituencies a county office registers for: inside the county, or
    the province-wide one around it."""
    province_path = county.path.rsplit("/", 2)[0] + "/"
    # With the units above each (a village's rural district, district and county): the
    # options name the constituency's place, in this one query.
    return (Constituency.objects.filter(contests__id=contest_id)
            .filter(unit_path__startswith=county.path)
            | Constituency.objects.filter(contests__id=contest_id, unit_path=province_path)
            ).select_related("unit__parent__parent__parent").order_by(
                "kind", persian("name"), "pk")


def may(user: AnyUser, action: str, unit: AdminUnit | None, label: str = CANDIDACY) -> bool:
    return can(user, action, label, unit)


def unconfirmed_online(election: Election, national_id: str) -> list[Candidacy]:
    """The person's online pre-registrations awaiting the county's confirmation: a walk-in
    registration of the same person cancels them (services._register), and the staff are
    told which."""
    return list(Candidacy.objects.filter(election=election, national_id=national_id,
                                         state=State.PRE_REGISTERED, channel=Channel.ONLINE)
                .select_related("contest"))
