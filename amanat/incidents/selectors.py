"""Reads of the incidents app: scoped cases and reports, duplicates, the atlas's load.

``scope_cases`` is the one place that decides which cases a user sees: the unit scope of
``access.scope_queryset`` and, for agency officers, only the cases routed to their own
agency.  Every page, the evidence download and the API go through it.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from rapidfuzz import fuzz

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.accounts.models import Role
from amanat.candidates.models import Candidacy, State
from amanat.elections.models import Election
from amanat.geo.codes import canonical_unit_code
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.incidents.models import (
    CLOSED_STATUSES,
    Case,
    CaseQuerySet,
    Category,
    Evidence,
    Report,
)
from amanat.lib.persian import normalize
from amanat.stations.codes import canonical_station_code, parse_station_code
from amanat.stations.models import Station

CASE = "incidents.case"
REPORT = "incidents.report"
CATEGORY = "incidents.category"
EVIDENCE = "incidents.evidence"

DUPLICATE_WINDOW = datetime.timedelta(hours=48)
DUPLICATE_MIN_SCORE = 70
DUPLICATE_LIMIT = 10


# --- scope ------------------------------------------------------------------------------


def _agency_condition(user: AnyUser, action: str) -> Q | None:
    """None when no agency narrowing applies; else the condition for the user's cases.

    A membership of any other allowed role reaches its whole subtree; an agency officer's
    membership reaches only cases assigned to that officer's agency within the subtree.
    """
    allowed = policy.roles_allowed(CASE, action)
    memberships = [m for m in access.user_memberships(user) if m.role in allowed]
    if not any(m.role == Role.AGENCY_OFFICER for m in memberships):
        return None
    condition = Q(pk__in=[])
    for m in memberships:
        subtree = under("unit_path", m.unit.path)
        if m.role == Role.AGENCY_OFFICER:
            if m.agency_id is None:
                continue  # an officer without an agency is routed nothing
            subtree &= Q(agency_id=m.agency_id)
        condition |= subtree
    return condition


def scope_cases(user: AnyUser, qs: QuerySet[Case] | None = None, *, action: str = policy.VIEW
                ) -> CaseQuerySet:
    base = qs if qs is not None else Case.objects.all()
    scoped = access.scope_queryset(user, base, action=action, path_field="unit_path",
                                   model_label=CASE)
    extra = _agency_condition(user, action)
    return scoped if extra is None else scoped.filter(extra)  # type: ignore[return-value]


def scope_reports(user: AnyUser, qs: QuerySet[Report] | None = None) -> QuerySet[Report]:
    base = qs if qs is not None else Report.objects.all()
    return access.scope_queryset(user, base, action=policy.VIEW, path_field="unit_path",
                                 model_label=REPORT)


def case_queryset() -> CaseQuerySet:
    return Case.objects.select_related("unit", "station", "category", "agency", "locked_by",
                                       "candidacy")


def get_case_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Case:
    action = policy.CHANGE if write else policy.VIEW
    extra = _agency_condition(user, action)
    qs = case_queryset() if extra is None else case_queryset().filter(extra)
    return access.get_object_for_user(user, Case, pk, action=action, path_field="unit_path",
                                      queryset=qs)


CANDIDACY = "candidates.candidacy"


def candidates_for_case(user: AnyUser, case: Case) -> QuerySet[Candidacy]:
    """The candidates a case may name: registered with the county office of the case's
    place, in its election, and in the user's reach for candidates."""
    segments = case.unit_path.split("/")[:-1]
    prefixes = ["/".join(segments[:i]) + "/" for i in range(1, len(segments) + 1)]
    qs = Candidacy.objects.filter(unit_path__in=prefixes).exclude(
        state__in=[State.PRE_REGISTERED, State.CANCELLED])
    if case.election_id is not None:
        qs = qs.filter(election_id=case.election_id)
    return access.scope_queryset(user, qs, action=policy.VIEW, path_field="unit_path",
                                 model_label=CANDIDACY)


def get_case_unit_for_user(user: AnyUser, pk: Any) -> AdminUnit:
    """A unit at which the user may see cases: the dashboard's drill-down and the case
    list's ``?unit=`` filter."""
    return access.get_object_for_user(user, AdminUnit, pk, path_field="path",
                                      model_label=CASE,
                                      queryset=AdminUnit.objects.select_related("parent"))


def get_report_for_user(user: AnyUser, pk: Any) -> Report:
    return access.get_object_for_user(
        user, Report, pk, path_field="unit_path",
        queryset=Report.objects.select_related("unit", "station", "category"),
    )


def get_evidence_for_user(user: AnyUser, pk: Any) -> Evidence:
    """Evidence of a report the user may read, or of a case the user may see; else 404.

    Both scopes narrow the query itself: evidence out of reach is never loaded.
    """
    reachable = (Q(report__in=scope_reports(user).values("pk"))
                 | Q(report__case_link__case__in=scope_cases(user).values("pk")))
    try:
        return Evidence.objects.select_related("report").filter(reachable).get(pk=pk)
    except (Evidence.DoesNotExist, ValueError, TypeError):
        pass
    try:
        exists = Evidence.objects.filter(pk=pk).exists()
    except (ValueError, TypeError):
        exists = False
    if exists:
        access.access_denied_record(user=user, model_label=EVIDENCE, pk=pk, action=policy.VIEW)
    raise Http404("not found")


def get_category_for_user(user: AnyUser, pk: Any) -> Category:
    """A category, for national administrators only (categories are edited nationally)."""
    return access.get_national_object_for_user(
        user, Category.objects.select_related("agency"), action=policy.CHANGE,
        model_label=CATEGORY, national=True, pk=pk,
    )


# --- lists ------------------------------------------------------------------------------


def untriaged_reports(user: AnyUser) -> QuerySet[Report]:
    """Reports in scope not yet joined to any case, newest first."""
    return (
        scope_reports(user)
        .filter(case_link__isnull=True)
        .select_related("unit", "station", "category")
        .order_by("-received_at", "-pk")
    )


def case_list(user: AnyUser, *, status: str = "", category: int | None = None,
              agency: int | None = None, overdue: bool = False,
              now: datetime.datetime | None = None, unit: AdminUnit | None = None
              ) -> CaseQuerySet:
    qs = scope_cases(user, case_queryset())
    if unit is not None:
        qs = qs.filter(under("unit_path", unit.path))
    if status == "open":
        qs = qs.open()
    elif status:
        qs = qs.filter(status=status)
    if category:
        qs = qs.filter(category_id=category)
    if agency:
        qs = qs.filter(agency_id=agency)
    if overdue:
        qs = qs.overdue(now)
    return qs.order_by("-opened_at", "-pk")


def my_cases(user: AnyUser, *, limit: int = 20) -> list[tuple[Case, bool]]:
    """A field user's own cases (the field app), newest first, each with whether the user
    may open it: those holding a report they filed (whose status the reporter may follow,
    as a citizen follows theirs by reference, even without the right to read cases), and
    for an agency officer those routed to their agency within their scope."""
    me = access.signed_in(user)
    if me is None:
        return []
    agencies = {m.agency_id for m in access.user_memberships(user)
                if m.role == Role.AGENCY_OFFICER and m.agency_id is not None}
    routed = scope_cases(user, Case.objects.all()).filter(agency_id__in=agencies)
    mine = (case_queryset().filter(Q(links__report__submitted_by=me)
                                   | Q(pk__in=routed.values("pk")))
            .distinct().order_by("-opened_at", "-pk")[:limit])
    cases = list(mine)
    readable = set(scope_cases(user, Case.objects.filter(pk__in=[c.pk for c in cases]))
                   .values_list("pk", flat=True))
    return [(case, case.pk in readable) for case in cases]


# --- duplicates -------------------------------------------------------------------------


def _around(moment: datetime.datetime, window: datetime.timedelta
            ) -> tuple[datetime.datetime, datetime.datetime]:
    """``moment`` ± ``window``, stopping at the ends of the calendar (a stored time near
    year 1 or 9999 must not fail the page that shows it)."""
    low = datetime.datetime.min.replace(tzinfo=moment.tzinfo)
    high = datetime.datetime.max.replace(tzinfo=moment.tzinfo)
    return (moment - window if moment - low > window else low,
            moment + window if high - moment > window else high)


def duplicate_candidates(user: AnyUser, report: Report) -> list[tuple[Case, int]]:
    """Open cases in scope that may describe the same event as ``report``, best first.

    Same category; same station (or, without a station, same unit); opened within 48
    hours of the report; and similar text after Persian normalisation (rapidfuzz
    token_set_ratio ≥ 70, which ignores word order and extra words).
    """
    place = Q(station_id=report.station_id) if report.station_id else Q(unit_id=report.unit_id)
    early, late = _around(report.received_at, DUPLICATE_WINDOW)
    candidates = (
        scope_cases(user, case_queryset()).open().filter(place, category_id=report.category_id)
        .filter(opened_at__gte=early, opened_at__lte=late)
        .order_by("-opened_at")[:200]
    )
    text = normalize(report.text_normalized)
    scored = [(case, int(fuzz.token_set_ratio(text, normalize(case.summary))))
              for case in candidates]
    scored = [(case, score) for case, score in scored if score >= DUPLICATE_MIN_SCORE]
    scored.sort(key=lambda pair: -pair[1])
    return scored[:DUPLICATE_LIMIT]


# --- for the atlas ----------------------------------------------------------------------

# A closed case still weighs on its station for a while: its weight halves every week.
LOAD_HALF_LIFE_DAYS = 7.0
LOAD_RECENT_DAYS = 60


def open_case_load(election: Election, *, now: datetime.datetime | None = None
                   ) -> dict[int, float]:
    """Incident load per station of ``election``: {station id: load}.

    Each case at a station adds its severity (1–4). An open case counts in full; a
    closed one counts with exponential decay from its closing time (half-life of
    ``LOAD_HALF_LIFE_DAYS``) and not at all after ``LOAD_RECENT_DAYS``. Dismissed cases
    count half, since they were judged unfounded or out of remit. Cases without a
    station are not included (the atlas aggregates stations to units itself).
    """
    now = now or timezone.now()
    since = now - datetime.timedelta(days=LOAD_RECENT_DAYS)
    rows = (
        Case.objects.filter(election=election, station__isnull=False)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=since))
        .values_list("station_id", "severity", "status", "closed_at")
    )
    load: dict[int, float] = defaultdict(float)
    for station_id, severity, status, closed_at in rows.iterator():
        weight = 1.0
        if status in CLOSED_STATUSES and closed_at is not None:
            age_days = max((now - closed_at).total_seconds() / 86400, 0.0)
            weight = math.pow(0.5, age_days / LOAD_HALF_LIFE_DAYS)
            if status == "dismissed":
                weight *= 0.5
        load[station_id] += severity * weight
    return dict(load)


# --- lookups for intake -----------------------------------------------------------------


def find_station(election: Election | None, text: str, *, within: list[str] | None = None
                 ) -> Station | None:
    """The station of ``election`` named by "county code-station code", or None.

    With ``within`` (unit path prefixes, from ``access.scope_paths``), only a station in
    one of those subtrees: the scope is part of the query, so a station out of reach is
    never loaded.  With its county, unit and election loaded.
    """
    query = station_query(election, text, within=within)
    if query is None or election is None:
        return None
    station = next(iter(Station.objects.raw(*query)), None)
    if station is None:
        return None
    return station_placed(station, AdminUnit.objects.in_bulk(station_unit_ids(station)),
                          election)


def station_query(election: Election | None, text: str, *, within: list[str] | None = None
                  ) -> tuple[str, list[Any]] | None:
    """``find_station``'s SELECT of all the station's columns and its parameters, or None
    when nothing can match, on the station's unique (election, county, code).  The
    intake's plain-SQL lookup (amanat/intake/lookups.py) puts the same conditions
    (``station_match``) in its join with the current election."""
    match = station_match(text, within=within)
    if election is None or match is None:
        return None
    conditions, params = match
    query = "SELECT s.* FROM stations_station s JOIN geo_adminunit c ON c.id = s.county_id"
    return f"{query} WHERE s.election_id = %s AND {conditions}", [election.pk, *params]


def station_match(text: str, *, within: list[str] | None = None
                  ) -> tuple[str, list[Any]] | None:
    """``station_query``'s conditions on the station ``s`` and its county ``c``, but the
    election's, and their parameters; None when nothing can match.  The intake puts
    them in a join with the current election (``intake.lookups.report_lookups``)."""
    parsed = parse_station_code(text)
    if parsed is None or within == []:
        return None
    county, code = parsed
    # As typed or in the canonical form (a phone or a spreadsheet drops leading zeros:
    # "808-1" is county 0808, station 0001).
    conditions = "c.kind = %s AND c.code IN (%s, %s) AND s.code IN (%s, %s)"
    params: list[Any] = [Kind.COUNTY, county, canonical_unit_code("county", county),
                         code, canonical_station_code(code)]
    if within is not None and not any(path.count("/") == 1 for path in within):
        # substr rather than LIKE: a path never needs escaping (SQLite and PostgreSQL).
        conditions += (" AND (" + " OR ".join(["substr(s.unit_path, 1, %s) = %s"]
                                              * len(within)) + ")")
        for path in within:
            params += [len(path), path]
    return conditions, params


def station_unit_ids(station: Station) -> list[int]:
    return [station.county_id, station.unit_id or station.county_id]


def station_placed(station: Station, units: dict[int, AdminUnit], election: Election
                   ) -> Station:
    """The station with its county, unit and election set (as ``select_related``)."""
    station.county = units[station.county_id]
    station.unit = units.get(station.unit_id or 0)
    station.election = election
    return station


def find_station_for_user(user: AnyUser, election: Election | None, text: str
                          ) -> Station | None:
    """The station named by ``text`` if the user may file reports there; else None, the
    same answer as for a code that does not exist."""
    return find_station(election, text,
                        within=access.scope_paths(user, REPORT, policy.CREATE))


def get_report_unit_for_user(user: AnyUser, pk: Any) -> AdminUnit:
    """A place (county or below) where the user may file reports; else 404."""
    return access.get_object_for_user(user, AdminUnit, pk, path_field="path",
                                      action=policy.CREATE, model_label=REPORT)


def active_categories() -> QuerySet[Category]:
    return Category.objects.filter(active=True).select_related("agency").order_by(
        "position", "pk"
    )


def category_by_sms_code(code: str) -> Category | None:
    return category_by_code(code, sms_only=True)


def category_by_code(code: str, *, sms_only: bool = False) -> Category | None:
    """The active category with this code or SMS code (the code wins over another
    category's SMS code)."""
    return category_pick(Category.objects.raw(*category_query(code, sms_only=sms_only)), code)


def category_query(code: str, *, sms_only: bool = False) -> tuple[str, list[Any]]:
    """``category_by_code``'s SELECT; the intake runs the same text in plain SQL."""
    condition, params = category_match(code, sms_only=sms_only)
    return f"SELECT * FROM incidents_category k WHERE {condition}", params  # noqa: S608


def category_match(code: str, *, sms_only: bool = False) -> tuple[str, list[Any]]:
    """``category_query``'s condition on the category ``k`` and its parameters (up to
    two rows match: ``category_pick`` chooses)."""
    sms = code.strip().upper()
    return ("k.active AND (k.sms_code = %s OR k.code = %s)",
            [sms, "" if sms_only else code])


def category_pick(rows: Iterable[Category], code: str) -> Category | None:
    return min(rows, key=lambda c: c.code != code, default=None)
