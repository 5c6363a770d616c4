"""Demo station staff: people for the Gharchak and Kerman counties (synthetic, national
IDs with a valid check digit), most trained for their posts, some not, and some
conflicted (a candidate and a candidate's declared relative); assigned by the solver,
approved in Gharchak and left for review in Kerman.

For each active station of the county: one person for each post, living in the
station's place (inspectors in the next station's place, so that they do not inspect
their own neighbourhood), plus about a sixth more of each kind as spares, some of them
untrained.  Completions go through the training service.  Running it twice changes
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import transaction

from amanat.accounts.models import Membership, Role
from amanat.candidates.models import Candidacy, DeclaredRelative, Relation, State
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.nationalid import with_check_digit
from amanat.lib.persian import search_key
from amanat.staffing import services
from amanat.staffing.assignment import members_per_station, roster_assign, roster_for
from amanat.staffing.models import Person, RosterState
from amanat.staffing.rules import rules_seed
from amanat.stations.models import Station, Status
from amanat.training.models import Course
from amanat.training.selectors import course_for_post
from amanat.training.services import course_create, record_completions

# County code -> whether the roster is approved.
COUNTIES = {"2321": True, "0808": False}
FIRST = ["علی", "مریم", "حسین", "زهرا", "محمد", "فاطمه", "رضا", "نرگس", "مهدی", "سارا",
         "امیر", "لیلا", "حمید", "الهام", "سعید", "مینا"]
LAST = ["احمدی", "کریمی", "رضایی", "موسوی", "حسینی", "جعفری", "صادقی", "نوری", "باقری",
        "قاسمی", "اکبری", "مرادی", "رحیمی", "سلیمانی", "کاظمی", "عباسی"]
EMPLOYERS = ["آموزش و پرورش", "فرمانداری", "شهرداری", "بانک ملی", "اداره برق", "دانشگاه"]
COURSE_TITLES: dict[str, str] = {StationPost.REPRESENTATIVE: "دوره نمایندگان فرماندار در شعب",
                 StationPost.MEMBER: "دوره اعضای شعب اخذ رأی",
                 StationPost.INSPECTOR: "دوره بازرسان شعب",
                 StationPost.POLICE: "دوره مأموران انتظامی شعب"}
SPARE_SHARE = 6  # one spare in six of each kind
UNTRAINED_EVERY = 3  # every third spare is untrained


@dataclass
class DemoStaffing:
    people: int = 0
    completions: int = 0
    filled: int = 0

    def __str__(self) -> str:
        return (f"{self.people} people created, {self.completions} completions, "
                f"{self.filled} posts filled")


def _nid(county_index: int, n: int) -> str:
    return with_check_digit(f"{520_000_000 + county_index * 1_000_000 + n * 13:09d}")


def _courses(election: Election) -> dict[str, Course]:
    country = AdminUnit.objects.filter(kind=Kind.COUNTRY).first()
    courses: dict[str, Course] = {}
    for post in StationPost.values:
        course = course_for_post(election, post)
        if course is None and country is not None:
            course = course_create(actor=None, election=election, unit=country, data={
                "audience": "station_staff", "post": post, "title": COURSE_TITLES[post]})
        if course is not None:
            courses[post] = course
    return courses


def _governor(county: AdminUnit) -> User | None:
    membership = (Membership.objects.filter(unit=county, role=Role.GOVERNOR, active=True)
                  .select_related("user").first())
    return membership.user if membership else None


def _people(county: AdminUnit, index: int, stations: list[Station], members: int
            ) -> list[tuple[Person, bool]]:
    """(person, trained) for the county: one per post of each station and spares."""
    slots = ([StationPost.REPRESENTATIVE] + [StationPost.MEMBER] * members
             + [StationPost.INSPECTOR, StationPost.POLICE])
    out: list[tuple[Person, bool]] = []
    n = 0
    for i, station in enumerate(stations):
        neighbour = stations[(i + 1) % len(stations)]
        for post in slots:
            home = station.unit
            if post == StationPost.INSPECTOR:
                # Another place than the station's (the neighbourhood rule); the county
                # itself when the county has a single place.
                home = neighbour.unit if neighbour.unit_id != station.unit_id else None
            spare = n % SPARE_SHARE == 0
            for copy in range(2 if spare else 1):
                n += 1
                trained = not (copy == 1 and n % UNTRAINED_EVERY == 0)
                first, last = FIRST[n % len(FIRST)], LAST[(n // len(FIRST)) % len(LAST)]
                posts = post if post != StationPost.MEMBER or n % 4 else "inspector,member"
                nid = _nid(index, n)
                out.append((Person(
                    county=county, home_unit=home, unit_path=(home or county).path,
                    national_id=nid, first_name=first, last_name=last,
                    gender="female" if n % 2 else "male", mobile=f"0913{n % 10_000_000:07d}",
                    employer=EMPLOYERS[n % len(EMPLOYERS)], posts=posts,
                    search_text="|".join(search_key(x) for x in (first, last, nid))), trained))
    return out


def _conflicts(election: Election, county: AdminUnit, people: list[Person]) -> None:
    """A candidate who applied to serve, and a candidate's declared relative."""
    candidacy = (Candidacy.objects.filter(election=election, county=county)
                 .exclude(state=State.CANCELLED).order_by("pk").first())
    if candidacy is None or not people:
        return
    member = next(p for p in people if p.posts == StationPost.MEMBER)
    Person.objects.filter(pk=member.pk).update(national_id=candidacy.national_id)
    relative = next(p for p in people if p.posts == StationPost.POLICE)
    DeclaredRelative.objects.get_or_create(
        candidacy=candidacy, national_id=relative.national_id,
        defaults={"relation": Relation.SIBLING, "first_name": relative.first_name,
                  "last_name": relative.last_name})


def seed_demo_staffing(election: Election) -> DemoStaffing:
    rules_seed()
    result = DemoStaffing()
    courses = _courses(election)
    members = members_per_station(election)
    for index, (code, approve) in enumerate(COUNTIES.items()):
        county = AdminUnit.objects.filter(kind=Kind.COUNTY, code=code).first()
        if county is None:
            continue
        stations = list(Station.objects.filter(election=election, county=county,
                                               status=Status.ACTIVE).order_by("code"))
        if not stations:
            continue
        if not Person.objects.filter(county=county).exists():
            pairs = _people(county, index, stations, members)
            with transaction.atomic():
                Person.objects.bulk_create([p for p, _t in pairs], batch_size=500)
                created = list(Person.objects.filter(county=county).order_by("pk"))
                _conflicts(election, county, created)
            result.people += len(pairs)
            trained = {p.national_id for p, t in pairs if t}
            for post, course in courses.items():
                people = [(p.national_id, p.full_name) for p in Person.objects.filter(
                    county=county, posts__contains=post) if p.national_id in trained]
                # Kept at the county: its governor sees who of its people is trained.
                result.completions += record_completions(actor=None, course=course,
                                                         people=people, unit=county)
        roster = roster_for(election, county)
        if roster.state == RosterState.APPROVED or roster.run_at is not None:
            continue
        roster = roster_assign(election=election, county=county, time_limit_s=30.0)
        result.filled += roster.run_filled
        if approve:
            # The demo's made-up people are not sent SMS (the log backend would print
            # one line for each of them during load-demo).
            services.roster_approve(actor=_governor(county), roster=roster, announce=False)
    return result
