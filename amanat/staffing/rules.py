"""Conflicts of interest as data: each ``ConflictRule`` row names a check here by its code.

Every assignment, by hand or by the solver, passes ``check`` (one post) or
``Checker.problems`` (many); a rule switched off in the table is skipped, with no change
of code.  The refusal names the rule and its legal reference (both data).

The checks:

* ``one_post``: no one holds two posts in the same election (the database refuses it
  too, ``staffing_one_post_per_election``).
* ``candidate``: a live candidacy in the election with the person's national ID.
* ``relative``: the person is a declared relative of a live candidacy in the election,
  and the station lies in that candidacy's constituency (the station's constituency, or
  for a constituency drawn on a unit, a station under that unit).
* ``inspector_home``: an inspector does not inspect in their own neighbourhood: the
  station's unit is the person's home unit, or one lies inside the other (a village in
  the station's rural district).  A home unit recorded only as a district or a county is
  too coarse to be a neighbourhood and does not bar.
* ``training``: the course for the post is completed
  (``training.selectors.passed_national_ids``).

Besides the rules, two facts about the person are always checked: the post is one they
may take, and they are available.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from amanat.candidates.models import LIVE, Candidacy, DeclaredRelative, State
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.geo.models import Kind
from amanat.staffing.models import Assignment, ConflictRule, Person
from amanat.stations.models import Station
from amanat.training import selectors as training

ONE_POST = "one_post"
CANDIDATE = "candidate"
RELATIVE = "relative"
INSPECTOR_HOME = "inspector_home"
TRAINING = "training"
# Up to this many people, their posts are read by their ids; beyond, by their counties.
_FEW = 500

# The rules the app knows, with their wording (seeded by migration 0002 and rules_seed).
SEED: list[tuple[str, str, str, str]] = [
    (ONE_POST, "هر فرد تنها یک سمت در یک انتخابات",
     "آیین‌نامه اجرایی قانون انتخابات، ترکیب اعضای شعب اخذ رأی",
     "No one holds two posts in the same election."),
    (CANDIDATE, "نامزد انتخابات عضو شعبه نمی‌شود",
     "قانون انتخابات، منع عضویت داوطلبان در هیئت‌ها و شعب",
     "A candidate in the election cannot serve at a station."),
    (RELATIVE, "بستگان نامزد در حوزه انتخابیه او خدمت نمی‌کنند",
     "قانون انتخابات، منع عضویت بستگان داوطلبان در حوزه انتخابیه",
     "A declared relative of a candidate cannot serve in that candidate's constituency."),
    (INSPECTOR_HOME, "بازرس در محله خود بازرسی نمی‌کند",
     "دستورالعمل هیئت بازرسی، انتخاب بازرس شعب",
     "An inspector does not serve at a station in their own neighbourhood."),
    (TRAINING, "گذراندن دوره آموزشی سمت",
     "دستورالعمل آموزش عوامل اجرایی انتخابات",
     "A post needs the course for that post completed."),
]


def rules_seed() -> int:
    """Create the known rules that are missing (idempotent); returns how many."""
    created = 0
    for code, name, reference, description in SEED:
        _rule, made = ConflictRule.objects.get_or_create(
            code=code, defaults={"name": name, "legal_reference": reference,
                                 "description": description})
        created += made
    return created


def _refusal(rule: ConflictRule, template: Any, code: str, **params: Any) -> RuleError:
    return RuleError(template, code=f"rule_{code}", rule=rule.name,
                     reference=rule.legal_reference, **params)


def _neighbourhood(home_path: str, home_kind: str, station_path: str) -> bool:
    if home_kind not in (Kind.CITY, Kind.RURAL_DISTRICT, Kind.VILLAGE):
        return False
    return station_path.startswith(home_path) or home_path.startswith(station_path)


@dataclass
class Checker:
    """The facts the rules read, loaded once for a set of people in one election."""

    election: Election
    rules: dict[str, ConflictRule]
    candidates: set[str] = field(default_factory=set)
    # national ID -> constituencies (id, unit path or "") of the candidates they relate to
    relatives: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    trained: dict[str, set[str]] = field(default_factory=dict)
    # person id -> station id of the post they hold in the election
    posted: dict[int, int] = field(default_factory=dict)

    @classmethod
    def load(cls, election: Election, people: Iterable[Person]) -> Checker:
        people = list(people)
        nids = sorted({p.national_id for p in people})
        rules = {r.code: r for r in ConflictRule.objects.filter(active=True)}
        checker = cls(election=election, rules=rules)
        if CANDIDATE in rules:
            checker.candidates = set(Candidacy.objects.filter(
                LIVE, election=election, national_id__in=nids,
            ).values_list("national_id", flat=True))
        if RELATIVE in rules:
            relatives: dict[str, list[tuple[int, str]]] = defaultdict(list)
            for nid, constituency, path in DeclaredRelative.objects.filter(
                    ~Q(candidacy__state=State.CANCELLED), candidacy__election=election,
                    national_id__in=nids).values_list(
                    "national_id", "candidacy__constituency_id",
                    "candidacy__constituency__unit_path"):
                relatives[nid].append((constituency, path or ""))
            checker.relatives = dict(relatives)
        if TRAINING in rules:
            for post in StationPost.values:
                checker.trained[post] = set(training.passed_national_ids(
                    election=election, post=post, national_ids=nids))
        if ONE_POST in rules:
            # Many people (a county's run): by their counties (a person is registered
            # with one), not tens of thousands of ids as query parameters.
            wanted = {p.pk for p in people}
            posts = Assignment.objects.filter(election=election)
            posts = (posts.filter(person__in=wanted) if len(wanted) <= _FEW
                     else posts.filter(person__county__in={p.county_id for p in people}))
            checker.posted = {person_id: station_id for person_id, station_id
                              in posts.values_list("person_id", "station_id")
                              if person_id in wanted}
        return checker

    def eligible_posts(self, person: Person) -> frozenset[str]:
        """The posts the person may take as far as the person-level rules go (their
        posts, availability, candidacy, training); station-level rules are separate."""
        if not person.available:
            return frozenset()
        if CANDIDATE in self.rules and person.national_id in self.candidates:
            return frozenset()
        posts = set(person.post_list)
        if TRAINING in self.rules:
            posts = {p for p in posts if person.national_id in self.trained.get(p, set())}
        return frozenset(posts)

    def station_barred(self, person: Person, station: Station, post: str) -> bool:
        """Whether a station-level rule bars ``person`` from ``post`` at ``station`` (the
        same tests as ``_station_problems``, without building the refusals: the solver
        asks it for every place × station of a county)."""
        return (self._relative_bars(person, station)
                or self._home_bars(person, station, post))

    def _relative_bars(self, person: Person, station: Station) -> bool:
        if RELATIVE not in self.rules:
            return False
        return any(station.constituency_id == constituency
                   or (path and station.unit_path.startswith(path))
                   for constituency, path in self.relatives.get(person.national_id, []))

    def _home_bars(self, person: Person, station: Station, post: str) -> bool:
        if (INSPECTOR_HOME not in self.rules or post != StationPost.INSPECTOR
                or not person.home_unit_id):
            return False
        home = person.home_unit
        return home is not None and _neighbourhood(home.path, home.kind, station.unit_path)

    def _station_problems(self, person: Person, station: Station, post: str) -> list[RuleError]:
        problems: list[RuleError] = []
        if self._relative_bars(person, station):
            problems.append(_refusal(
                self.rules[RELATIVE],
                _("%(name)s is a declared relative of a candidate in this "
                  "station's constituency and cannot serve here. Rule “%(rule)s” "
                  "(%(reference)s)."), RELATIVE, name=person.full_name))
        if self._home_bars(person, station, post):
            home = person.home_unit
            problems.append(_refusal(
                self.rules[INSPECTOR_HOME],
                _("%(name)s lives in %(place)s and cannot inspect a station in their "
                  "own neighbourhood. Rule “%(rule)s” (%(reference)s)."),
                INSPECTOR_HOME, name=person.full_name, place=home.name if home else ""))
        return problems

    def problems(self, person: Person, station: Station, post: str, *,
                 replacing: Assignment | None = None) -> list[RuleError]:
        """Every reason ``person`` may not take ``post`` at ``station``."""
        labels = dict(StationPost.choices)
        out: list[RuleError] = []
        if person.county_id != station.county_id:
            out.append(RuleError(_("%(name)s is registered with another county."),
                                 code="other_county", name=person.full_name))
        if post not in person.post_list:
            out.append(RuleError(
                _("%(name)s may not take the post “%(post)s”: it is not among their posts."),
                code="post_not_allowed", name=person.full_name, post=labels.get(post, post)))
        if not person.available:
            out.append(RuleError(_("%(name)s is not available on election day."),
                                 code="not_available", name=person.full_name))
        rule = self.rules.get(ONE_POST)
        held = self.posted.get(person.pk)
        if rule is not None and held is not None and not (
                replacing is not None and replacing.person_id == person.pk):
            out.append(_refusal(rule, _("%(name)s already holds a post in this election. "
                                        "Rule “%(rule)s” (%(reference)s)."),
                                ONE_POST, name=person.full_name))
        rule = self.rules.get(CANDIDATE)
        if rule is not None and person.national_id in self.candidates:
            out.append(_refusal(rule, _("%(name)s is a candidate in this election and cannot "
                                        "serve at a station. Rule “%(rule)s” (%(reference)s)."),
                                CANDIDATE, name=person.full_name))
        out += self._station_problems(person, station, post)
        rule = self.rules.get(TRAINING)
        if rule is not None and person.national_id not in self.trained.get(post, set()):
            out.append(_refusal(rule, _("%(name)s has not completed the course for the post "
                                        "“%(post)s”. Rule “%(rule)s” (%(reference)s)."),
                                TRAINING, name=person.full_name, post=labels.get(post, post)))
        return out


def check(*, election: Election, person: Person, station: Station, post: str,
          replacing: Assignment | None = None) -> None:
    """Raise the first reason ``person`` may not take ``post`` at ``station``."""
    problems = Checker.load(election, [person]).problems(person, station, post,
                                                         replacing=replacing)
    if problems:
        raise problems[0]


def broken(assignments: Iterable[Assignment]) -> list[tuple[Assignment, RuleError]]:
    """The posts among ``assignments`` (of one election) that the rules refuse *now*,
    each with its first reason. The rules are checked when a post is given, but the facts
    they read change afterwards: the holder registers as a candidate, a candidate declares
    them a relative, a pinned post is kept by the solver. Approval, the letter and the
    public check call this so that none of them vouches for such a post."""
    held = list(assignments)
    if not held:
        return []
    checker = Checker.load(held[0].election, [a.person for a in held])
    out = []
    for assignment in held:
        problems = checker.problems(assignment.person, assignment.station, assignment.post,
                                    replacing=assignment)
        if problems:
            out.append((assignment, problems[0]))
    return out
