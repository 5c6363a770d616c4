"""Walk every URL for every persona, by GET and by POST, and compare each answer with the
policy.

Each route must be listed in ``EXPECTATIONS`` (url name → what the policy says about it);
a new view without an entry makes ``test_every_url_answers_as_the_policy_says`` fail.
Objects in path parameters are taken both inside and outside each persona's scope, and
the expected answer comes from ``access.can`` (the policy table plus unit paths).

Every route is also POSTed: without a CSRF token (refused with 403, nothing written), and
with a valid one (allowed: the view acts; denied: 404/403 and nothing written but the
``access.denied`` audit entry). Each POST runs in a savepoint that is rolled back, so one
persona's allowed write does not change what the next one sees.

``test_password_only_sessions_reach_nothing_but_sign_in`` walks every route once more as
users who must pass TOTP and have only given their password.
"""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Max
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts import access, services
from amanat.accounts.access import needs_second_factor
from amanat.accounts.models import ApiToken, Membership
from amanat.accounts.testing import Personas, sign_in
from amanat.audit.models import Event
from amanat.core import jobs
from amanat.geo.models import AdminUnit

# Routes not walked, each with its reason.
SKIPPED_NAMESPACES = {
    "admin": "Django admin: OTPAdminSite; walked by test_admin_refuses_password_only_staff.",
}
SKIPPED_NAMES = {
    "api:api-root": "django-ninja's root marker; it serves nothing (404 for everyone).",
    "api_fallback": "the API's own routes without their slash (walked as those) and a JSON "
                    "404; stations/tests/test_api.py walks it for every API route.",
}

# Kinds of route:
PUBLIC = "public"  # reachable signed out
SIGNED_IN = "signed_in"  # any signed-in user (API: any valid token)
LIST = "list"  # allowed if the role may act anywhere; otherwise 404/403
OBJECT = "object"  # a path parameter names an object: allowed in scope, else 404
NATIONAL = "national"  # unit-less national object: allowed for country-level roles only
OWN = "own"  # a personal object (an API token): its owner only ("_owner" in the case), else 404
WEBHOOK = "webhook"  # signed by a gateway, not by a user: refused without the signature
# The old kind for POST-only routes said nothing about who may post; an entry that still
# uses it is reported: give the route's policy with one of the kinds above and
# ``post_only=True``.
POST_ONLY = "post_only"

# What a session that has given only the password may reach when its user must pass TOTP
# (besides PUBLIC pages, which it sees signed out): "always", or "until_enrolled" (only
# while the user has no confirmed device). Everything else sends it to verification.
BEFORE_SECOND_FACTOR = {
    "login": "always",
    "logout": "always",
    "accounts_otp_verify": "always",
    "accounts_otp_enrol": "until_enrolled",
}

# Who also POSTs without the token (see _walk_one).
CSRF_WITHOUT_TOKEN_AS = frozenset({"anonymous", "admin"})
# A CSRF token the walk's clients hold in their cookie and send with their POSTs.
CSRF_TOKEN = ("walk" + "0123456789" * 3)[:32]


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Any = None
    milestone: Any = None
    checkpoint: Any = None
    tokens: dict[str, str] = field(default_factory=dict)
    token_ids: dict[str, int] = field(default_factory=dict)


ObjectsFn = Callable[[World], list[tuple[dict[str, Any], AdminUnit | None]]]
# The form data of the walk's POST for one case (default: none but the CSRF token).
PostFn = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Expect:
    kind: str
    model: str | None = None
    action: str = "view"
    objects: ObjectsFn | None = None
    post_only: bool = False  # a GET is refused with 405
    post: PostFn | None = None
    # Further object types the user must also be allowed to view at the unit (a page
    # that shows both, e.g. the cases about a candidate).
    also: tuple[str, ...] = ()


def _units(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.all()]


def _memberships(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [
        ({"membership_id": m.pk}, m.unit) for m in Membership.objects.select_related("unit")
    ]


def _election(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"slug": world.election.slug}, None)]


def _milestone(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"slug": world.election.slug, "milestone_id": world.milestone.pk}, None)]


def _checkpoint(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"checkpoint_id": world.checkpoint.pk}, None)]


def _tokens(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """Each persona's walk token; ``_owner`` (not a URL part) says whose it is."""
    personas = dict(world.personas.items())
    return [({"token_id": pk, "_owner": personas[who].pk}, None)
            for who, pk in world.token_ids.items()]


def _jobs(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """A job each persona started from a page: its progress is its starter's only."""
    return [({"pk": str(jobs.job_create(kind="walk", title=who, user_id=user.pk).pk),
              "_owner": user.pk}, None) for who, user in world.personas.items()]


def _totp_users(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """A user with an authenticator (the Tehran officer's, made when they sign in)."""
    officer = world.personas.tehran_officer
    TOTPDevice.objects.get_or_create(user=officer, name="test", defaults={"confirmed": True})
    return [({"user_id": officer.pk}, None)]


def _walk_stations(world: World) -> list[Any]:
    """One station in Gharchak and one in Kerman (created once per world)."""
    from amanat.stations.models import Station

    stations = []
    for code, county, unit in (("W1", world.geo.gharchak, world.geo.gharchak_city),
                               ("W2", world.geo.kerman_county, world.geo.villages[0])):
        station, _ = Station.objects.get_or_create(
            election=world.election, county=county, code=code,
            defaults={"name": code, "unit": unit, "unit_path": unit.path},
        )
        stations.append(station)
    return stations


def _stations(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"station_id": s.pk}, s.unit) for s in _walk_stations(world)]


def _ops_units(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """The units an election-day dashboard is drawn for: the country, provinces, counties."""
    return [({"unit_id": u.pk}, u)
            for u in AdminUnit.objects.filter(kind__in=("country", "province", "county"))]


def _station_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_stations(world)
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _station_import(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """A rejected upload kept for its error report, made by the Gharchak governor."""
    from amanat.stations import uploads

    governor, unit = world.personas.gharchak_governor, world.geo.gharchak
    stored = uploads.import_store(data=b"x", ext="csv", owner_id=governor.pk, unit_id=unit.pk,
                                  election_id=world.election.pk, original_name="x.csv")
    default_storage.save(stored.errors_name, ContentFile(b"error\n"))
    return [({"import_id": stored.id}, unit)]


def _walk_council_actions(world: World) -> list[Any]:
    """A council in Gharchak and one in Kerman, each with a meeting, a decision and an
    action item owned by the police (created once per world)."""
    from amanat.accounts.models import Agency
    from amanat.councils.models import ActionItem, Council, Decision, Meeting

    police = Agency.objects.get(code="police")
    actions = []
    for unit in (world.geo.gharchak, world.geo.kerman_county):
        council, _ = Council.objects.get_or_create(
            unit=unit, kind="security_council", name=f"walk {unit.code}",
            defaults={"unit_path": unit.path},
        )
        meeting, _ = Meeting.objects.get_or_create(
            council=council, number=1, defaults={"held_on": datetime.date(2026, 2, 1)})
        decision, _ = Decision.objects.get_or_create(meeting=meeting, number=1,
                                                     defaults={"text": "walk"})
        action, _ = ActionItem.objects.get_or_create(
            decision=decision, text="walk",
            defaults={"owner": police, "due_on": datetime.date(2026, 2, 8)})
        actions.append(action)
    return actions


def _councils(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"council_id": a.decision.meeting.council_id}, a.decision.meeting.council.unit)
            for a in _walk_council_actions(world)]


def _meetings(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"meeting_id": a.decision.meeting_id}, a.decision.meeting.council.unit)
            for a in _walk_council_actions(world)]


def _decisions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"decision_id": a.decision_id}, a.decision.meeting.council.unit)
            for a in _walk_council_actions(world)]


def _council_actions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"action_id": a.pk}, a.decision.meeting.council.unit)
            for a in _walk_council_actions(world)]


def _walk_incidents(world: World) -> dict[str, list[Any]]:
    """Per county (Gharchak, Kerman): a case routed to the police and a report with an
    evidence file that is in no case (created once per world)."""
    from amanat.accounts.models import Agency
    from amanat.incidents import services as incidents
    from amanat.incidents.evidence import check_bytes
    from amanat.incidents.models import Case, Category, Evidence

    if Case.objects.exists():
        return {"cases": list(Case.objects.order_by("pk")),
                "evidence": list(Evidence.objects.select_related("report").order_by("pk"))}
    admin, police = world.personas.admin, Agency.objects.get(code="police")
    category = Category.objects.get(code="vote_buying")
    cases, evidence = [], []
    for station in _walk_stations(world):
        report = incidents.report_receive(channel="web", category=category, text="walk",
                                          station=station, actor=admin).report
        case = incidents.case_open_from_report(report=report, actor=admin)
        incidents.case_triage(case=case, actor=admin)
        cases.append(incidents.case_assign(case=case, actor=admin, agency=police))
        loose = incidents.report_receive(
            channel="web", category=category, text="walk evidence", station=station,
            actor=admin, evidence=[check_bytes(b"%PDF-1.4 walk", "walk.pdf")],
        ).report
        evidence.append(loose.evidence.get())
    return {"cases": cases, "evidence": evidence}


def _incident_cases(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"case_id": c.pk}, c.unit) for c in _walk_incidents(world)["cases"]]


def _incident_case_steps(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"case_id": c.pk, "step": "start"}, c.unit)
            for c in _walk_incidents(world)["cases"]]


def _incident_reports(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """Each loose report, with the case of the same county (``_case``, for attaching)."""
    walked = _walk_incidents(world)
    return [({"report_id": e.report_id, "_case": c.pk}, e.report.unit)
            for e, c in zip(walked["evidence"], walked["cases"], strict=True)]


def _attach_to_case(case: dict[str, Any]) -> dict[str, Any]:
    return {"case": case["_case"]}


def _incident_evidence(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"evidence_id": e.pk}, e.report.unit) for e in _walk_incidents(world)["evidence"]]


def _incident_categories(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    from amanat.incidents.models import Category

    return [({"category_id": Category.objects.order_by("pk").values_list("pk", flat=True)[0]},
             None)]


def _open_data_formats(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"fmt": "csv"}, None), ({"fmt": "json"}, None)]


def _atlas_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _atlas_provinces(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="province")]


def _atlas_units(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """Counties and provinces: the units the atlas scores (the world is recomputed)."""
    return _atlas_counties(world) + _atlas_provinces(world)

def _candidate_rows(world: World) -> dict[str, list[Any]]:
    from amanat.candidates.tests.review_factories import walk_rows

    _walk_candidates(world)  # the registration half's rows first (made in an empty table)
    return walk_rows(world.election, world.geo, world.personas.admin)


def _review_candidacies(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"candidacy_id": c.pk}, c.county) for c in _candidate_rows(world)["candidacies"]]


def _candidate_inquiries(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"inquiry_id": q.pk}, q.candidacy.county)
            for q in _candidate_rows(world)["inquiries"]]


def _candidate_decisions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"decision_id": d.pk}, d.candidacy.county)
            for d in _candidate_rows(world)["decisions"]]


def _candidate_complaints(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"complaint_id": c.pk}, c.candidacy.county)
            for c in _candidate_rows(world)["complaints"]]


def _final_entries(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"entry_id": e.pk}, e.candidacy.county) for e in _candidate_rows(world)["entries"]]


def _final_constituencies(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"contest_id": e.final_list.contest_id,
              "constituency_id": e.final_list.constituency_id},
             e.final_list.constituency.unit) for e in _candidate_rows(world)["entries"]]


def _final_lists(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"list_id": e.final_list_id}, None) for e in _candidate_rows(world)["entries"][:1]]



def _training(world: World) -> dict[str, list[Any]]:
    from amanat.training.tests.factories import walk_rows

    return walk_rows(world.election, world.geo)


def _training_courses(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """A national course is read by every role that reads courses (unit None); a county
    course only in its county's scope."""
    return [({"course_id": c.pk}, None if c.unit.kind == "country" else c.unit)
            for c in _training(world)["courses"] if not c.public]


def _training_courses_to_edit(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"course_id": c.pk}, c.unit) for c in _training(world)["courses"]
            if not c.public]


def _training_public(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"course_id": c.pk}, None) for c in _training(world)["public"]]


def _training_sessions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"session_id": s.pk}, s.unit) for s in _training(world)["sessions"]]


def _training_session_exports(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"session_id": s.pk, "fmt": "csv"}, s.unit) for s in _training(world)["sessions"]]


def _training_exports(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({**kwargs, "fmt": "xlsx"}, unit) for kwargs, unit in _training_courses(world)]


def _training_completions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"completion_id": c.pk}, c.unit) for c in _training(world)["completions"]]


def _walk_candidates(world: World) -> list[Any]:
    """A city council contest with a city constituency in Gharchak and one in Kerman, a
    pre-registered candidacy in each, each with one document (created once per world)."""
    from amanat.candidates import services as candidates
    from amanat.candidates.files import check_bytes
    from amanat.candidates.models import Candidacy, DocumentType
    from amanat.elections.models import Contest, Milestone, PhaseKind
    from amanat.geo.models import Constituency
    from amanat.lib.nationalid import with_check_digit

    if Candidacy.objects.filter(reference__in=("W0", "W1")).exists():
        # Only these two: the review's walk rows (TW…) are candidacies too.
        return list(Candidacy.objects.filter(reference__in=("W0", "W1"))
                    .select_related("county").order_by("pk"))
    election = world.election
    for code, due in (("candidate_registration_opens", election.election_day.replace(day=1)),
                      ("candidate_registration_closes", election.election_day)):
        Milestone.objects.get_or_create(election=election, code=code, defaults={
            "name": code, "due": due, "phase": PhaseKind.BEFORE})
    contest, _ = Contest.objects.get_or_create(election=election, kind="city_council",
                                               name="walk council")
    doc_type, _ = DocumentType.objects.get_or_create(
        contest_kind="city_council", code="id_card",
        defaults={"name_fa": "walk", "name_en": "walk", "allowed_types": ["pdf"]})
    candidacies = []
    for n, (county, city) in enumerate(((world.geo.gharchak, world.geo.gharchak_city),
                                        (world.geo.kerman_county, world.geo.kerman_city))):
        constituency = Constituency.objects.create(
            code=f"CT-W{n}", name=f"walk {n}", kind="city", province=city.parent.parent.parent,
            unit=city, unit_path=city.path, seats=5)
        contest.constituencies.add(constituency)
        candidacy = Candidacy.objects.create(
            reference=f"W{n}", election=election, contest=contest, constituency=constituency,
            county=county, unit_path=county.path, state="pre_registered", channel="online",
            national_id=with_check_digit(f"00000010{n}"), first_name="walk", last_name=str(n),
            gender="male", birth_date=datetime.date(1980, 1, 1), education=5,
            mobile="09120000000", search_text="walk")
        candidates.document_upload(actor=world.personas.admin, candidacy=candidacy,
                                   document_type=doc_type,
                                   checked=check_bytes(b"%PDF-1.4 walk", "walk.pdf"))
        candidacies.append(candidacy)
    return candidacies


def _candidacies(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"candidacy_id": c.pk}, c.county) for c in _walk_candidates(world)]


def _candidate_documents(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"document_id": c.documents.get().pk}, c.county) for c in _walk_candidates(world)]


def _constituencies(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"constituency_id": c.constituency_id}, None) for c in _walk_candidates(world)]


def _walk_boards(world: World) -> list[Any]:
    """A complete three-person inspection board in Gharchak and one in Kerman."""
    from amanat.boards.demo import complete_board
    from amanat.boards.models import BoardKind

    return [complete_board(election=world.election, kind=BoardKind.COUNTY_INSPECTION,
                           unit=unit)[0]
            for unit in (world.geo.gharchak, world.geo.kerman_county)]


def _boards(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"board_id": b.pk}, b.unit) for b in _walk_boards(world)]


def _board_members(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"member_id": b.members.filter(is_chair=False).first().pk}, b.unit)
            for b in _walk_boards(world)]
def _walk_staffing(world: World) -> list[Any]:
    """A person in Gharchak and one in Kerman, each assigned to the walk's station of
    their county (created once per world; the rules are switched off for the walk's
    assignment, which is written directly)."""
    from amanat.staffing.models import Assignment, Person
    from amanat.staffing.tests.conftest import nid

    stations = _walk_stations(world)
    people = []
    for n, station in enumerate(stations):
        person, _ = Person.objects.get_or_create(
            national_id=nid(900 + n), defaults={
                "county": station.county, "home_unit": station.unit,
                "unit_path": station.unit_path, "first_name": "walk", "last_name": str(n),
                "posts": "member"})
        Assignment.objects.get_or_create(
            election=world.election, station=station, post="member", slot=1, defaults={
                "county": station.county, "unit_path": station.unit_path, "person": person})
        people.append(person)
    return people


def _staffing_people(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"pk": p.pk}, p.home_unit) for p in _walk_staffing(world)]


def _staffing_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_staffing(world)
    return [({"pk": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _staffing_stations(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_staffing(world)
    return [({"pk": s.pk}, s.unit) for s in _walk_stations(world)]


def _operations_station_codes(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """The station-day API names a station as county code-station code."""
    return [({"station": f"{s.county.code}-{s.code}"}, s.unit) for s in _walk_stations(world)]


def _staffing_api_stations(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_staffing(world)
    return [({"station_id": s.pk}, s.unit) for s in _walk_stations(world)]


def _staffing_letters(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    from amanat.staffing.models import Assignment

    _walk_staffing(world)
    return [({"pk": a.pk}, a.station.unit) for a in Assignment.objects.select_related(
        "station__unit")]


def _walk_plans(world: World) -> dict[str, Any]:
    """Per county (Gharchak, Kerman): the localisation of an issued directive with a
    measure owned by the police, an alert of a national scenario, a playbook run with a
    step, and a security plan (created once per world)."""
    from amanat.accounts.models import Agency
    from amanat.plans import models as plans
    from amanat.plans.playbooks import build

    found = plans.Directive.objects.filter(code="walk").first()
    if found is not None:
        return {
            "directive": found, "scenario": plans.Scenario.objects.get(code="walk"),
            "localisations": list(plans.Localisation.objects.order_by("pk")),
            "measures": list(plans.Measure.objects.order_by("pk")),
            "alerts": list(plans.Alert.objects.order_by("pk")),
            "runs": list(plans.PlaybookRun.objects.order_by("pk")),
            "steps": list(plans.RunStep.objects.order_by("pk")),
            "plans": list(plans.SecurityPlan.objects.order_by("pk")),
        }
    police = Agency.objects.get(code="police")
    directive = plans.Directive.objects.create(
        election=world.election, code="walk", title="walk", text="walk", status="issued",
        localise_by=datetime.date(2026, 3, 1))
    measure = plans.DirectiveMeasure.objects.create(
        directive=directive, order=1, title="walk", phase="before", owner=police,
        due_on=datetime.date(2026, 3, 1))
    threat = plans.Threat.objects.create(code="walk", name_fa="walk")
    scenario = plans.Scenario.objects.create(
        code="walk", threat=threat, title="walk", alert_roles=["governor"],
        playbook=build("walk", "walk", [("police", "walk")]))
    indicator = plans.Indicator.objects.create(scenario=scenario, kind="open_serious_cases",
                                               threshold=1)
    for unit in (world.geo.gharchak, world.geo.kerman_county):
        loc = plans.Localisation.objects.create(directive=directive, unit=unit,
                                                unit_path=unit.path)
        plans.Measure.objects.create(
            election=world.election, unit=unit, unit_path=unit.path, title="walk",
            phase="before", owner=police, due_on=datetime.date(2026, 3, 1),
            source="directive", localisation=loc, directive_measure=measure)
        alert = plans.Alert.objects.create(indicator=indicator, unit=unit, unit_path=unit.path,
                                           value=2, threshold=1, roles=["governor"])
        run = plans.PlaybookRun.objects.create(scenario=scenario, alert=alert, unit=unit,
                                               unit_path=unit.path)
        plans.RunStep.objects.create(run=run, order=1, step_id="action--1", title="walk",
                                     owner=police)
        plans.SecurityPlan.objects.create(election=world.election, unit=unit,
                                          unit_path=unit.path, summary="walk",
                                          status="in_review")
    return _walk_plans(world)


def _plans_directives(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"directive_id": _walk_plans(world)["directive"].pk}, None)]


def _plans_localise(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """Start localising the walk's directive in each county (both started already: the
    allowed POST answers with its refusal)."""
    directive = _walk_plans(world)["directive"]
    return [({"directive_id": directive.pk, "unit_id": u.pk}, u)
            for u in (world.geo.gharchak, world.geo.kerman_county)]


def _plans_localisations(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"localisation_id": loc.pk}, loc.unit)
            for loc in _walk_plans(world)["localisations"]]


def _plans_measures(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"measure_id": m.pk}, m.unit) for m in _walk_plans(world)["measures"]]


def _plans_scenarios(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"scenario_id": _walk_plans(world)["scenario"].pk}, None)]


def _plans_indicators(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    scenario = _walk_plans(world)["scenario"]
    return [({"indicator_id": i.pk}, None) for i in scenario.indicators.all()]


def _plans_step_positions(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"scenario_id": _walk_plans(world)["scenario"].pk, "position": 1}, None)]


def _plans_run_start(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    scenario = _walk_plans(world)["scenario"]
    return [({"scenario_id": scenario.pk, "unit_id": u.pk}, u)
            for u in (world.geo.gharchak, world.geo.kerman_county)]


def _plans_alerts(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"alert_id": a.pk}, a.unit) for a in _walk_plans(world)["alerts"]]


def _plans_runs(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"run_id": r.pk}, r.unit) for r in _walk_plans(world)["runs"]]


def _plans_steps(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"step_id": s.pk}, s.run.unit) for s in _walk_plans(world)["steps"]]


def _plans_security_plans(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"plan_id": p.pk}, p.unit) for p in _walk_plans(world)["plans"]]


def _plans_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_plans(world)
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _plans_threat_rate(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    threat = _walk_plans(world)["scenario"].threat
    return [({"unit_id": u.pk, "threat_id": threat.pk}, u)
            for u in AdminUnit.objects.filter(kind="county")]


def _walk_operations(world: World) -> dict[str, Any]:
    """Per walk station (Gharchak, Kerman): a flagged turnout check-in with its flag and
    a silent and a quality alert (created once per world)."""
    from amanat.operations import models as ops
    from amanat.operations import services as ops_services

    found = list(ops.Alert.objects.order_by("pk"))
    if found:
        return {"alerts": found, "flags": list(ops.Flag.objects.order_by("pk")),
                "rule": ops.QualityRule.objects.order_by("pk").first()}
    windows = {w.code: w for w in ops_services.windows_default_create(
        election=world.election, actor=None)}
    rule = ops.QualityRule.objects.get(code="turnout-above-registered")
    for station in _walk_stations(world):
        checkin = ops.Checkin.objects.create(
            election=world.election, station=station, county=station.county,
            unit_path=station.unit_path, window=windows["T1"], kind="turnout", source="web",
            voters=900, state="quarantined")
        flag = ops.Flag.objects.create(
            checkin=checkin, rule=rule, election=world.election, station=station,
            county=station.county, unit_path=station.unit_path, values={"voters": 900})
        for kind, with_flag in (("silent", None), ("quality", flag)):
            ops.Alert.objects.create(election=world.election, station=station,
                                     county=station.county, unit_path=station.unit_path,
                                     kind=kind, flag=with_flag)
    return _walk_operations(world)


def _ops_alerts(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"alert_id": a.pk}, a.station.unit) for a in _walk_operations(world)["alerts"]]


def _ops_flags(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"flag_id": f.pk}, f.station.unit) for f in _walk_operations(world)["flags"]]


def _ops_rules(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"rule_id": _walk_operations(world)["rule"].pk}, None)]


EXPECTATIONS: dict[str, Expect] = {
    # accounts
    "login": Expect(PUBLIC),
    "logout": Expect(SIGNED_IN, post_only=True),
    "set_language": Expect(PUBLIC),
    "accounts_profile": Expect(SIGNED_IN),
    "accounts_password_change": Expect(SIGNED_IN),
    "accounts_otp_enrol": Expect(SIGNED_IN),
    "accounts_otp_verify": Expect(SIGNED_IN),
    # resetting someone's lost authenticator: national administrators only
    "accounts_otp_reset": Expect(NATIONAL, "otp_totp.totpdevice", action="delete",
                                 objects=_totp_users, post_only=True),
    "accounts_memberships": Expect(LIST, "accounts.membership"),
    "accounts_membership_grant": Expect(LIST, "accounts.membership", action="create",
                                        post_only=True),
    "accounts_membership": Expect(OBJECT, "accounts.membership", objects=_memberships),
    "accounts_membership_revoke": Expect(OBJECT, "accounts.membership", action="delete",
                                         objects=_memberships, post_only=True),
    # API
    "api:openapi-json": Expect(PUBLIC),
    "api:me": Expect(SIGNED_IN),
    "api:unit": Expect(OBJECT, "geo.adminunit", objects=_units),
    "api:stations": Expect(LIST, "stations.station"),
    "api:station": Expect(OBJECT, "stations.station", objects=_stations),
    # home, geography (official divisions: reference data for every signed-in user,
    # unit pages scoped like every other object)
    # signed out: the public portal's home (amanat/portal); signed in: the work page
    "site:home": Expect(PUBLIC),
    "geo:index": Expect(SIGNED_IN),
    "geo:search": Expect(SIGNED_IN),
    "geo:basemap": Expect(SIGNED_IN),
    "site:guide": Expect(SIGNED_IN),
    "site:jobs": Expect(SIGNED_IN),
    "site:job": Expect(OWN, objects=_jobs),
    "site:job_status": Expect(OWN, objects=_jobs),
    "site:guide_page": Expect(SIGNED_IN, objects=lambda world: [({"page": "governor"}, None)]),
    "geo:unit": Expect(OBJECT, "geo.adminunit", objects=_units),
    # elections calendar: national dates, read by everyone signed in
    "elections:list": Expect(SIGNED_IN),
    "elections:calendar": Expect(SIGNED_IN, objects=_election),
    # audit log: national auditors and administrators (the policy's audit.event entry)
    "audit:events": Expect(LIST, "audit.event"),
    # audited downloads are POST (a GET never writes)
    "audit:export": Expect(NATIONAL, "audit.event", action="export", post_only=True),
    "audit:checkpoints": Expect(LIST, "audit.event"),
    "audit:checkpoint": Expect(LIST, "audit.event", objects=_checkpoint),
    "elections:milestone_edit": Expect(
        NATIONAL, "elections.milestone", action="change", objects=_milestone
    ),
    # station registry pages: viewing for every role in scope; edit, upload, export by policy
    "stations:list": Expect(LIST, "stations.station"),
    "stations:detail": Expect(OBJECT, "stations.station", objects=_stations),
    "stations:edit": Expect(OBJECT, "stations.station", action="change", objects=_stations),
    "stations:export_csv": Expect(LIST, "stations.station", action="export", post_only=True),
    "stations:export_xlsx": Expect(LIST, "stations.station", action="export", post_only=True),
    "stations:import": Expect(LIST, "stations.station", action="create"),
    "stations:import_errors": Expect(
        OBJECT, "stations.station", action="create", objects=_station_import, post_only=True
    ),
    "stations:readiness": Expect(LIST, "stations.station"),
    "stations:map": Expect(LIST, "stations.station"),
    "stations:map_data": Expect(LIST, "stations.station"),
    "stations:readiness_county": Expect(OBJECT, "stations.station", objects=_station_counties),
    # A personal page: the user's own API tokens and their stations.
    "stations:api_tokens": Expect(SIGNED_IN),
    "stations:api_token_issue": Expect(SIGNED_IN, post_only=True),
    "stations:api_token_revoke": Expect(OWN, objects=_tokens, post_only=True),
    # election security atlas: scores viewable in scope; inputs and PDF export by policy
    "atlas:national": Expect(LIST, "atlas.score"),
    "atlas:thresholds": Expect(NATIONAL, "atlas.tierthreshold", action="change"),
    "atlas:factors": Expect(LIST, "atlas.score"),
    "atlas:factors_edit": Expect(NATIONAL, "atlas.factorcatalogue", action="change"),
    "atlas:province_tier_edit": Expect(OBJECT, "atlas.nationaltier", action="change",
                                       objects=_atlas_provinces),
    "atlas:province_pdf": Expect(OBJECT, "atlas.score", action="export",
                                 objects=_atlas_provinces, post_only=True),
    "api:atlas_units": Expect(LIST, "atlas.score"),
    "api:atlas_unit": Expect(OBJECT, "atlas.score", objects=_atlas_units),
    "api:atlas_factors": Expect(LIST, "atlas.score"),
    "api:plans_compliance": Expect(LIST, "plans.localisation"),
    "api:plans_county_measures": Expect(OBJECT, "plans.measure", objects=_plans_counties),
    "atlas:compare": Expect(LIST, "atlas.score"),
    "atlas:province": Expect(OBJECT, "atlas.score", objects=_atlas_provinces),
    "atlas:county": Expect(OBJECT, "atlas.score", objects=_atlas_counties),
    "atlas:county_pdf": Expect(OBJECT, "atlas.score", action="export",
                               objects=_atlas_counties, post_only=True),
    "atlas:assessment_new": Expect(OBJECT, "atlas.assessment", action="create",
                                   objects=_atlas_counties),
    "atlas:tier_edit": Expect(OBJECT, "atlas.nationaltier", action="change",
                              objects=_atlas_counties),
    # security councils: council and meeting pages by unit scope; action items also for
    # agency officers (the walk's items are owned by the police, the officer's agency)
    "councils:list": Expect(LIST, "councils.council"),
    "councils:council": Expect(OBJECT, "councils.council", objects=_councils),
    "councils:meeting_new": Expect(OBJECT, "councils.meeting", action="create",
                                   objects=_councils),
    "councils:meeting": Expect(OBJECT, "councils.meeting", objects=_meetings),
    "councils:meeting_edit": Expect(OBJECT, "councils.meeting", action="change",
                                    objects=_meetings),
    "councils:agenda_add": Expect(OBJECT, "councils.meeting", action="change",
                                  objects=_meetings),
    "councils:decision_add": Expect(OBJECT, "councils.meeting", action="change",
                                    objects=_meetings),
    "councils:agenda_pdf": Expect(OBJECT, "councils.meeting", objects=_meetings,
                                  post_only=True),  # audited download
    "councils:action_add": Expect(OBJECT, "councils.meeting", action="change",
                                  objects=_decisions),
    "councils:actions": Expect(LIST, "councils.actionitem"),
    "councils:action_status": Expect(OBJECT, "councils.actionitem", action="change",
                                     objects=_council_actions, post_only=True),
    # security plans: the catalogue for every role; a county's plan, measures, scenarios
    # and alerts in scope; agency officers report their agency's measures (the walk's are
    # the police's); directives by the ministry; approval by the governor only
    "plans:dashboard": Expect(LIST, "plans.localisation"),
    "plans:work": Expect(LIST, "plans.measure"),
    "plans:gaps": Expect(LIST, "plans.measure"),
    "plans:threats": Expect(LIST, "plans.threat"),
    "plans:county": Expect(OBJECT, "plans.measure", objects=_plans_counties),
    "plans:threat_new": Expect(OBJECT, "plans.threat", action="create",
                               objects=_plans_counties),
    "plans:threat_rate": Expect(OBJECT, "plans.threat", action="change",
                                objects=_plans_threat_rate),
    "plans:measure_new": Expect(OBJECT, "plans.measure", action="create",
                                objects=_plans_counties),
    "plans:tier_measures": Expect(OBJECT, "plans.measure", action="create",
                                  objects=_plans_counties, post_only=True),
    "plans:measure_report": Expect(OBJECT, "plans.measure", action="change",
                                   objects=_plans_measures),
    "plans:directives": Expect(LIST, "plans.directive"),
    "plans:directive_new": Expect(NATIONAL, "plans.directive", action="create"),
    "plans:directive": Expect(LIST, "plans.directive", objects=_plans_directives),
    "plans:directive_measure_add": Expect(NATIONAL, "plans.directive", action="change",
                                          objects=_plans_directives),
    "plans:directive_issue": Expect(NATIONAL, "plans.directive", action="change",
                                    objects=_plans_directives, post_only=True),
    "plans:localise": Expect(OBJECT, "plans.localisation", action="create",
                             objects=_plans_localise, post_only=True),
    "plans:localisation": Expect(OBJECT, "plans.localisation", objects=_plans_localisations),
    "plans:localisation_edit": Expect(OBJECT, "plans.localisation", action="change",
                                      objects=_plans_localisations),
    "plans:localisation_measure_add": Expect(OBJECT, "plans.localisation", action="change",
                                             objects=_plans_localisations),
    "plans:localisation_approve": Expect(OBJECT, "plans.approval", action="change",
                                         objects=_plans_localisations, post_only=True),
    "plans:scenarios": Expect(LIST, "plans.scenario"),
    "plans:scenario": Expect(LIST, "plans.scenario", objects=_plans_scenarios),
    "plans:scenario_playbook": Expect(LIST, "plans.scenario", objects=_plans_scenarios),
    # Scenario editing: the walk's scenario is national, edited by national roles only.
    "plans:scenario_new": Expect(NATIONAL, "plans.scenario", action="change"),
    "plans:county_scenario_new": Expect(OBJECT, "plans.scenario", action="change",
                                        objects=_plans_counties),
    "plans:scenario_edit": Expect(NATIONAL, "plans.scenario", action="change",
                                  objects=_plans_scenarios),
    "plans:indicator_new": Expect(NATIONAL, "plans.scenario", action="change",
                                  objects=_plans_scenarios),
    "plans:indicator_edit": Expect(NATIONAL, "plans.scenario", action="change",
                                   objects=_plans_indicators),
    "plans:step_new": Expect(NATIONAL, "plans.scenario", action="change",
                             objects=_plans_scenarios),
    "plans:step_remove": Expect(NATIONAL, "plans.scenario", action="change",
                                objects=_plans_step_positions, post_only=True),
    "plans:run_start": Expect(OBJECT, "plans.scenario", action="change",
                              objects=_plans_run_start, post_only=True),
    "plans:alerts": Expect(LIST, "plans.scenario"),
    "plans:alert_ack": Expect(OBJECT, "plans.scenario", action="change",
                              objects=_plans_alerts, post_only=True),
    "plans:run": Expect(OBJECT, "plans.scenario", objects=_plans_runs),
    "plans:step_close": Expect(OBJECT, "plans.scenario", action="change",
                               objects=_plans_steps, post_only=True),
    "plans:plan": Expect(OBJECT, "plans.securityplan", objects=_plans_counties),
    "plans:plan_edit": Expect(OBJECT, "plans.securityplan", action="change",
                              objects=_plans_counties),
    "plans:plan_advance": Expect(OBJECT, "plans.securityplan", action="change",
                                 objects=_plans_security_plans, post_only=True),
    "plans:plan_comment": Expect(OBJECT, "plans.securityplan", action="create",
                                 objects=_plans_security_plans, post_only=True),
    "plans:plan_pdf": Expect(OBJECT, "plans.securityplan", action="export",
                             objects=_plans_security_plans, post_only=True),  # audited
    # violations and crimes: agency officers see cases routed to their agency (the walk's
    # cases are routed to the police, the officer's agency); evidence of a report in no case
    # follows the report's scope; the public report and status pages need no account
    "incidents:cases": Expect(LIST, "incidents.case"),
    "incidents:case": Expect(OBJECT, "incidents.case", objects=_incident_cases),
    "incidents:case_step": Expect(OBJECT, "incidents.case", action="change",
                                  objects=_incident_case_steps),
    "incidents:case_unlock": Expect(OBJECT, "incidents.case", action="change",
                                    objects=_incident_cases, post_only=True),
    "incidents:case_evidence": Expect(OBJECT, "incidents.case", action="change",
                                      objects=_incident_cases, post_only=True),
    "incidents:case_candidate": Expect(OBJECT, "incidents.case", action="change",
                                       objects=_incident_cases),
    "incidents:candidate_cases": Expect(OBJECT, "candidates.candidacy", objects=_candidacies,
                                        also=("incidents.case",)),
    "incidents:dashboard": Expect(LIST, "incidents.case"),
    "incidents:map": Expect(LIST, "incidents.case"),
    "incidents:map_data": Expect(LIST, "incidents.case"),
    "incidents:reports": Expect(LIST, "incidents.report"),
    "incidents:report_new": Expect(LIST, "incidents.report", action="create"),
    "incidents:report": Expect(OBJECT, "incidents.report", objects=_incident_reports),
    # triage: reading the report and changing cases in its county (the change roles are
    # a subset of the report's readers)
    "incidents:report_open_case": Expect(OBJECT, "incidents.case", action="change",
                                         objects=_incident_reports, post_only=True),
    "incidents:report_attach": Expect(OBJECT, "incidents.case", action="change",
                                      objects=_incident_reports, post_only=True,
                                      post=_attach_to_case),
    # audited download: POST (a GET never writes)
    "incidents:evidence": Expect(OBJECT, "incidents.report", objects=_incident_evidence,
                                 post_only=True),
    "incidents:categories": Expect(LIST, "incidents.category"),
    "incidents:category_edit": Expect(NATIONAL, "incidents.category", action="change",
                                      objects=_incident_categories),
    "public_report": Expect(PUBLIC),
    "public_report_status": Expect(PUBLIC),
    # candidates, the review half (issue 13): inquiries for the boards and the county
    # offices (answers only on an audited POST for the boards), decisions and complaints by
    # the boards, final lists published by the offices, public final lists and open data
    "candidates_review:queue": Expect(LIST, "candidates.candidacy"),
    "candidates_review:inquiries": Expect(LIST, "candidates.inquiry", action="create"),
    "candidates_review:inquiry_send": Expect(LIST, "candidates.inquiry", action="create"),
    "candidates_review:inquiry_import": Expect(LIST, "candidates.inquiry", action="change"),
    "candidates_review:inquiry_answer": Expect(OBJECT, "candidates.inquiry", action="change",
                                               objects=_candidate_inquiries),
    "candidates_review:review": Expect(OBJECT, "candidates.candidacy", objects=_review_candidacies),
    "candidates_review:answers": Expect(OBJECT, "candidates.inquiry", objects=_review_candidacies,
                                        post_only=True),
    "candidates_review:decide": Expect(OBJECT, "candidates.reviewdecision", action="create",
                                       objects=_review_candidacies, post_only=True),
    "candidates_review:check": Expect(OBJECT, "candidates.reviewdecision", action="create",
                                      objects=_candidate_decisions, post_only=True),
    "candidates_review:complaint_file": Expect(OBJECT, "candidates.complaint", action="create",
                                               objects=_review_candidacies, post_only=True),
    "candidates_review:complaint_decide": Expect(OBJECT, "candidates.complaint",
                                                 action="change",
                                                 objects=_candidate_complaints, post_only=True),
    "candidates_review:withdraw": Expect(OBJECT, "candidates.finallist", action="change",
                                         objects=_final_entries, post_only=True),
    "candidates_review:final_lists": Expect(LIST, "candidates.finallist", action="change"),
    "candidates_review:publish": Expect(OBJECT, "candidates.finallist", action="change",
                                        objects=_final_constituencies, post_only=True),
    "api:candidates_inquiry_answers": Expect(LIST, "candidates.inquiry", action="change",
                                             post_only=True),
    "public_final_lists": Expect(PUBLIC),
    "public_final_list": Expect(PUBLIC, objects=_final_lists),
    "public_final_list_csv": Expect(PUBLIC, objects=_final_lists),
    "public_final_list_json": Expect(PUBLIC, objects=_final_lists),
    "public_final_list_pdf": Expect(PUBLIC, objects=_final_lists),
    "api:incidents_report_create": Expect(LIST, "incidents.report", action="create",
                                          post_only=True),
    "api:incidents_sms": Expect(WEBHOOK, post_only=True),
    "api:operations_checkin_create": Expect(LIST, "operations.checkin", action="create",
                                            post_only=True),
    "api:operations_station_day": Expect(OBJECT, "operations.checkin",
                                         objects=_operations_station_codes),
    "api:sms_kannel": Expect(WEBHOOK),
    # the public portal (no account) and the field app (amanat/portal)
    "portal:finder": Expect(PUBLIC),
    "portal:finder_places": Expect(PUBLIC),
    "portal:open_data": Expect(PUBLIC),
    "portal:dictionary": Expect(PUBLIC),
    "portal:open_stations": Expect(PUBLIC, objects=_open_data_formats),
    "portal:open_statistics": Expect(PUBLIC, objects=_open_data_formats),
    "portal:awareness": Expect(PUBLIC),
    "portal:field_manifest": Expect(PUBLIC),
    "portal:field_sw": Expect(PUBLIC),
    "portal:field": Expect(LIST, "incidents.report", action="create"),
    "portal:field_stations": Expect(LIST, "incidents.report", action="create"),
    "portal:field_report": Expect(LIST, "incidents.report", action="create", post_only=True),
    # candidates: county staff register and confirm in their scope, the boards read;
    # downloads are audited POSTs; constituencies' seats are national; pre-registration
    # is public (steps two and three send back to step one without a registration under way)
    # boards (issue 14): the governor's office forms boards and appoints their members.
    "boards:list": Expect(LIST, "boards.board"),
    "boards:new": Expect(LIST, "boards.board", action="create"),
    "boards:detail": Expect(OBJECT, "boards.board", objects=_boards),
    "boards:member_new": Expect(OBJECT, "boards.board", action="change", objects=_boards),
    "boards:member_replace": Expect(OBJECT, "boards.board", action="change",
                                    objects=_board_members),
    "boards:member_end": Expect(OBJECT, "boards.board", action="change",
                                objects=_board_members),
    "boards:member_chair": Expect(OBJECT, "boards.board", action="change",
                                  objects=_board_members, post_only=True),
    "candidates:list": Expect(LIST, "candidates.candidacy"),
    "api:candidates": Expect(LIST, "candidates.candidacy"),
    "api:candidate": Expect(OBJECT, "candidates.candidacy", objects=_candidacies),
    "candidates:new": Expect(LIST, "candidates.candidacy", action="create"),
    "candidates:detail": Expect(OBJECT, "candidates.candidacy", objects=_candidacies),
    "candidates:confirm": Expect(OBJECT, "candidates.candidacy", action="change",
                                 objects=_candidacies, post_only=True),
    "candidates:document_upload": Expect(OBJECT, "candidates.candidacy", action="change",
                                         objects=_candidacies, post_only=True),
    "candidates:relative_new": Expect(OBJECT, "candidates.candidacy", action="change",
                                      objects=_candidacies, post_only=True),
    "candidates:document": Expect(OBJECT, "candidates.document",
                                  objects=_candidate_documents, post_only=True),
    "candidates:document_reject": Expect(OBJECT, "candidates.document", action="change",
                                         objects=_candidate_documents, post_only=True),
    "candidates:constituencies": Expect(LIST, "geo.constituency"),
    "candidates:constituency_edit": Expect(NATIONAL, "geo.constituency", action="change",
                                           objects=_constituencies),
    "candidates:register": Expect(PUBLIC),
    "candidates:register_confirm": Expect(PUBLIC),
    "candidates:register_documents": Expect(PUBLIC),
    # station staffing: the governor keeps the register and the roster, headquarters,
    # boards and the auditor read; downloads (audited) are POSTs; a letter's code is
    # checked publicly
    "staffing:counties": Expect(LIST, "staffing.roster"),
    "api:staffing_station_posts": Expect(OBJECT, "staffing.assignment",
                                         objects=_staffing_api_stations),
    "staffing:verify": Expect(PUBLIC),
    "staffing:county": Expect(OBJECT, "staffing.roster", objects=_staffing_counties),
    "staffing:county_assign": Expect(OBJECT, "staffing.roster", action="change",
                                     objects=_staffing_counties, post_only=True),
    "staffing:county_approve": Expect(OBJECT, "staffing.roster", action="change",
                                      objects=_staffing_counties, post_only=True),
    "staffing:county_roster_xlsx": Expect(OBJECT, "staffing.assignment", action="export",
                                          objects=_staffing_counties, post_only=True),
    "staffing:county_roster_pdf": Expect(OBJECT, "staffing.roster",
                                         objects=_staffing_counties, post_only=True),
    "staffing:people": Expect(OBJECT, "staffing.person", objects=_staffing_counties),
    "staffing:person_new": Expect(OBJECT, "staffing.person", action="create",
                                  objects=_staffing_counties),
    "staffing:people_import": Expect(OBJECT, "staffing.person", action="create",
                                     objects=_staffing_counties),
    "staffing:people_export": Expect(OBJECT, "staffing.person", action="export",
                                     objects=_staffing_counties, post_only=True),
    "staffing:person": Expect(OBJECT, "staffing.person", objects=_staffing_people),
    "staffing:person_edit": Expect(OBJECT, "staffing.person", action="change",
                                   objects=_staffing_people),
    "staffing:station": Expect(OBJECT, "staffing.assignment", objects=_staffing_stations),
    "staffing:station_assign": Expect(OBJECT, "staffing.assignment", action="change",
                                      objects=_staffing_stations, post_only=True),
    "staffing:station_roster_pdf": Expect(OBJECT, "staffing.assignment",
                                          objects=_staffing_stations, post_only=True),
    "staffing:letter_pdf": Expect(OBJECT, "staffing.assignment", action="change",
                                  objects=_staffing_letters, post_only=True),
    # training (issue 14): national courses are read by every role that reads courses,
    # county ones in scope; sessions, attendance and completions are the county's;
    # downloads and exports are audited; the awareness material and the certificate
    # check are public
    "training:courses": Expect(LIST, "training.course"),
    "training:course_new": Expect(LIST, "training.course", action="create"),
    "training:course": Expect(OBJECT, "training.course", objects=_training_courses),
    "training:course_edit": Expect(OBJECT, "training.course", action="change",
                                   objects=_training_courses_to_edit),
    "training:questions": Expect(OBJECT, "training.course", action="change",
                                 objects=_training_courses_to_edit),
    "training:course_enrol": Expect(OBJECT, "training.enrolment", action="create",
                                    objects=_training_courses, post_only=True),
    "training:assessment": Expect(OBJECT, "training.enrolment", action="create",
                                  objects=_training_courses),
    "training:session_new": Expect(OBJECT, "training.session", action="create",
                                   objects=_training_courses),
    "training:completions": Expect(OBJECT, "training.completion", objects=_training_courses),
    "training:completions_export": Expect(OBJECT, "training.completion", action="export",
                                          objects=_training_exports, post_only=True),
    "training:session": Expect(OBJECT, "training.session", objects=_training_sessions),
    "training:session_edit": Expect(OBJECT, "training.session", action="change",
                                    objects=_training_sessions),
    "training:session_enrol": Expect(OBJECT, "training.enrolment", action="create",
                                     objects=_training_sessions, post_only=True),
    "training:attendance": Expect(OBJECT, "training.enrolment", action="change",
                                  objects=_training_sessions, post_only=True),
    "training:attendance_import": Expect(OBJECT, "training.enrolment", action="change",
                                         objects=_training_sessions),
    "training:session_complete": Expect(OBJECT, "training.completion", action="create",
                                        objects=_training_sessions, post_only=True),
    "training:session_export": Expect(OBJECT, "training.enrolment", action="export",
                                      objects=_training_session_exports, post_only=True),
    "training:certificate": Expect(OBJECT, "training.completion",
                                   objects=_training_completions, post_only=True),
    "training_public": Expect(PUBLIC),
    "training_public_course": Expect(PUBLIC, objects=_training_public),
    "training_verify": Expect(PUBLIC),
    # election day (issue 16), opswatch: alerts and flags in scope; rules national
    "operations:alerts": Expect(LIST, "operations.alert"),
    "operations:alert": Expect(OBJECT, "operations.alert", objects=_ops_alerts),
    "operations:alert_acknowledge": Expect(OBJECT, "operations.alert", action="change",
                                           objects=_ops_alerts, post_only=True),
    "operations:alert_note": Expect(OBJECT, "operations.alert", action="change",
                                    objects=_ops_alerts, post_only=True,
                                    post=lambda kwargs: {"text": "walk"}),
    "operations:alert_close": Expect(OBJECT, "operations.alert", action="change",
                                     objects=_ops_alerts, post_only=True,
                                     post=lambda kwargs: {"note": "walk"}),
    "operations:flags": Expect(LIST, "operations.checkin"),
    "operations:flag": Expect(OBJECT, "operations.checkin", objects=_ops_flags),
    "operations:flag_verify": Expect(OBJECT, "operations.checkin", action="change",
                                     objects=_ops_flags, post_only=True),
    "operations:flag_correct": Expect(OBJECT, "operations.checkin", action="change",
                                      objects=_ops_flags, post_only=True,
                                      post=lambda kwargs: {"voters": 500}),
    "operations:rules": Expect(LIST, "operations.qualityrule"),
    "operations:rule_new": Expect(NATIONAL, "operations.qualityrule", action="create"),
    "operations:rule_edit": Expect(NATIONAL, "operations.qualityrule", action="change",
                                   objects=_ops_rules),
    "operations:rule_switch": Expect(NATIONAL, "operations.qualityrule", action="change",
                                     objects=_ops_rules, post_only=True),
    # election day (issue 16), the dashboard's branch: the dashboard at the country, a
    # province or a county; a station's day and its web check-in; the windows
    "operations:dashboard": Expect(LIST, "operations.checkin"),
    "operations:dashboard_unit": Expect(OBJECT, "operations.checkin", objects=_ops_units),
    "operations:dashboard_data": Expect(OBJECT, "operations.checkin", objects=_ops_units),
    "operations:station_day": Expect(OBJECT, "operations.checkin", objects=_stations),
    "operations:checkin": Expect(OBJECT, "operations.checkin", action="create",
                                 objects=_stations),
    "operations:windows": Expect(LIST, "operations.window"),
    "operations:windows_edit": Expect(NATIONAL, "operations.window", action="change"),
    # the station search (ckdash, user review 2026-12 F25)
    "operations:station_search": Expect(LIST, "operations.checkin"),
    # the tables checked against the audit log (opsverify)
    "operations:verify": Expect(NATIONAL, "operations.verify"),
    "operations:verify_run": Expect(NATIONAL, "operations.verify", action="create",
                                    post_only=True),
}

# Views that do not yet follow the policy, owned by other apps. Each entry must still
# produce a violation (so it is removed once fixed); nothing else may.
KNOWN_GAPS: dict[str, str] = {}


@dataclass(frozen=True)
class Route:
    name: str
    route: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class Violation:
    name: str
    who: str
    url: str
    status: int
    expected: str
    method: str = "GET"

    def __str__(self) -> str:
        return (
            f"{self.name} as {self.who}: {self.method} {self.url} → {self.status}, "
            f"expected {self.expected}"
        )


def iter_routes(
    patterns: list[Any] | None = None, prefix: str = "", namespace: str | None = None
) -> Iterator[Route]:
    """Every URL pattern of the project, recursively, minus the skipped ones."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            if ns in SKIPPED_NAMESPACES:
                continue
            yield from iter_routes(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else (entry.name or "")
            if name in SKIPPED_NAMES:
                continue
            converters = getattr(entry.pattern, "converters", {})
            yield Route(name or f"<unnamed {prefix}{entry.pattern}>", prefix + str(entry.pattern),
                        tuple(converters))


def build_world(geo: Any, personas: Personas) -> World:
    world = World(geo=geo, personas=personas)
    from amanat.elections.models import Election, Milestone, PhaseKind

    world.election = Election.objects.create(
        name="Test round", slug="test-round", election_day=datetime.date(2026, 6, 19)
    )
    world.milestone = Milestone.objects.create(
        election=world.election, code="fibre_status_due", name="Fibre status",
        due=datetime.date(2026, 2, 19), phase=PhaseKind.BEFORE,
    )
    from amanat.audit.models import Checkpoint

    world.checkpoint = Checkpoint.objects.create(
        log_id="00000000-0000-0000-0000-000000000001", size=0, root="0" * 64,
        time=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), public_key="00" * 32,
        signature="x", text="amanat-audit-checkpoint v1\n",
    )
    # The atlas scores every county and province (no stations: the county factors only),
    # so that the atlas API's one-unit read has a row in scope.
    from amanat.atlas.recompute import atlas_recompute

    atlas_recompute(election=world.election)
    for who, user in personas.items():
        token, world.tokens[who] = services.api_token_issue(
            user=user, name="walk", ttl_days=1, actor=user
        )
        world.token_ids[who] = token.pk
    return world


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    path = route.route
    for key, value in kwargs.items():
        for form in (f"<int:{key}>", f"<slug:{key}>", f"<str:{key}>", f"<{key}>"):
            path = path.replace(form, str(value))
    return "/" + path


# --- requests -------------------------------------------------------------------------

# Tables a refused request may still write: its own session (sign-in bookkeeping) and the
# audit log, where only ``access.denied`` entries may appear.
SESSION_TABLES = frozenset({"django_session"})
AUDIT_TABLES = frozenset({"audit_event", "audit_chainhead"})
DENIAL_EVENTS = frozenset({"access.denied"})
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|REPLACE\s+INTO)\s+"?(\w+)"?',
                    re.IGNORECASE)
# Marking an API token used (once a minute) is bookkeeping of the token check itself.
_TOKEN_STAMP = re.compile(r'^\s*UPDATE\s+"?accounts_apitoken"?\s+SET\s+"?last_used_at"?\s*=\s*'
                          r'%s\s+WHERE', re.IGNORECASE)


@dataclass
class Writes:
    """What one request wrote: tables, and the actions of new audit entries."""

    tables: set[str] = field(default_factory=set)
    events: list[str] = field(default_factory=list)

    def leaked(self) -> list[str]:
        """Writes a refused request must not make."""
        leaks = sorted(self.tables - SESSION_TABLES - AUDIT_TABLES)
        return leaks + [f"audit {a}" for a in self.events if a not in DENIAL_EVENTS]


def walk_client(user: User | None = None, *, verified: bool = True) -> Client:
    """A client that enforces CSRF like a browser and holds the walk's CSRF cookie."""
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    if user is not None:
        sign_in(client, user, verified=verified)
    client.cookies[settings.CSRF_COOKIE_NAME] = CSRF_TOKEN
    return client


def post_rolled_back(
    client: Client, url: str, data: dict[str, Any], *, api: bool,
    headers: dict[str, str] | None = None,
) -> tuple[Any, Writes]:
    """POST in a savepoint that is then rolled back, recording every write it made; the
    client's cookies (its session) are put back as well."""
    writes = Writes()

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        match = _WRITE.match(sql)
        if match and not _TOKEN_STAMP.match(sql):
            writes.tables.add(match.group(1).lower())
        return execute(sql, params, many, context)

    cookies = copy.deepcopy(client.cookies)
    last = Event.objects.aggregate(last=Max("seq"))["last"] or 0
    with transaction.atomic():
        with connection.execute_wrapper(spy):
            if api:
                # The token in the header too: the schema view is a plain Django view.
                response = client.post(url, data="{}", content_type="application/json",
                                       headers={**(headers or {}), "X-CSRFToken": CSRF_TOKEN})
            else:
                response = client.post(url, data, headers=headers)
        writes.events = list(Event.objects.filter(seq__gt=last).values_list("action", flat=True))
        transaction.set_rollback(True)
    client.cookies = cookies
    return response, writes


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _signed_out(response: Any) -> bool:
    """The answer ended the session (signing out sends one to the sign-in page)."""
    cookie = response.cookies.get(settings.SESSION_COOKIE_NAME)
    return cookie is not None and not cookie.value


def _allowed_ok(response: Any) -> bool:
    # 302 within the same area (e.g. verification page sending to enrolment) is fine.
    if response.status_code in (200, 204):
        return True
    return response.status_code == 302 and not _login_redirect(response)


def _is_allowed(
    expect: Expect, user: AbstractBaseUser, kwargs: dict[str, Any], unit: AdminUnit | None
) -> bool:
    if expect.kind in (PUBLIC, SIGNED_IN):
        return True
    if expect.kind == WEBHOOK:
        return False
    if expect.kind == OWN:
        return bool(kwargs.get("_owner") == user.pk)
    assert expect.model is not None
    if expect.kind == NATIONAL:
        return access.can_nationally(user, expect.action, expect.model)
    if expect.kind == LIST:
        return access.can(user, expect.action, expect.model, None)
    return access.can(user, expect.action, expect.model, unit) and all(
        access.can(user, "view", label, unit) for label in expect.also)


def _check_get(expect: Expect, response: Any, allowed: bool | None, api: bool) -> str | None:
    """None when the answer to a GET matches; otherwise what was expected."""
    status = response.status_code
    if expect.kind == WEBHOOK and not expect.post_only:
        # A gateway's GET (Kannel's get-url): refused without its secret.
        return None if status == 401 else "401 (no gateway secret)"
    if allowed is None:  # anonymous
        if expect.kind == PUBLIC:
            return None if _allowed_ok(response) else "200 (public)"
        if api and expect.post_only:
            # django-ninja refuses the method (405) before it checks the token.
            return None if status in (401, 405) else "401 or 405 (POST only, no token)"
        if api:
            return None if status == 401 else "401 (no token)"
        return None if _login_redirect(response) else "302 to sign-in"
    if expect.post_only:
        return None if status == 405 else "405 (POST only)"
    if allowed:
        return None if _allowed_ok(response) else "200 (allowed)"
    if expect.kind in (OBJECT, OWN):
        return None if status == 404 else "404 (outside scope)"
    return None if status in (403, 404) else "403/404 (not allowed)"


def _check_private(response: Any, allowed: bool | None) -> str | None:
    """Every answer to a signed-in user (session or token) is kept out of caches."""
    if allowed is None or response.status_code in (401, 405):
        return None  # signed out, or refused before the token was looked at
    value = response.get("Cache-Control", "")
    return None if value == "private, no-store" else f"Cache-Control: private, no-store ({value!r})"


def _check_post(
    expect: Expect, response: Any, writes: Writes, allowed: bool | None, api: bool, csrf: bool
) -> str | None:
    """None when the answer to a POST (and what it wrote) matches the policy."""
    status = response.status_code
    if status >= 500:
        return "no server error"
    problems = [_post_refusal(expect, response, allowed, api, csrf)]
    if not ((allowed or expect.kind == PUBLIC) and csrf):
        leaks = writes.leaked()
        problems.append(f"nothing written, wrote {leaks}" if leaks else None)
    return "; ".join(p for p in problems if p) or None


def _post_refusal(
    expect: Expect, response: Any, allowed: bool | None, api: bool, csrf: bool
) -> str | None:
    status = response.status_code
    if not api and not csrf:
        return None if status == 403 else "403 (no CSRF token)"
    if expect.kind == WEBHOOK:  # a GET-only one refuses the method first
        refused = status in (400, 401, 403) or (status == 405 and not expect.post_only)
        return None if refused else "401 (no gateway signature)"
    if allowed is None and expect.kind != PUBLIC:  # anonymous
        if api:
            return None if status in (401, 405) else "401 (no token)"
        return None if _login_redirect(response) else "302 to sign-in"
    method_refused = status == 405 and not expect.post_only
    if allowed or expect.kind == PUBLIC:
        ok = status not in (401, 403, 404, 405) and (
            not _login_redirect(response) or _signed_out(response))
        return None if ok or method_refused else "an answer from the view (allowed)"
    if method_refused:
        return None
    if api:  # the body may be refused (400/422) before the scope is looked at
        return None if 400 <= status < 500 else "4xx (not allowed)"
    if expect.kind in (OBJECT, OWN):
        return None if status == 404 else "404 (outside scope)"
    return None if status in (403, 404) else "403/404 (not allowed)"


def _post_data(expect: Expect, kwargs: dict[str, Any], csrf: bool) -> dict[str, Any]:
    data = expect.post(kwargs) if expect.post else {}
    return {**data, "csrfmiddlewaretoken": CSRF_TOKEN} if csrf else data


def _cases(expect: Expect, world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return expect.objects(world) if expect.objects else [({}, None)]


def _route_problem(route: Route, expect: Expect | None) -> str | None:
    if expect is None:
        return "an entry in EXPECTATIONS (policy for this URL)"
    if expect.kind == POST_ONLY:
        return "a policy: Expect(<kind>, model, action, objects, post_only=True)"
    if route.params and expect.objects is None:
        return "an objects function"
    return None


def walk(world: World, only: set[str] | None = None) -> list[Violation]:
    """Request every route (or those named in ``only``) as every persona and anonymously,
    by GET and by POST; list the mismatches."""
    violations: list[Violation] = []
    clients = {who: walk_client(user) for who, user in world.personas.items()}
    anonymous = walk_client()
    for route in iter_routes():
        if only is not None and route.name not in only:
            continue
        expect = EXPECTATIONS.get(route.name)
        problem = _route_problem(route, expect)
        if problem or expect is None:
            violations.append(Violation(route.name, "-", "/" + route.route, 0, problem or ""))
            continue
        api = route.name.startswith("api:")
        for kwargs, unit in _cases(expect, world):
            url = _url(route, kwargs)
            violations += _walk_one(expect, url, route.name, "anonymous", anonymous, None,
                                    kwargs, api)
            for who, user in world.personas.items():
                headers = {"Authorization": f"Bearer {world.tokens[who]}"} if api else None
                client = anonymous if api else clients[who]
                allowed = _is_allowed(expect, user, kwargs, unit)
                violations += _walk_one(expect, url, route.name, who, client, allowed, kwargs,
                                        api, headers)
    return violations


def _walk_one(
    expect: Expect, url: str, name: str, who: str, client: Client, allowed: bool | None,
    kwargs: dict[str, Any], api: bool, headers: dict[str, str] | None = None,
) -> list[Violation]:
    """GET, POST with a CSRF token and (on the site) POST without one: the mismatches."""
    found: list[Violation] = []
    response = client.get(url, headers=headers)
    problem = _check_get(expect, response, allowed, api) or _check_private(
        response, None if api and expect.kind == PUBLIC else allowed)
    if problem:
        found.append(Violation(name, who, url, response.status_code, problem))
    # A POST without the token is refused by the CSRF check before anything that depends
    # on the user runs; it is sent signed out and as the persona allowed the most.
    without_token = not api and who in CSRF_WITHOUT_TOKEN_AS
    for csrf in (True, False) if without_token else (True,):
        response, writes = post_rolled_back(client, url, _post_data(expect, kwargs, csrf),
                                            api=api, headers=headers)
        problem = _check_post(expect, response, writes, allowed, api, csrf)
        if problem:
            method = "POST" if csrf else "POST (no CSRF token)"
            found.append(Violation(name, who, url, response.status_code, problem, method))
    return found


# --- sessions that have not passed the second factor --------------------------------


def walk_before_second_factor(world: World, only: set[str] | None = None) -> list[Violation]:
    """Every route, by GET and POST, as each user who must pass TOTP with a password-only
    session: without a device yet, and with one (also a county governor who enrolled
    although the role does not require it)."""
    cases = []
    for route in iter_routes():
        expect = EXPECTATIONS.get(route.name)
        if (only is None or route.name in only) and _route_problem(route, expect) is None:
            assert expect is not None
            cases += [(route, expect, kwargs) for kwargs, _unit in _cases(expect, world)]
    users = [(who, u) for who, u in world.personas.items() if needs_second_factor(u)]
    states = [(who, u, False) for who, u in users] + [(who, u, True) for who, u in users]
    states.append(("gharchak_governor", world.personas.gharchak_governor, True))
    violations: list[Violation] = []
    for who, user, enrolled in states:
        TOTPDevice.objects.filter(user=user).delete()
        if enrolled:
            TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        client = walk_client(user, verified=False)
        label = f"{who} (password only, {'enrolled' if enrolled else 'no device'})"
        for route, expect, kwargs in cases:
            violations += _walk_unverified(route, expect, kwargs, label, client, enrolled)
    return violations


def _reachable_unverified(name: str, expect: Expect, enrolled: bool) -> bool:
    rule = BEFORE_SECOND_FACTOR.get(name)
    if expect.kind == PUBLIC or rule == "always":
        return True
    return rule == "until_enrolled" and not enrolled


def _walk_unverified(
    route: Route, expect: Expect, kwargs: dict[str, Any], who: str, client: Client,
    enrolled: bool,
) -> list[Violation]:
    url, api = _url(route, kwargs), route.name.startswith("api:")
    target = reverse("accounts_otp_verify" if enrolled else "accounts_otp_enrol")
    found = []
    for method in ("GET", "POST"):
        writes = Writes()
        if method == "GET":
            response = client.get(url)
        else:
            response, writes = post_rolled_back(client, url, _post_data(expect, kwargs, True),
                                                api=api)
        status = response.status_code
        if status >= 500:
            problem: str | None = "no server error"
        elif _reachable_unverified(route.name, expect, enrolled):
            problem = None
        elif api:
            problem = None if status in (401, 405) else "401 (a session is no API token)"
        elif status != 302 or not response["Location"].startswith(target):
            problem = f"302 to {target} (second factor not passed)"
        else:
            leaks = writes.leaked()
            problem = f"nothing written, wrote {leaks}" if leaks else None
        if problem:
            found.append(Violation(route.name, who, url, status, problem, method))
    return found


def iter_admin_urls() -> Iterator[tuple[str, str]]:
    """(name, URL) of every Django admin route, parameters filled with an existing app
    label or the id 1."""
    from django.contrib import admin
    from django.urls import NoReverseMatch

    labels = sorted({model._meta.app_label for model in admin.site._registry})

    def patterns(entries: list[Any], namespace: str | None) -> Iterator[tuple[str, Any]]:
        for entry in entries:
            if isinstance(entry, URLResolver):
                yield from patterns(entry.url_patterns, entry.namespace or namespace)
            elif namespace == "admin" and entry.name:
                yield entry.name, entry

    for name, entry in patterns(get_resolver().url_patterns, None):
        params = entry.pattern.regex.groupindex
        kwargs = {p: (labels[0] if p == "app_label" else "1") for p in params}
        try:
            yield name, reverse(f"admin:{name}", kwargs=kwargs)
        except NoReverseMatch:  # pragma: no cover - every admin route takes these
            yield name, f"<cannot build admin:{name}>"


@pytest.fixture
def world(small_geo: Any, personas: Personas, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path / "media"  # uploads kept for error reports go here
    return build_world(small_geo, personas)


@pytest.mark.django_db
def test_every_url_answers_as_the_policy_says(world: World) -> None:
    violations = walk(world)
    unexpected = [v for v in violations if v.name not in KNOWN_GAPS]
    assert not unexpected, "\n".join(map(str, unexpected))
    still_open = {v.name for v in violations}
    fixed = set(KNOWN_GAPS) - still_open
    assert not fixed, f"remove fixed entries from KNOWN_GAPS: {sorted(fixed)}"


@pytest.mark.django_db
def test_expectation_table_has_no_stale_entries() -> None:
    names = {route.name for route in iter_routes()}
    assert set(EXPECTATIONS) <= names, sorted(set(EXPECTATIONS) - names)


@pytest.mark.django_db
def test_walk_catches_a_view_that_skips_its_scope_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unscoped(user: Any, pk: Any, *, write: bool = False) -> Membership:
        return Membership.objects.select_related("user", "unit").get(pk=pk)

    monkeypatch.setattr(access, "get_membership_for_user", unscoped)
    violations = walk(world, only={"accounts_membership"})
    leaked = {(v.name, v.who) for v in violations if v.name == "accounts_membership"}
    assert ("accounts_membership", "gharchak_governor") in leaked


@pytest.mark.django_db
def test_walk_catches_an_api_endpoint_that_skips_its_scope_check(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unscoped(user: Any, pk: Any, *, write: bool = False) -> AdminUnit:
        return AdminUnit.objects.get(pk=pk)

    monkeypatch.setattr(access, "get_unit_for_user", unscoped)
    violations = walk(world, only={"api:unit"})
    assert any(v.name == "api:unit" and v.who == "kerman_governor" for v in violations)


@pytest.mark.django_db
def test_walk_fails_on_an_unlisted_url(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(EXPECTATIONS, "accounts_profile")
    violations = walk(world, only={"accounts_profile"})
    assert any(v.name == "accounts_profile" and "EXPECTATIONS" in v.expected for v in violations)


@pytest.mark.django_db
def test_password_only_sessions_reach_nothing_but_sign_in(world: World) -> None:
    """The review's bypass: a password alone opened enrolment, replaced the device and
    reached the audit export; now only sign-in, verification, sign-out (and enrolment
    before there is a device) answer, and no POST writes anything."""
    violations = walk_before_second_factor(world)
    assert not violations, "\n".join(map(str, violations))


@pytest.mark.django_db
def test_admin_refuses_password_only_staff(small_geo: Any) -> None:
    boss = User.objects.create_superuser("boss", password=None)
    problems = []
    for enrolled in (False, True):
        TOTPDevice.objects.filter(user=boss).delete()
        if enrolled:
            TOTPDevice.objects.create(user=boss, name="phone", confirmed=True)
        client = walk_client(boss, verified=False)
        target = reverse("accounts_otp_verify" if enrolled else "accounts_otp_enrol")
        for name, url in iter_admin_urls():
            if name in ("login", "logout"):  # signing in (with the code) and out
                continue
            response = client.get(url)
            posted, writes = post_rolled_back(client, url, {"csrfmiddlewaretoken": CSRF_TOKEN},
                                              api=False)
            for method, answer in (("GET", response), ("POST", posted)):
                if answer.status_code != 302 or not answer["Location"].startswith(target):
                    problems.append(f"{method} {url} → {answer.status_code}")
            if writes.leaked():
                problems.append(f"POST {url} wrote {writes.leaked()}")
    assert not problems, "\n".join(problems)
    assert len(list(iter_admin_urls())) > 50  # the walk reached the model pages


@pytest.mark.django_db
def test_walk_catches_a_password_only_session_let_through(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from amanat.accounts.middleware import SecondFactorMiddleware

    monkeypatch.setattr(SecondFactorMiddleware, "process_view", lambda *a: None)
    violations = walk_before_second_factor(world, only={"audit:export", "accounts_otp_enrol"})
    caught = {(v.name, v.who.split(" ")[0]) for v in violations}
    assert ("audit:export", "admin") in caught
    assert ("accounts_otp_enrol", "admin") not in caught or any(
        v.name == "accounts_otp_enrol" and "enrolled" in v.who for v in violations)


@pytest.mark.django_db
def test_walk_catches_a_write_outside_scope(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token revoke that forgets whose token it is: the POST walk sees the write."""

    @require_POST
    def leaky_revoke(request: Any, token_id: int) -> HttpResponse:
        ApiToken.objects.filter(pk=token_id).update(name="revoked by someone else")
        return HttpResponse(status=302, headers={"Location": "/accounts/profile/"})

    pattern = next(p for p in get_resolver().url_patterns if str(p.pattern) == "stations/")
    revoke = next(p for p in pattern.url_patterns if p.name == "api_token_revoke")
    monkeypatch.setattr(revoke, "callback", leaky_revoke)
    violations = walk(world, only={"stations:api_token_revoke"})
    leaks = [v for v in violations if "accounts_apitoken" in v.expected]
    assert any(v.who == "kerman_governor" and v.method == "POST" for v in leaks), violations


@pytest.mark.django_db
def test_walk_catches_a_view_without_csrf_protection(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    pattern = next(p for p in get_resolver().url_patterns if str(p.pattern) == "accounts/")
    grant = next(p for p in pattern.url_patterns if p.name == "accounts_membership_grant")
    monkeypatch.setattr(grant.callback, "csrf_exempt", True, raising=False)
    violations = walk(world, only={"accounts_membership_grant"})
    assert any(v.method == "POST (no CSRF token)" for v in violations), violations


@pytest.mark.django_db
def test_walk_refuses_an_entry_without_a_post_policy(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(EXPECTATIONS, "logout", Expect(POST_ONLY))
    violations = walk(world, only={"logout"})
    assert any("post_only=True" in v.expected for v in violations)
