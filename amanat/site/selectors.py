"""The signed-in home page ("my work"): what is waiting for this user, in their scope.

One read per kind of work, whatever the size of the country: each is a single aggregate
query grouped by the area a unit path falls in (``path_head``), so a national user's
roll-up by province costs the same queries as a county governor's own figures.  Every
read goes through the owning app's scope helpers, so a role sees only what it could open.

Places left for work still to come: staffing gaps (issue 14) join ``Gaps`` and
directives due (issue 15) join ``MyWork.measures`` when those apps exist.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Count,
    Expression,
    F,
    Min,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import StrIndex, Substr
from django.utils import timezone

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.core import changes
from amanat.councils import selectors as council_selectors
from amanat.councils.models import ActionItem, ActionStatus, AgendaItem, Meeting, MeetingStatus
from amanat.elections.models import Election, Milestone
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.incidents import selectors as incident_selectors
from amanat.incidents.models import Case, Report
from amanat.stations.models import Cctv, Fibre, Station

WEEK = datetime.timedelta(days=7)
# A case whose response is due within this is "near its deadline".
NEAR_DEADLINE = datetime.timedelta(hours=24)
LIST_LIMIT = 8

STATION = "stations.station"
MEETING = "councils.meeting"
ACTION = "councils.actionitem"


def path_head(field_name: str, segments: int) -> Expression:
    """The first ``segments`` segments of a materialised path, with their slashes
    (``I-IR/P23/`` for 2), computed in SQL on SQLite and PostgreSQL alike.  A path with
    fewer segments gives itself."""
    end: Any = StrIndex(F(field_name), Value("/"))
    for _ in range(segments - 1):
        end = end + StrIndex(Substr(F(field_name), end + 1), Value("/"))
    return Substr(F(field_name), 1, end)


@dataclass
class Area:
    """The work of one area (a province or a county), or of the whole scope."""

    unit: AdminUnit | None
    untriaged: int = 0
    open_cases: int = 0
    overdue: int = 0
    near: int = 0
    stations: int = 0
    no_cctv: int = 0
    no_fibre: int = 0
    actions_due: int = 0
    actions_overdue: int = 0
    next_meeting: datetime.date | None = None

    @property
    def gaps(self) -> int:
        return self.no_cctv + self.no_fibre

    @property
    def worst(self) -> tuple[int, ...]:
        """Sort key, worst first: late work before waiting work before gaps."""
        return (-self.overdue, -self.actions_overdue, -self.untriaged, -self.near,
                -self.actions_due, -self.gaps)

    def add(self, other: Area) -> None:
        for name in ("untriaged", "open_cases", "overdue", "near", "stations", "no_cctv",
                     "no_fibre", "actions_due", "actions_overdue"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.next_meeting and (self.next_meeting is None
                                   or other.next_meeting < self.next_meeting):
            self.next_meeting = other.next_meeting


@dataclass
class MyWork:
    now: datetime.datetime
    today: datetime.date
    election: Election | None
    # What the user's roles may open at all (a section is shown only then).
    sees_reports: bool = False
    sees_cases: bool = False
    sees_meetings: bool = False
    sees_stations: bool = False
    sees_actions: bool = False
    milestones: list[Milestone] = field(default_factory=list)
    total: Area = field(default_factory=lambda: Area(unit=None))
    # The roll-up: provinces for a national user, counties for a provincial one.
    rollup_kind: str = ""
    areas: list[Area] = field(default_factory=list)
    reports: list[Report] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    meeting: Meeting | None = None
    agenda: list[AgendaItem] = field(default_factory=list)
    measures: list[ActionItem] = field(default_factory=list)

    @property
    def has_anything(self) -> bool:
        return any((self.sees_reports, self.sees_cases, self.sees_meetings,
                    self.sees_stations, self.sees_actions))


def _rollup_level(user: AnyUser) -> tuple[str, list[AdminUnit]]:
    """(kind, parents): a national user rolls up by province; one whose broadest
    memberships are provinces, by county within them; a county user not at all."""
    units = access.user_units(user)
    if any(u.kind == Kind.COUNTRY for u in units):
        return Kind.PROVINCE, []
    provinces = [u for u in units if u.kind == Kind.PROVINCE]
    if provinces:
        return Kind.COUNTY, provinces
    return "", []


def _areas(kind: str, parents: list[AdminUnit]) -> dict[str, Area]:
    if not kind:
        return {}
    units = AdminUnit.objects.filter(kind=kind).only("pk", "name", "code", "path", "kind")
    if parents:
        condition = Q()
        for parent in parents:
            condition |= under("path", parent.path)
        units = units.filter(condition)
    return {u.path: Area(unit=u) for u in units}


def _grouped(qs: QuerySet[Any], path_field: str, segments: int, **aggregates: Any
             ) -> list[dict[str, Any]]:
    """``aggregates`` of ``qs`` per area (``head``), or for the whole of it (one row)."""
    if segments:
        return list(qs.order_by().annotate(head=path_head(path_field, segments))
                    .values("head").annotate(**aggregates))
    row = qs.order_by().aggregate(**aggregates)
    return [{"head": "", **row}]


def _spread(rows: list[dict[str, Any]], areas: dict[str, Area], total: Area) -> None:
    """Add each row's figures to its area and to the total."""
    for row in rows:
        figures = Area(unit=None, **{k: v or 0 for k, v in row.items()
                                     if k not in ("head", "next_meeting")},
                       next_meeting=row.get("next_meeting"))
        total.add(figures)
        area = areas.get(row["head"])
        if area is not None:
            area.add(figures)


GAPS_CACHE_KEY = "site:county-gaps"
GAPS_SECONDS = 60


def county_gaps(election: Election) -> list[tuple[str, int, int]]:
    """(county path, stations without CCTV, e-voting stations without fibre) of every
    county with stations in ``election``.

    The one read of the page that grows with the country (a pass over ~59,000 stations),
    so it is kept for a minute in the cache and forgotten as soon as a station changes
    (``forget_gaps``, listening to ``core.changes``).  Scope is applied by the caller:
    memberships sit at counties or above, so a county's row is wholly in or out.
    """
    kept: dict[int, list[tuple[str, int, int]]] = cache.get(GAPS_CACHE_KEY) or {}
    if election.pk not in kept:
        grouped = (Station.objects.filter(election=election).order_by()
                   .values("county__path").annotate(
                       no_cctv=Count("pk", filter=Q(cctv=Cctv.NONE)),
                       no_fibre=Count("pk", filter=Q(evoting_planned=True)
                                      & ~Q(fibre=Fibre.CONNECTED))))
        kept[election.pk] = [(row["county__path"], row["no_cctv"], row["no_fibre"])
                             for row in grouped]
        cache.set(GAPS_CACHE_KEY, kept, GAPS_SECONDS)
    return kept[election.pk]


def forget_gaps(change: changes.Change) -> None:
    """A station changed: the next home page counts the gaps again (after commit)."""
    transaction.on_commit(lambda: cache.delete(GAPS_CACHE_KEY))


def my_work(user: AnyUser, *, election: Election | None,
            now: datetime.datetime | None = None) -> MyWork:
    """Everything the home page shows, in a fixed number of queries."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    work = MyWork(now=now, today=today, election=election)
    kind, parents = _rollup_level(user)
    areas = _areas(kind, parents)
    segments = {Kind.PROVINCE.value: 2, Kind.COUNTY.value: 3}.get(kind, 0)
    total = work.total

    if election is not None:
        work.milestones = list(election.milestones.filter(due__gte=today, due__lte=today + WEEK)
                               .order_by("due", "pk"))

    work.sees_reports = access.can(user, policy.VIEW, incident_selectors.REPORT, None)
    if work.sees_reports:
        reports = incident_selectors.untriaged_reports(user)
        _spread(_grouped(reports, "unit_path", segments, untriaged=Count("pk")), areas, total)
        work.reports = list(reports[:LIST_LIMIT])

    work.sees_cases = access.can(user, policy.VIEW, incident_selectors.CASE, None)
    if work.sees_cases:
        cases = incident_selectors.scope_cases(user).open()
        soon = now + NEAR_DEADLINE
        _spread(_grouped(cases, "unit_path", segments,
                         open_cases=Count("pk"),
                         overdue=Count("pk", filter=Q(due_at__lt=now)),
                         near=Count("pk", filter=Q(due_at__gte=now, due_at__lt=soon))),
                areas, total)
        work.cases = list(incident_selectors.scope_cases(user, incident_selectors.case_queryset())
                          .open().filter(due_at__lt=soon).order_by("due_at", "pk")[:LIST_LIMIT])

    work.sees_stations = access.can(user, policy.VIEW, STATION, None)
    if work.sees_stations and election is not None:
        paths = access.scope_paths(user, STATION, policy.VIEW)
        rows = [{"head": "/".join(path.split("/")[:segments]) + "/" if segments else "",
                 "no_cctv": no_cctv, "no_fibre": no_fibre}
                for path, no_cctv, no_fibre in county_gaps(election)
                if any(path.startswith(prefix) for prefix in paths)]
        _spread(rows, areas, total)

    work.sees_meetings = access.can(user, policy.VIEW, MEETING, None)
    if work.sees_meetings:
        meetings = access.scope_queryset(
            user, Meeting.objects.filter(held_on__gte=today, status=MeetingStatus.PLANNED),
            action=policy.VIEW, path_field=council_selectors.MEETING_PATH,
        )
        _spread(_grouped(meetings, council_selectors.MEETING_PATH, segments,
                         next_meeting=Min("held_on")), areas, total)
        work.meeting = (meetings.select_related("council", "council__unit")
                        .order_by("held_on", "starts_at", "pk").first())
        if work.meeting is not None:
            work.agenda = list(work.meeting.agenda.select_related("case").order_by("order"))

    work.sees_actions = access.can(user, policy.VIEW, ACTION, None)
    if work.sees_actions:
        actions = council_selectors.scope_action_items(user).filter(
            status=ActionStatus.OPEN, due_on__lte=today + WEEK)
        _spread(_grouped(actions, council_selectors.ACTION_PATH, segments,
                         actions_due=Count("pk"),
                         actions_overdue=Count("pk", filter=Q(due_on__lt=today))),
                areas, total)
        work.measures = list(actions.select_related("owner", "decision__meeting__council")
                             .order_by("due_on", "pk")[:LIST_LIMIT])

    work.rollup_kind = kind
    work.areas = sorted(areas.values(),
                        key=lambda a: (a.worst, a.unit.name if a.unit else "", a.unit.pk
                                       if a.unit else 0))
    return work

