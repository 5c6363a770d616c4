"""The county's roster and the solver run (``roster_assign``): below the services and the
background task, which both call it."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser
from amanat.audit.services import audit_record
from amanat.core import jobs
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.elections.posts import DEFAULT_MEMBERS_PER_STATION, StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.lib import assign
from amanat.staffing.models import Assignment, Gender, Person, Roster, RunState, Source
from amanat.staffing.rules import Checker
from amanat.stations.models import Station, Status
from amanat.stations.services import stations_staffed_set

# --- the posts of a station ------------------------------------------------------------------


def post_slots(members: int = DEFAULT_MEMBERS_PER_STATION) -> list[tuple[str, int]]:
    """Every (post, slot) of a station: one representative, the members, one inspector,
    one police officer."""
    slots: list[tuple[str, int]] = [(StationPost.REPRESENTATIVE, 1)]
    return (slots
            + [(StationPost.MEMBER, i) for i in range(1, members + 1)]
            + [(StationPost.INSPECTOR, 1), (StationPost.POLICE, 1)])


def posts_per_station(election: Election) -> int:
    return len(post_slots(members_per_station(election)))


def members_per_station(election: Election) -> int:
    """Members per station in ``election`` (the default until a contest sets its own)."""
    return DEFAULT_MEMBERS_PER_STATION



def roster_read(election: Election, county: AdminUnit) -> Roster:
    """The county's roster, or an unsaved draft when none exists yet (pages read it by
    GET, which writes nothing)."""
    return (Roster.objects.filter(election=election, county=county).first()
            or Roster(election=election, county=county, unit_path=county.path))


def roster_for(election: Election, county: AdminUnit) -> Roster:
    roster, _made = Roster.objects.get_or_create(
        election=election, county=county, defaults={"unit_path": county.path})
    return roster


def staffed_sync(*, election: Election, county: AdminUnit, actor: AnyUser | None = None) -> int:
    """Tell the stations which of the county's stations have every post filled."""
    per_station = len(post_slots(members_per_station(election)))
    staffed = {sid for sid, n in Assignment.objects.filter(election=election, county=county)
               .order_by().values_list("station_id").annotate(n=Count("pk"))
               if n >= per_station}
    return stations_staffed_set(election=election, county=county, staffed_ids=staffed,
                                actor=actor)


def run_stale(roster: Roster) -> bool:
    """The county's run is queued or running but its worker has given no sign of life
    for too long (core.jobs.is_stale): it died, and the run may be started again."""
    return roster.run_busy and jobs.is_stale(roster.run_beat_at)


def run_under_way(roster: Roster) -> bool:
    """A run is queued or running and alive: another must wait for it."""
    return roster.run_busy and not run_stale(roster)


def roster_unlocked(roster: Roster) -> None:
    if roster.locked:
        raise RuleError(_("The roster of %(county)s is approved and locked; reopen it to "
                          "change it."), code="roster_locked", county=roster.county.name)


def roster_write_lock(roster: Roster) -> Roster:
    """The roster's row locked until the transaction ends, read again, and refused when it
    is approved: every write to a county's posts calls this inside its transaction, so an
    approval (which takes the same lock) is either before the write (refused) or after it
    (and sees it).  A check before the transaction alone would let an approval in between."""
    fresh = Roster.objects.select_for_update().select_related("county").get(pk=roster.pk)
    roster_unlocked(fresh)
    return fresh


# --- the solver ------------------------------------------------------------------------------

GENDER_CODE: dict[str, str] = {Gender.FEMALE: "f", Gender.MALE: "m"}


def _district_name(path: str, names: Mapping[str, str]) -> str:
    for segment in path.split("/"):
        if segment.startswith("D"):
            prefix = path[: path.index(segment) + len(segment) + 1]
            return names.get(prefix, "")
    return ""


Progress = Callable[[int, str], None]
ROUNDS = 3  # solver rounds per phase at most (see roster_assign)
PHASES = (frozenset({StationPost.INSPECTOR}),
          frozenset({StationPost.REPRESENTATIVE, StationPost.MEMBER, StationPost.POLICE}))
# Every person reaches every station of a county of up to this many stations; beyond, the
# nearest NEIGHBOURS per kind.  Homes are the points of administrative units, so many
# people share one point and a small nearest-stations cut would leave a city's far
# stations out of everyone's reach.
ALL_STATIONS_UNTIL = 1500
NEIGHBOURS = 200


def roster_assign(*, election: Election, county: AdminUnit, actor: AnyUser | None = None,
                  progress: Progress | None = None, time_limit_s: float = 60.0,
                  gender_balance: bool = False, replace: bool = False) -> Roster:
    """Fill the county's empty posts with the solver; every assignment passes the rules
    before it is stored; what could not be filled is kept per district, post and reason.

    By default every post already held stays as it is (people approved, pinned by hand or
    placed by an earlier run keep their post and their letter's verification code): only
    the empty posts are filled.  ``replace`` is the governor's explicit choice of a full
    re-optimisation: every post not pinned by hand is assigned again, which may move
    people who hold letters; a person placed again in the same post keeps that assignment
    (and its code)."""
    roster = roster_for(election, county)
    roster_unlocked(roster)

    def report(percent: int, stage: str) -> None:
        Roster.objects.filter(pk=roster.pk).update(run_state=RunState.RUNNING,
                                                   run_percent=percent, run_stage=stage,
                                                   run_beat_at=timezone.now())
        if progress is not None:
            progress(percent, stage)

    started = time.monotonic()
    report(5, "inputs")
    stations = list(Station.objects.filter(election=election, county=county,
                                           status=Status.ACTIVE).select_related("unit"))
    slots = post_slots(members_per_station(election))
    # A full re-optimisation replaces every post not pinned by hand: read as gone here,
    # deleted in the same transaction as the new assignment is stored (an approval
    # meanwhile keeps it untouched).  Otherwise nothing is replaced.
    proposal = (Assignment.objects.filter(election=election, county=county, pinned=False)
                if replace else Assignment.objects.none())
    held = {(a.station_id, a.post, a.slot) for a in Assignment.objects.filter(
        election=election, county=county).exclude(pk__in=proposal.values("pk"))}
    # People are registered with one county: only this county's posts can hold them.
    posted = set(Assignment.objects.filter(election=election, person__county=county)
                 .exclude(pk__in=proposal.values("pk")).values_list("person_id", flat=True))
    people = [p for p in Person.objects.filter(county=county, available=True)
              if p.pk not in posted]
    # One instance per place (not one per person, as select_related would make).
    places = AdminUnit.objects.in_bulk({p.home_unit_id for p in people if p.home_unit_id})
    for person in people:
        person.county = county
        if person.home_unit_id is not None:
            person.home_unit = places[person.home_unit_id]
    checker = Checker.load(election, people)
    # ``people`` holds no one posted outside the proposal, and the proposal is replaced:
    # a post a person holds in it does not bar them now (it did, and a second run
    # refused everyone the first one had placed).
    checker.posted = {}
    county_point = (county.latitude or 0.0, county.longitude or 0.0)
    open_posts: dict[int, tuple[Station, str, int]] = {}
    solver_posts: list[assign.Post] = []
    for station in stations:
        lat = station.latitude if station.latitude is not None else (
            station.unit.latitude if station.unit and station.unit.latitude else county_point[0])
        lon = station.longitude if station.longitude is not None else (
            station.unit.longitude if station.unit and station.unit.longitude
            else county_point[1])
        for post, slot in slots:
            if (station.pk, post, slot) in held:
                continue
            key = len(open_posts) + 1
            open_posts[key] = (station, post, slot)
            solver_posts.append(assign.Post(key, station.pk, post, lat, lon))
    report(20, "rules")
    people_by_id = {p.pk: p for p in people}
    eligible = {p.pk: checker.eligible_posts(p) for p in people}
    points: dict[int, tuple[float, float]] = {}
    for person in people:
        home = person.home_unit
        points[person.pk] = (
            home.latitude if home and home.latitude is not None else county_point[0],
            home.longitude if home and home.longitude is not None else county_point[1])
    # The inspector's neighbourhood rule reads the home place only: its refusals are one
    # frozenset per place, shared by everyone living there (a city's thousands of
    # inspectors and its thousands of stations would otherwise be millions of pairs).
    neighbourhood: dict[int | None, frozenset[int]] = {}
    stations_by_place: dict[str, list[Station]] = {}
    for station in stations:
        stations_by_place.setdefault(station.unit_path, []).append(station)
    nothing: frozenset[int] = frozenset()

    def barred(person: Person, kinds: frozenset[str]) -> frozenset[int]:
        """Stations where station-level rules bar ``person`` from every one of ``kinds``."""
        if person.national_id in checker.relatives:
            return frozenset(st.pk for st in stations
                             if all(checker.station_barred(person, st, k) for k in kinds))
        if kinds != {StationPost.INSPECTOR}:
            return nothing
        if person.home_unit_id not in neighbourhood:
            # Not a relative: the only station-level rule left reads the station's place,
            # so one station of each place answers for all of that place's stations.
            neighbourhood[person.home_unit_id] = frozenset(
                st.pk for place in stations_by_place.values()
                if checker.station_barred(person, place[0], StationPost.INSPECTOR)
                for st in place) or nothing
        return neighbourhood[person.home_unit_id]

    # Inspectors first, then the other posts with the people left: the inspector's
    # neighbourhood rule bars one kind of post, so each phase's forbidden pairs are exact;
    # inspectors, the scarcest, are filled first.
    taken: dict[int, Person] = {}
    reasons: dict[int, str] = {}
    status, total_km = "", 0.0
    reach = None if len(stations) <= ALL_STATIONS_UNTIL else NEIGHBOURS
    for phase, phase_kinds in enumerate(PHASES):
        open_keys = {k: v for k, v in open_posts.items() if v[1] in phase_kinds}
        used = {x.pk for x in taken.values()}
        solver_people: list[assign.Person] = []
        # person id -> refused station ids (shared frozensets, never copied per person)
        refusals: dict[int, frozenset[int]] = {}
        for person in people:
            kinds = eligible[person.pk] & phase_kinds
            if not kinds or person.pk in used:
                continue
            lat, lon = points[person.pk]
            solver_people.append(assign.Person(person.pk, lat, lon, kinds,
                                               GENDER_CODE.get(person.gender, "")))
            stations_barred = barred(person, kinds)
            if stations_barred:
                refusals[person.pk] = stations_barred
        report(35 + 25 * phase, "solver")
        for _round in range(ROUNDS):
            if not open_keys:
                break
            taken_ids = {x.pk for x in taken.values()}
            result = assign.solve(
                [p for p in solver_posts if p.id in open_keys],
                [p for p in solver_people if p.id not in taken_ids],
                forbidden_stations=refusals, gender_balance=gender_balance,
                time_limit_s=time_limit_s, neighbours=reach)
            status = status if status and status != "OPTIMAL" else result.status
            total_km += result.total_km
            reasons.update(result.unfilled)
            refused = False
            for key, (station, post, _slot) in list(open_keys.items()):
                person_id = result.assignment.get(key)
                found = people_by_id.get(person_id) if person_id is not None else None
                if found is None:
                    continue
                # Every assignment passes the rules before it is stored (a guard: the
                # forbidden pairs already express them).
                if checker.problems(found, station, post):
                    refusals[found.pk] = refusals.get(found.pk, nothing) | {station.pk}
                    refused = True
                    reasons[key] = "taken"
                    continue
                taken[key] = found
                del open_keys[key]
            if not refused:
                break
    unfilled: Counter[tuple[str, str, str]] = Counter()
    names = dict(AdminUnit.objects.filter(kind=Kind.DISTRICT, path__startswith=county.path)
                 .values_list("path", "name"))
    creates: list[Assignment] = []
    now = timezone.now()
    for key, (station, post, slot) in open_posts.items():
        chosen = taken.get(key)
        if chosen is None:
            reason = reasons.get(key, "taken")
            unfilled[(_district_name(station.unit_path, names), str(post), reason)] += 1
            continue
        creates.append(Assignment(
            election=election, station=station, county=county, unit_path=station.unit_path,
            post=post, slot=slot, person=chosen, pinned=False, source=Source.SOLVER,
            created_at=now, distance_km=None))
    report(85, "store")
    with transaction.atomic():
        # Approved while the solver ran (or reopened and approved): nothing is stored.
        roster = roster_write_lock(roster)
        # Someone placed again in the post they held keeps that row: its letter's code
        # still verifies and the approval's SMS has nothing new to tell them.
        before = {(a.station_id, a.post, a.slot, a.person_id): a.pk for a in proposal}
        same = {before[k] for k in ((c.station_id, c.post, c.slot, c.person_id)
                                    for c in creates) if k in before}
        placed = len(creates)
        creates = [c for c in creates
                   if (c.station_id, c.post, c.slot, c.person_id) not in before]
        proposal.exclude(pk__in=same).delete()
        Assignment.objects.bulk_create(creates, batch_size=500)
        roster.run_state, roster.run_percent, roster.run_stage = RunState.DONE, 100, "done"
        roster.run_status, roster.run_total_km = status, round(total_km, 1)
        roster.run_seconds = round(time.monotonic() - started, 2)
        roster.run_filled = placed
        roster.run_unfilled = [
            {"district": d, "post": p, "reason": r, "count": n}
            for (d, p, r), n in sorted(unfilled.items())]
        roster.run_at = now
        # Only the run's fields: the approval state is the governor's, never the solver's.
        roster.save(update_fields=["run_state", "run_percent", "run_stage", "run_status",
                                   "run_total_km", "run_seconds", "run_filled",
                                   "run_unfilled", "run_at"])
        audit_record(action="staffing.roster.assign", actor=actor, unit=county, obj=roster,
                     after={"filled": placed, "unfilled": sum(unfilled.values()),
                            "status": status, "total_km": roster.run_total_km,
                            "replace": replace, "kept": len(held) + len(same)})
        staffed_sync(election=election, county=county, actor=actor)
    return roster


