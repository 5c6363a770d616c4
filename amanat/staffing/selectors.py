"""Reads of the staffing app, always through the scope helpers (out of scope is 404)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet

from amanat.accounts import policy
from amanat.accounts.access import AnyUser, can, get_object_for_user, scope_queryset
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.persian import to_ascii_digits
from amanat.staffing import rules
from amanat.staffing.assignment import members_per_station, post_slots
from amanat.staffing.models import Assignment, Person, Roster, RosterState
from amanat.stations.models import Station, Status
from amanat.training import selectors as training


def people_for_user(user: AnyUser, county: AdminUnit | None = None) -> QuerySet[Person]:
    qs = scope_queryset(user, Person.objects.select_related("county", "home_unit"),
                        action=policy.VIEW, path_field="unit_path")
    return qs.filter(county=county) if county is not None else qs


def get_person_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Person:
    return get_object_for_user(user, Person, pk, write=write, path_field="unit_path",
                               queryset=Person.objects.select_related("county", "home_unit"))


def sees_personal_data(user: AnyUser, unit: AdminUnit | None) -> bool:
    """Whether national IDs and mobiles are shown unmasked (``staffing.personaldata``)."""
    return can(user, policy.VIEW, "staffing.personaldata", unit)


def counties_for_user(user: AnyUser) -> QuerySet[AdminUnit]:
    return scope_queryset(user, AdminUnit.objects.filter(kind=Kind.COUNTY),
                          action=policy.VIEW, path_field="path",
                          model_label="staffing.roster").order_by("name")


def get_county_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> AdminUnit:
    return get_object_for_user(user, AdminUnit, pk, write=write, path_field="path",
                               queryset=AdminUnit.objects.filter(kind=Kind.COUNTY),
                               model_label="staffing.roster")


def get_station_for_user(user: AnyUser, pk: Any, election: Election | None = None,
                         *, write: bool = False) -> Station:
    qs = Station.objects.select_related("county", "unit", "election")
    return get_object_for_user(user, Station, pk, write=write, path_field="unit_path",
                               queryset=qs, model_label="staffing.assignment")


@dataclass
class CountyRow:
    county: AdminUnit
    stations: int = 0
    posts: int = 0
    filled: int = 0
    state: str = ""
    run_state: str = ""

    @property
    def percent(self) -> int:
        return round(100 * self.filled / self.posts) if self.posts else 0


def county_rows(election: Election, counties: Iterable[AdminUnit]) -> list[CountyRow]:
    """Stations, posts and filled posts per county: three queries whatever the count."""
    per_station = len(post_slots(members_per_station(election)))
    rows = {c.pk: CountyRow(county=c) for c in counties}
    for county_id, n in (Station.objects.filter(election=election, status=Status.ACTIVE,
                                                county_id__in=list(rows)).order_by()
                         .values_list("county_id").annotate(n=Count("pk"))):
        rows[county_id].stations, rows[county_id].posts = n, n * per_station
    for county_id, n in (Assignment.objects.filter(election=election, county_id__in=list(rows))
                         .order_by().values_list("county_id").annotate(n=Count("pk"))):
        rows[county_id].filled = n
    for roster in Roster.objects.filter(election=election, county_id__in=list(rows)):
        rows[roster.county_id].state = roster.get_state_display()
        rows[roster.county_id].run_state = roster.run_state
    return list(rows.values())


@dataclass
class StationRow:
    station: Station
    filled: int = 0
    posts: int = 0
    assignments: dict[tuple[str, int], Assignment] = field(default_factory=dict)

    @property
    def staffed(self) -> bool:
        return self.filled >= self.posts


def county_stations(election: Election, county: AdminUnit) -> QuerySet[Station]:
    """The county's active stations in code order, only the columns the county page
    shows (the code and name, the place's name)."""
    return (Station.objects.filter(election=election, county=county, status=Status.ACTIVE)
            .select_related("unit").only("pk", "code", "name", "county_id", "unit__name")
            .order_by("code", "pk"))


def station_rows(election: Election, stations: Iterable[Station]) -> list[StationRow]:
    """A row per station of ``stations`` (one page of the county's) with its filled
    posts: one grouped count whatever the county's size."""
    per_station = len(post_slots(members_per_station(election)))
    rows = {s.pk: StationRow(station=s, posts=per_station) for s in stations}
    for station_id, n in (Assignment.objects.filter(election=election,
                                                    station_id__in=list(rows))
                          .order_by().values_list("station_id").annotate(n=Count("pk"))):
        rows[station_id].filled = n
    return list(rows.values())


def staffed_count(election: Election, county: AdminUnit) -> int:
    """The county's active stations with every post filled: the stations' ``staffed``
    flag, which the staffing services keep (``assignment.staffed_sync``) on every
    change of the county's assignments."""
    return Station.objects.filter(election=election, county=county, status=Status.ACTIVE,
                                  staffed=True).count()


@dataclass
class Slot:
    post: str
    slot: int
    label: str
    assignment: Assignment | None


def station_slots(station: Station) -> list[Slot]:
    slots = post_slots(members_per_station(station.election))
    held = {(a.post, a.slot): a for a in Assignment.objects.filter(station=station)
            .select_related("person")}
    labels = dict(StationPost.choices)
    return [Slot(post, slot, str(labels[post]), held.get((post, slot))) for post, slot in slots]


def staffed_station_ids(election: Election, station_ids: list[int]) -> set[int]:
    """The stations among ``station_ids`` whose every post is filled."""
    per_station = len(post_slots(members_per_station(election)))
    return {sid for sid, n in Assignment.objects.filter(
        election=election, station_id__in=station_ids).order_by()
        .values_list("station_id").annotate(n=Count("pk")) if n >= per_station}


def person_training(election: Election, person: Person) -> list[tuple[str, str]]:
    """(post label, status of its course: ``training.post_course_status``) for each post
    the person may take."""
    labels = dict(StationPost.choices)
    return [(str(labels.get(post, post)), training.post_course_status(
        election=election, post=post, national_id=person.national_id))
        for post in person.post_list]


def assignment_by_code(code: str) -> Assignment | None:
    # The digits a Persian keyboard types count as the code's digits.
    code = "".join(ch for ch in to_ascii_digits(code).upper()
                   if ch.isascii() and ch.isalnum())[:12]
    if not code:
        return None
    # A letter is an appointment only once the county's roster is approved: a proposal
    # of the solver or a reopened roster's post is not vouched for to the public.
    approved = Roster.objects.filter(election=OuterRef("election"), county=OuterRef("county"),
                                     state=RosterState.APPROVED)
    found = (Assignment.objects.select_related("person__home_unit", "station", "county",
                                               "election")
             .filter(Exists(approved), verification_code=code).first())
    # Nor a post the rules refuse now (its holder has since become a candidate, ...).
    if found is not None and rules.broken([found]):
        return None
    return found
