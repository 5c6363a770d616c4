"""Walk every URL for every persona and compare each answer with the policy.

Each route must be listed in ``EXPECTATIONS`` (url name → what the policy says about it);
a new view without an entry makes ``test_every_url_answers_as_the_policy_says`` fail.
Objects in path parameters are taken both inside and outside each persona's scope, and
the expected answer comes from ``access.can`` (the policy table plus unit paths).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from amanat.accounts import access, services
from amanat.accounts.models import Membership
from amanat.accounts.testing import Personas, sign_in
from amanat.geo.models import AdminUnit

# Routes not walked, each with its reason.
SKIPPED_NAMESPACES = {
    "admin": "Django admin: OTPAdminSite requires a verified second factor; staff only.",
}
SKIPPED_NAMES = {
    "set_language": "i18n language switch: POST only, sets a cookie, reachable signed out.",
    "api:api-root": "django-ninja's root marker; it serves nothing (404 for everyone).",
}

# Kinds of route:
PUBLIC = "public"  # reachable signed out
SIGNED_IN = "signed_in"  # any signed-in user (API: any valid token)
LIST = "list"  # allowed if the role may act anywhere; otherwise 404/403
OBJECT = "object"  # a path parameter names an object: allowed in scope, else 404
NATIONAL = "national"  # unit-less national object: allowed for country-level roles only
POST_ONLY = "post_only"  # a GET must be refused with 405 (writes tested elsewhere)


@dataclass
class World:
    geo: Any
    personas: Personas
    election: Any = None
    milestone: Any = None
    checkpoint: Any = None
    tokens: dict[str, str] = field(default_factory=dict)


ObjectsFn = Callable[[World], list[tuple[dict[str, Any], AdminUnit | None]]]


@dataclass(frozen=True)
class Expect:
    kind: str
    model: str | None = None
    action: str = "view"
    objects: ObjectsFn | None = None


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


def _any_token(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"token_id": 1}, None)]


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


def _station_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    _walk_stations(world)
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _station_import(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    """A rejected upload kept for its error report, made by the Gharchak governor."""
    from amanat.stations import uploads

    governor, unit = world.personas.gharchak_governor, world.geo.gharchak
    stored = uploads.import_store(data=b"x", ext="csv", owner_id=governor.pk, unit_id=unit.pk,
                                  election_id=world.election.pk, original_name="x.csv")
    stored.errors_path.write_bytes(b"error\n")
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
    return [({"report_id": e.report_id}, e.report.unit)
            for e in _walk_incidents(world)["evidence"]]


def _incident_evidence(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"evidence_id": e.pk}, e.report.unit) for e in _walk_incidents(world)["evidence"]]


def _incident_categories(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    from amanat.incidents.models import Category

    return [({"category_id": Category.objects.order_by("pk").values_list("pk", flat=True)[0]},
             None)]


def _atlas_counties(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="county")]


def _atlas_provinces(world: World) -> list[tuple[dict[str, Any], AdminUnit | None]]:
    return [({"unit_id": u.pk}, u) for u in AdminUnit.objects.filter(kind="province")]


EXPECTATIONS: dict[str, Expect] = {
    # accounts
    "login": Expect(PUBLIC),
    "logout": Expect(POST_ONLY),
    "accounts_profile": Expect(SIGNED_IN),
    "accounts_otp_enrol": Expect(SIGNED_IN),
    "accounts_otp_verify": Expect(SIGNED_IN),
    "accounts_token_issue": Expect(POST_ONLY),
    "accounts_token_revoke": Expect(POST_ONLY, objects=_any_token),
    "accounts_memberships": Expect(LIST, "accounts.membership"),
    "accounts_membership_grant": Expect(POST_ONLY),
    "accounts_membership": Expect(OBJECT, "accounts.membership", objects=_memberships),
    "accounts_membership_revoke": Expect(POST_ONLY, objects=_memberships),
    # API
    "api:openapi-json": Expect(PUBLIC),
    "api:me": Expect(SIGNED_IN),
    "api:unit": Expect(OBJECT, "geo.adminunit", objects=_units),
    "api:stations": Expect(LIST, "stations.station"),
    "api:station": Expect(OBJECT, "stations.station", objects=_stations),
    # home, geography (official divisions: reference data for every signed-in user,
    # unit pages scoped like every other object)
    "core:home": Expect(SIGNED_IN),
    "geo:index": Expect(SIGNED_IN),
    "geo:search": Expect(SIGNED_IN),
    "geo:unit": Expect(OBJECT, "geo.adminunit", objects=_units),
    # elections calendar: national dates, read by everyone signed in
    "elections:list": Expect(SIGNED_IN),
    "elections:calendar": Expect(SIGNED_IN, objects=_election),
    # audit log: national auditors and administrators (the policy's audit.event entry)
    "audit:events": Expect(LIST, "audit.event"),
    "audit:export": Expect(POST_ONLY),  # audited download: POST (a GET never writes)
    "audit:checkpoints": Expect(LIST, "audit.event"),
    "audit:checkpoint": Expect(LIST, "audit.event", objects=_checkpoint),
    "elections:milestone_edit": Expect(
        NATIONAL, "elections.milestone", action="change", objects=_milestone
    ),
    # station registry pages: viewing for every role in scope; edit, upload, export by policy
    "stations:list": Expect(LIST, "stations.station"),
    "stations:detail": Expect(OBJECT, "stations.station", objects=_stations),
    "stations:edit": Expect(OBJECT, "stations.station", action="change", objects=_stations),
    "stations:export_csv": Expect(POST_ONLY),  # audited downloads: POST
    "stations:export_xlsx": Expect(POST_ONLY),
    "stations:import": Expect(LIST, "stations.station", action="create"),
    "stations:import_errors": Expect(POST_ONLY, objects=_station_import),
    "stations:readiness": Expect(LIST, "stations.station"),
    "stations:map": Expect(LIST, "stations.station"),
    "stations:map_data": Expect(LIST, "stations.station"),
    "stations:readiness_county": Expect(OBJECT, "stations.station", objects=_station_counties),
    # election security atlas: scores viewable in scope; inputs and PDF export by policy
    "atlas:national": Expect(LIST, "atlas.score"),
    "atlas:thresholds": Expect(NATIONAL, "atlas.tierthreshold", action="change"),
    "atlas:compare": Expect(LIST, "atlas.score"),
    "atlas:province": Expect(OBJECT, "atlas.score", objects=_atlas_provinces),
    "atlas:county": Expect(OBJECT, "atlas.score", objects=_atlas_counties),
    "atlas:county_pdf": Expect(POST_ONLY, objects=_atlas_counties),
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
    "councils:agenda_pdf": Expect(POST_ONLY, objects=_meetings),  # audited download
    "councils:action_add": Expect(OBJECT, "councils.meeting", action="change",
                                  objects=_decisions),
    "councils:actions": Expect(LIST, "councils.actionitem"),
    "councils:action_status": Expect(POST_ONLY, objects=_council_actions),
    # violations and crimes: agency officers see cases routed to their agency (the walk's
    # cases are routed to the police, the officer's agency); evidence of a report in no case
    # follows the report's scope; the public report and status pages need no account
    "incidents:cases": Expect(LIST, "incidents.case"),
    "incidents:case": Expect(OBJECT, "incidents.case", objects=_incident_cases),
    "incidents:case_step": Expect(OBJECT, "incidents.case", action="change",
                                  objects=_incident_case_steps),
    "incidents:case_unlock": Expect(POST_ONLY, objects=_incident_cases),
    "incidents:case_evidence": Expect(POST_ONLY, objects=_incident_cases),
    "incidents:dashboard": Expect(LIST, "incidents.case"),
    "incidents:map": Expect(LIST, "incidents.case"),
    "incidents:map_data": Expect(LIST, "incidents.case"),
    "incidents:reports": Expect(LIST, "incidents.report"),
    "incidents:report_new": Expect(LIST, "incidents.report", action="create"),
    "incidents:report": Expect(OBJECT, "incidents.report", objects=_incident_reports),
    "incidents:report_open_case": Expect(POST_ONLY, objects=_incident_reports),
    "incidents:report_attach": Expect(POST_ONLY, objects=_incident_reports),
    "incidents:evidence": Expect(POST_ONLY, objects=_incident_evidence),  # audited
    "incidents:categories": Expect(LIST, "incidents.category"),
    "incidents:category_edit": Expect(NATIONAL, "incidents.category", action="change",
                                      objects=_incident_categories),
    "public_report": Expect(PUBLIC),
    "public_report_status": Expect(PUBLIC),
    "api:incidents_report_create": Expect(POST_ONLY),
    "api:incidents_sms": Expect(POST_ONLY),
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

    def __str__(self) -> str:
        return (
            f"{self.name} as {self.who}: GET {self.url} → {self.status}, "
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
    for who, user in personas.items():
        _, world.tokens[who] = services.api_token_issue(
            user=user, name="walk", ttl_days=1, actor=user
        )
    return world


def _url(route: Route, kwargs: dict[str, Any]) -> str:
    path = route.route
    for key, value in kwargs.items():
        for form in (f"<int:{key}>", f"<slug:{key}>", f"<str:{key}>", f"<{key}>"):
            path = path.replace(form, str(value))
    return "/" + path


def _login_redirect(response: Any) -> bool:
    return response.status_code == 302 and response["Location"].startswith(reverse("login"))


def _allowed_ok(response: Any) -> bool:
    # 302 within the same area (e.g. verification page sending to enrolment) is fine.
    if response.status_code == 200:
        return True
    return response.status_code == 302 and not _login_redirect(response)


def _is_allowed(expect: Expect, user: AbstractBaseUser, unit: AdminUnit | None) -> bool:
    if expect.kind in (PUBLIC, SIGNED_IN, POST_ONLY):
        return True
    assert expect.model is not None
    if expect.kind == NATIONAL:
        return access.can_nationally(user, expect.action, expect.model)
    if expect.kind == LIST:
        return access.can(user, expect.action, expect.model, None)
    return access.can(user, expect.action, expect.model, unit)


def _check(expect: Expect, response: Any, allowed: bool | None, api: bool) -> str | None:
    """None when the response matches; otherwise what was expected."""
    status = response.status_code
    if allowed is None:  # anonymous
        if expect.kind == PUBLIC:
            return None if status == 200 else "200 (public)"
        if api and expect.kind == POST_ONLY:
            # django-ninja refuses the method (405) before it checks the token.
            return None if status in (401, 405) else "401 or 405 (POST only, no token)"
        if api:
            return None if status == 401 else "401 (no token)"
        return None if _login_redirect(response) else "302 to sign-in"
    if expect.kind == POST_ONLY:
        return None if status == 405 else "405 (POST only)"
    if allowed:
        return None if _allowed_ok(response) else "200 (allowed)"
    if expect.kind == OBJECT:
        return None if status == 404 else "404 (outside scope)"
    return None if status in (403, 404) else "403/404 (not allowed)"


def walk(world: World, only: set[str] | None = None) -> list[Violation]:
    """Request every route (or those named in ``only``) as every persona and anonymously;
    list the mismatches."""
    violations: list[Violation] = []
    clients: dict[str, Client] = {}
    for who, user in world.personas.items():
        clients[who] = sign_in(Client(), user)
    anonymous = Client()
    for route in iter_routes():
        if only is not None and route.name not in only:
            continue
        expect = EXPECTATIONS.get(route.name)
        if expect is None:
            violations.append(Violation(route.name, "-", "/" + route.route, 0,
                                        "an entry in EXPECTATIONS (policy for this URL)"))
            continue
        api = route.name.startswith("api:")
        if route.params and expect.objects is None:
            violations.append(Violation(route.name, "-", route.route, 0, "an objects function"))
            continue
        cases = expect.objects(world) if expect.objects else [({}, None)]
        for kwargs, unit in cases:
            url = _url(route, kwargs)
            response = anonymous.get(url)
            problem = _check(expect, response, None, api)
            if problem:
                violations.append(
                    Violation(route.name, "anonymous", url, response.status_code, problem)
                )
            for who, user in world.personas.items():
                if api:
                    headers = {"Authorization": f"Bearer {world.tokens[who]}"}
                    response = anonymous.get(url, headers=headers)
                else:
                    response = clients[who].get(url)
                allowed = _is_allowed(expect, user, unit)
                problem = _check(expect, response, allowed, api)
                if problem:
                    violations.append(
                        Violation(route.name, who, url, response.status_code, problem)
                    )
    return violations


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
