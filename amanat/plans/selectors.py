"""Reads of the plans app: scoped look-ups, threat levels explained, measures by phase,
compliance with a directive per county rolled up to province and country (worst first),
the work list, and alerts for the roles they name."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.accounts.models import Membership, Role
from amanat.atlas import factors as atlas_factors
from amanat.atlas.models import RequiredMeasure, UnitLevel, UnitScore
from amanat.atlas.selectors import station_shortfalls, unit_score
from amanat.core.models import in_language
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.limits import parse_id
from amanat.plans.models import (
    CLOSED_MEASURE_STATUSES,
    Alert,
    AlertStatus,
    Directive,
    DirectiveStatus,
    Indicator,
    Localisation,
    LocalisationStatus,
    Measure,
    Phase,
    PlaybookRun,
    RunStep,
    Scenario,
    SecurityPlan,
    Threat,
    ThreatRating,
)

THREAT = "plans.threat"
MEASURE = "plans.measure"
DIRECTIVE = "plans.directive"
LOCALISATION = "plans.localisation"
APPROVAL = "plans.approval"
SCENARIO = "plans.scenario"
PLAN = "plans.securityplan"


def today() -> datetime.date:
    return timezone.localdate()


# --- scoped look-ups ------------------------------------------------------------------------


def get_unit_for_user(user: AnyUser, pk: Any, label: str, *, action: str = policy.VIEW,
                      kinds: tuple[str, ...] = (Kind.COUNTY,)) -> AdminUnit:
    """A county (or province) the user may ``action`` objects of ``label`` at."""
    return access.get_object_for_user(
        user, AdminUnit, pk, action=action, path_field="path", model_label=label,
        queryset=AdminUnit.objects.filter(kind__in=kinds).select_related("parent"))


def _agency_ids(user: AnyUser, unit_path: str, label: str, action: str) -> set[int] | None:
    """None when a membership other than an agency officer's allows ``action`` at the
    path; otherwise the agencies of the officer memberships that do (maybe empty)."""
    allowed = policy.roles_allowed(label, action)
    agencies: set[int] = set()
    for m in access.user_memberships(user):
        if m.role not in allowed or not unit_path.startswith(m.unit.path):
            continue
        if m.role != Role.AGENCY_OFFICER:
            return None
        if m.agency_id is not None:
            agencies.add(m.agency_id)
    return agencies


def get_measure_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Measure:
    """A measure in scope; an agency officer changes only those its agency owns."""
    measure = access.get_object_for_user(
        user, Measure, pk, write=write, path_field="unit_path",
        queryset=Measure.objects.select_related("unit", "owner", "threat", "localisation"))
    if write:
        agencies = _agency_ids(user, measure.unit_path, MEASURE, policy.CHANGE)
        if agencies is not None and measure.owner_id not in agencies:
            access.access_denied_record(user=user, model_label=MEASURE, pk=measure.pk,
                                        action=policy.CHANGE)
            raise Http404("not found")
    return measure


def can_report(user: AnyUser, measure: Measure) -> bool:
    if not access.can(user, policy.CHANGE, MEASURE, measure.unit):
        return False
    agencies = _agency_ids(user, measure.unit_path, MEASURE, policy.CHANGE)
    return agencies is None or measure.owner_id in agencies


def get_directive_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW) -> Directive:
    return access.get_national_object_for_user(
        user, Directive.objects.select_related("election", "issued_by"), action=action,
        model_label=DIRECTIVE, national=action != policy.VIEW, pk=pk)


def get_localisation_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW,
                              approve: bool = False) -> Localisation:
    """A localisation in scope; ``approve`` asks for the governor's approval right."""
    return access.get_object_for_user(
        user, Localisation, pk, action=policy.CHANGE if approve else action,
        path_field="unit_path", model_label=APPROVAL if approve else None,
        queryset=Localisation.objects.select_related("unit", "directive", "approved_by"))


def can_edit_scenario(user: AnyUser, scenario: Scenario) -> bool:
    """A national scenario is edited by national roles that may change scenarios; a
    county's by the roles that may change them in the county."""
    if scenario.unit_id is None:
        return access.can_nationally(user, policy.CHANGE, SCENARIO)
    return access.can(user, policy.CHANGE, SCENARIO, scenario.unit)


def get_scenario_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Scenario:
    """National scenarios are read by every role the policy allows; a county's by scope.
    With ``write``, only those who may edit it (``can_edit_scenario``); else 404."""
    if not access.can(user, policy.VIEW, SCENARIO, None):
        raise Http404("not found")
    paths = access.scope_paths(user, SCENARIO, policy.VIEW)
    scenario = Scenario.objects.select_related("threat", "unit").filter(pk=pk).first() \
        if parse_id(pk) is not None else None
    if scenario is None:
        raise Http404("not found")
    if scenario.unit_id is not None and not any(scenario.unit_path.startswith(p)
                                                for p in paths):
        access.access_denied_record(user=user, model_label=SCENARIO, pk=pk,
                                    action=policy.VIEW)
        raise Http404("not found")
    if write and not can_edit_scenario(user, scenario):
        access.access_denied_record(user=user, model_label=SCENARIO, pk=pk,
                                    action=policy.CHANGE)
        raise Http404("not found")
    return scenario


def get_indicator_for_user(user: AnyUser, pk: Any) -> Indicator:
    """An indicator of a scenario the user may edit; else 404."""
    indicator = (Indicator.objects.select_related("scenario", "category").filter(pk=pk).first()
                 if parse_id(pk) is not None else None)
    if indicator is None:
        raise Http404("not found")
    get_scenario_for_user(user, indicator.scenario_id, write=True)
    return indicator


def get_alert_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Alert:
    """An alert in scope; to act on it (acknowledge, start its playbook) it must also be
    addressed to one of the user's roles there, as the lists show it (attack review
    2026-12, P5): a role it does not name neither sees nor handles it."""
    alert = access.get_object_for_user(
        user, Alert, pk, write=write, path_field="unit_path", model_label=SCENARIO,
        queryset=Alert.objects.select_related("unit", "indicator__scenario"))
    if not addressed_to(alert, access.user_memberships(user)):
        access.access_denied_record(user=user, model_label="plans.alert", pk=pk,
                                    action=policy.CHANGE if write else policy.VIEW)
        raise Http404("not found")
    return alert


# Roles that see every alert of their area, whoever it names.
ALL_ALERTS_ROLES = frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF, Role.AUDITOR})


def addressed_to(alert: Alert, memberships: Iterable[Membership]) -> bool:
    roles = {m.role for m in memberships if alert.unit_path.startswith(m.unit.path)}
    return bool(roles & set(alert.roles) or roles & ALL_ALERTS_ROLES)


def get_run_for_user(user: AnyUser, pk: Any) -> PlaybookRun:
    return access.get_object_for_user(
        user, PlaybookRun, pk, path_field="unit_path", model_label=SCENARIO,
        queryset=PlaybookRun.objects.select_related("unit", "scenario", "started_by"))


def get_step_for_user(user: AnyUser, pk: Any) -> RunStep:
    return access.get_object_for_user(
        user, RunStep, pk, write=True, path_field="run__unit_path", model_label=SCENARIO,
        queryset=RunStep.objects.select_related("run__unit"))


def get_plan_for_user(user: AnyUser, pk: Any, *, action: str = policy.VIEW,
                      approve: bool = False) -> SecurityPlan:
    return access.get_object_for_user(
        user, SecurityPlan, pk, action=policy.CHANGE if approve else action,
        path_field="unit_path", model_label=APPROVAL if approve else None,
        queryset=SecurityPlan.objects.select_related("unit", "election", "approved_by"))


# --- threats and their level in a county ------------------------------------------------------


@dataclass
class ThreatLevel:
    threat: Threat
    likelihood: int
    impact: int
    rated: bool  # set by the county, not computed from the atlas
    note: str = ""
    factors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def level(self) -> int:
        return self.likelihood * self.impact

    @property
    def band(self) -> str:
        return "high" if self.level >= 15 else "medium" if self.level >= 8 else "low"


def likelihood_from(values: list[float]) -> int:
    """1–5 from the mean of the threat's atlas factor values (each 0–1)."""
    if not values:
        return 1
    return 1 + round(4 * sum(values) / len(values))


def threats_for(county: AdminUnit) -> QuerySet[Threat]:
    return Threat.objects.filter(Q(unit__isnull=True) | Q(unit=county), active=True).order_by(
        "unit_path", "code")


def threat_levels(election: Election, county: AdminUnit) -> list[ThreatLevel]:
    """Every threat of the county with its level (likelihood × impact, 1–25), the highest
    first: the county's own rating where it set one, else the likelihood from the atlas
    factors the threat names (their values in the county's atlas explanation)."""
    score = unit_score(election, county)
    values = {f["code"]: float(f["value"]) for f in (score.explanation.get("factors", [])
                                                     if score else [])}
    ratings = {r.threat_id: r for r in ThreatRating.objects.filter(election=election,
                                                                   unit=county)}
    rows: list[ThreatLevel] = []
    for threat in threats_for(county):
        factor_rows = []
        for code in threat.factors:
            factor = atlas_factors.CATALOGUE.get(code)
            factor_rows.append({
                "code": code, "value": values.get(code, 0.0),
                "name": in_language(factor.name_fa, factor.name_en) if factor else code,
            })
        rating = ratings.get(threat.pk)
        if rating is not None:
            rows.append(ThreatLevel(threat, rating.likelihood, rating.impact, True,
                                    rating.note, factor_rows))
        else:
            rows.append(ThreatLevel(threat, likelihood_from([f["value"] for f in factor_rows]),
                                    threat.impact, False, "", factor_rows))
    return sorted(rows, key=lambda r: (-r.level, r.threat.code))


# --- measures ------------------------------------------------------------------------------


def county_measures(election: Election, unit: AdminUnit) -> dict[str, list[Measure]]:
    """The unit's measures by phase (before, during, after), each by due date."""
    grouped: dict[str, list[Measure]] = {p: [] for p in Phase.values}
    for m in (Measure.objects.filter(election=election, unit=unit)
              .select_related("owner", "threat").order_by("due_on", "pk")):
        grouped[m.phase].append(m)
    return grouped


def work_list(user: AnyUser, election: Election, *, overdue_only: bool = False
              ) -> QuerySet[Measure]:
    """Open measures in scope, overdue first (oldest due date first)."""
    qs: QuerySet[Measure] = Measure.objects.open().filter(election=election)
    if overdue_only:
        qs = qs.filter(due_on__lt=today())
    qs = access.scope_queryset(user, qs, action=policy.VIEW, path_field="unit_path")
    return qs.select_related("unit", "unit__parent", "owner", "threat").order_by("due_on", "pk")


# --- compliance with a directive ---------------------------------------------------------------


@dataclass
class Compliance:
    unit: AdminUnit
    localisation: Localisation | None = None
    total: int = 0
    done: int = 0
    overdue: int = 0
    counties: int = 0
    localised: int = 0
    approved: int = 0

    @property
    def rate(self) -> float:
        return self.done / self.total if self.total else 0.0

    @property
    def percent(self) -> int:
        return round(100 * self.rate)

    @property
    def state(self) -> str:
        if self.localisation is None:
            return "missing"
        return str(self.localisation.status)

    def sort_key(self) -> tuple[int, float, int, str]:
        """Worst first: not localised, then lowest compliance, then most overdue."""
        missing = 0 if self.localisation is None and not self.localised else 1
        return (missing, self.rate, -self.overdue, self.unit.path)


def current_directive(election: Election) -> Directive | None:
    return (Directive.objects.filter(election=election, status=DirectiveStatus.ISSUED)
            .order_by("-issued_at", "-pk").first())


def compliance(user: AnyUser, directive: Directive) -> tuple[list[Compliance],
                                                             list[Compliance], Compliance]:
    """Per county in the user's scope, per province, and for the whole scope: localised
    or not, measures done out of the directive's, overdue; worst first.  Four queries
    whatever the number of counties."""
    # Only the columns the dashboard shows: 448 counties and their localisations are
    # built as model instances on every request.
    counties = list(access.scope_queryset(
        user, AdminUnit.objects.filter(kind=Kind.COUNTY).select_related("parent")
        .only("name", "path", "kind", "parent_id", "latitude", "longitude",
              "parent__name", "parent__path", "parent__kind"),
        action=policy.VIEW, path_field="path", model_label=LOCALISATION))
    ids = [c.pk for c in counties]
    locs = {loc.unit_id: loc for loc in Localisation.objects.filter(directive=directive,
                                                                    unit_id__in=ids)
            .only("pk", "unit_id", "status", "directive_id")}
    day = today()
    counts = {
        row["unit_id"]: row for row in
        Measure.objects.filter(localisation__directive=directive, unit_id__in=ids)
        .values("unit_id").annotate(
            total=Count("pk"),
            done=Count("pk", filter=Q(status__in=CLOSED_MEASURE_STATUSES)),
            overdue=Count("pk", filter=~Q(status__in=CLOSED_MEASURE_STATUSES)
                          & Q(due_on__lt=day)),
        ).order_by()
    }
    n_required = directive.measures.count()
    rows: list[Compliance] = []
    for county in counties:
        c: dict[str, Any] = dict(counts.get(county.pk) or {})
        loc = locs.get(county.pk)
        overdue = c.get("overdue", 0)
        if loc is None and directive.localise_by < day:
            overdue = n_required  # not localised past the deadline: all of it is late
        rows.append(Compliance(unit=county, localisation=loc, total=c.get("total", n_required),
                               done=c.get("done", 0), overdue=overdue))
    rows.sort(key=Compliance.sort_key)
    provinces: dict[int, Compliance] = {}
    total = Compliance(unit=AdminUnit(name="—"))
    for row in rows:
        assert row.unit.parent is not None
        prov = provinces.setdefault(row.unit.parent_id or 0, Compliance(unit=row.unit.parent))
        for agg in (prov, total):
            agg.total += row.total
            agg.done += row.done
            agg.overdue += row.overdue
            agg.counties += 1
            agg.localised += row.localisation is not None
            agg.approved += bool(row.localisation
                                 and row.localisation.status == LocalisationStatus.APPROVED)
    province_rows = sorted(provinces.values(),
                           key=lambda p: (p.localised / p.counties if p.counties else 0,
                                          p.rate, -p.overdue, p.unit.path))
    return rows, province_rows, total


# --- alerts ---------------------------------------------------------------------------------


def alerts_for_user(user: AnyUser, *, live_only: bool = True) -> list[Alert]:
    """Alerts in scope addressed to one of the user's roles there (national and provincial
    staff see every alert of their area)."""
    qs = Alert.objects.select_related("unit", "indicator__scenario__threat",
                                      "indicator__category")
    if live_only:
        qs = qs.exclude(status=AlertStatus.CLEARED)
    qs = access.scope_queryset(user, qs, action=policy.VIEW, path_field="unit_path",
                               model_label=SCENARIO)
    memberships = access.user_memberships(user)
    return [alert for alert in qs.order_by("-fired_at", "-pk")[:500]
            if addressed_to(alert, memberships)]


def scenarios_for(user: AnyUser) -> QuerySet[Scenario]:
    paths = access.scope_paths(user, SCENARIO, policy.VIEW)
    if not paths:
        return Scenario.objects.none()
    local = Q()
    for p in paths:
        local |= Q(unit_path__startswith=p)
    return (Scenario.objects.filter(Q(unit__isnull=True) | local)
            .select_related("threat", "unit").prefetch_related("indicators__category")
            .order_by("unit_path", "code"))


def runs_in(unit: AdminUnit) -> list[PlaybookRun]:
    return list(PlaybookRun.objects.filter(unit=unit).select_related("scenario")
                .annotate(open_steps=Count("steps", filter=Q(steps__status="pending")))
                .order_by("-started_at")[:50])


def rollup(rows: list[Compliance]) -> dict[str, int]:
    """Counts of counties by state (for the dashboard's summary)."""
    out: dict[str, int] = defaultdict(int)
    for r in rows:
        out[r.state] += 1
    return dict(out)


# --- gaps by tier ------------------------------------------------------------------------------


@dataclass
class Gap:
    """One requirement of a county's tier that is not met: ``state`` is "missing" (not
    taken on as a measure), "open" (a measure, not done) or "registry" (the measure is
    closed but the registry check still finds stations short)."""

    required: RequiredMeasure
    state: str
    measure: Measure | None = None
    short: int = 0  # active stations that fall short, for automatic checks
    overdue: bool = False


@dataclass
class CountyGaps:
    unit: AdminUnit
    tier: int
    floor: bool
    required: int
    gaps: list[Gap] = field(default_factory=list)

    def sort_key(self) -> tuple[int, int, str]:
        """Worst first: the highest-risk tier, then the most gaps."""
        return (self.tier, -len(self.gaps), self.unit.path)


def tier_gaps(user: AnyUser, election: Election, *, province: AdminUnit | None = None,
              tier: int | None = None) -> tuple[list[CountyGaps], dict[int, dict[str, int]]]:
    """The required measures of each county's tier that are missing or not done, per county
    in the user's scope, worst first; and per tier the counties, those with gaps and the
    gaps. Five queries whatever the number of counties (the atlas's required measures are
    carried out as plans measures: one concept)."""
    counties_qs = AdminUnit.objects.filter(kind=Kind.COUNTY).select_related("parent").only(
        "name", "path", "kind", "code", "parent_id", "parent__name", "parent__path",
        "parent__kind")
    if province is not None:
        counties_qs = counties_qs.filter(parent=province)
    counties = {c.pk: c for c in access.scope_queryset(
        user, counties_qs, action=policy.VIEW, path_field="path", model_label=MEASURE)}
    scores = UnitScore.objects.filter(election=election, level=UnitLevel.COUNTY,
                                      unit_id__in=list(counties))
    if tier is not None:
        scores = scores.filter(tier=tier)
    tiers = {pk: (t, floor) for pk, t, floor
             in scores.values_list("unit_id", "tier", "floor_applied")}
    required = list(RequiredMeasure.objects.filter(active=True).order_by("tier", "pk"))
    measures = {(m.unit_id, m.required_measure_id): m for m in Measure.objects.filter(
        election=election, unit_id__in=list(tiers), required_measure__isnull=False)
        .only("pk", "unit_id", "required_measure_id", "status", "due_on")}
    checked = any(r.check_code for r in required)
    short = station_shortfalls(election, list(tiers)) if checked and tiers else {}
    day = today()
    rows: list[CountyGaps] = []
    summary: dict[int, dict[str, int]] = {t: {"counties": 0, "with_gaps": 0, "gaps": 0}
                                          for t in (1, 2, 3, 4)}
    for pk, (county_tier, floor) in tiers.items():
        applies = [r for r in required if r.tier >= county_tier]
        row = CountyGaps(unit=counties[pk], tier=county_tier, floor=floor, required=len(applies))
        for req in applies:
            measure = measures.get((pk, req.pk))
            lacking = int((short.get(pk) or {}).get(req.check_code, 0) or 0) \
                if req.check_code else 0
            if measure is None:
                row.gaps.append(Gap(req, "missing", short=lacking))
            elif measure.status not in CLOSED_MEASURE_STATUSES:
                row.gaps.append(Gap(req, "open", measure, lacking, measure.due_on < day))
            elif lacking:
                row.gaps.append(Gap(req, "registry", measure, lacking))
        agg = summary[county_tier]
        agg["counties"] += 1
        agg["with_gaps"] += bool(row.gaps)
        agg["gaps"] += len(row.gaps)
        if row.gaps:
            rows.append(row)
    rows.sort(key=CountyGaps.sort_key)
    return rows, summary
