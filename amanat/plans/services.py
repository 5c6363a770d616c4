"""Writes of the plans app (docs/plans.md).

Every function is keyword-only, runs in one transaction and appends an audit event in
it.  Councils sit below plans: overdue measures reach a council's agenda through the
councils' own service (``agenda_item_add``), scheduled after a new meeting commits.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Agency, Role
from amanat.atlas import factors as atlas_factors
from amanat.atlas.models import RequiredMeasure
from amanat.atlas.selectors import required_measures, unit_score
from amanat.audit.services import audit_diff, audit_record, audit_snapshot
from amanat.core import changes
from amanat.core.errors import RuleError
from amanat.core.forms import jalali_problem
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.jalali import era_problem
from amanat.lib.persian import clean_text
from amanat.plans import pdf, playbooks, tasks
from amanat.plans.models import (
    CLOSED_MEASURE_STATUSES,
    LEVEL_MAX,
    LEVEL_MIN,
    Alert,
    AlertStatus,
    Directive,
    DirectiveMeasure,
    DirectiveStatus,
    Indicator,
    IndicatorKind,
    Localisation,
    LocalisationStatus,
    Measure,
    MeasureKind,
    MeasureSource,
    MeasureStatus,
    Phase,
    PlanComment,
    PlanStatus,
    PlaybookRun,
    RunStatus,
    RunStep,
    Scenario,
    SecurityPlan,
    StepStatus,
    Threat,
    ThreatRating,
)

SYSTEM = "system:plans"
MEASURE_FIELDS = ["unit", "threat", "title", "phase", "kind", "owner", "due_on", "status",
                  "evidence", "source"]
LOCAL_UNIT_KINDS = (Kind.PROVINCE, Kind.COUNTY)
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,40}")


def _text(value: str, *, field: str, label: Promise, limit: int, required: bool = True
          ) -> str:
    cleaned = clean_text(value or "")
    if required and not cleaned:
        raise RuleError(_("%(label)s is empty"), code="required", field=field, label=label)
    if len(cleaned) > limit:
        raise RuleError(_("%(label)s is longer than %(limit)s characters"), code="too_long",
                        field=field, label=label, limit=limit)
    return cleaned


def _date(value: datetime.date | None, *, field: str, label: Promise) -> datetime.date:
    if value is None:
        raise RuleError(_("%(label)s is missing"), code="required", field=field, label=label)
    problem = era_problem(value)
    if problem is not None:
        raise jalali_problem(problem, field=field)
    return value


def _level(value: int, *, field: str, label: Promise) -> int:
    if not isinstance(value, int) or not LEVEL_MIN <= value <= LEVEL_MAX:
        raise RuleError(_("%(label)s must be from 1 to 5"), code="range", field=field,
                        label=label)
    return value


def _choice(value: str, choices: Sequence[str], *, field: str) -> str:
    if value not in choices:
        raise RuleError(_("unknown value “%(value)s”"), code="unknown", field=field,
                        value=value)
    return value


def _slug(code: str) -> str:
    if not SLUG.fullmatch(code or ""):
        raise RuleError(_("a code holds only Latin letters, digits, hyphens and underscores"),
                        code="code", field="code")
    return code


SAME_MOMENT = _("someone else saved the same thing at the same moment; open the page again")


@contextmanager
def _unique(message: Promise, *, code: str, field: str) -> Iterator[None]:
    """Inserts whose uniqueness was checked first: a concurrent request (a double
    submit) that inserted the same row between the check and the insert is the same
    refusal as the check's, not a database error (a 500)."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError:
        raise RuleError(message, code=code, field=field) from None


def _county(unit: AdminUnit) -> None:
    if unit.kind != Kind.COUNTY:
        raise RuleError(_("this belongs to a county"), code="unit_kind", field="unit")


# --- threats ------------------------------------------------------------------------------


def threat_create(*, code: str, name_fa: str, actor: AnyUser | None,
                  unit: AdminUnit | None = None, name_en: str = "", description: str = "",
                  factors: Sequence[str] = (), impact: int = 3, source: str = "") -> Threat:
    """A threat of the national catalogue (``unit`` None) or a county's local threat."""
    if unit is not None:
        _county(unit)
    code = _slug(code)
    name_fa = _text(name_fa, field="name_fa", label=_("the threat's name"), limit=200)
    unknown = [f for f in factors if f not in atlas_factors.CATALOGUE]
    if unknown:
        raise RuleError(_("unknown atlas factor “%(factor)s”"), code="unknown_factor",
                        field="factors", factor=unknown[0])
    impact = _level(impact, field="impact", label=_("the impact"))
    exists = _("a threat with this code already exists")
    with transaction.atomic():
        if Threat.objects.filter(unit=unit, code=code).exists():
            raise RuleError(exists, code="exists", field="code")
        with _unique(exists, code="exists", field="code"):
            threat = Threat.objects.create(
                code=code, unit=unit, unit_path=unit.path if unit else "", name_fa=name_fa,
                name_en=clean_text(name_en or "", multiline=False),
                description=clean_text(description or ""), factors=list(factors),
                impact=impact, source=clean_text(source or "", multiline=False),
                created_by=signed_in(actor))
        audit_record(action="plans.threat.create", actor=actor, unit=unit, obj=threat,
                     after=audit_snapshot(threat, ["code", "unit", "name_fa", "factors",
                                                   "impact"]))
    return threat


def threat_rate(*, election: Election, threat: Threat, unit: AdminUnit, likelihood: int,
                impact: int, note: str, actor: AnyUser | None) -> ThreatRating:
    """A county's own likelihood and impact of a threat (replaces the computed level)."""
    _county(unit)
    if threat.unit_id is not None and threat.unit_id != unit.pk:
        raise RuleError(_("this threat belongs to another county"), code="other_unit",
                        field="threat")
    likelihood = _level(likelihood, field="likelihood", label=_("the likelihood"))
    impact = _level(impact, field="impact", label=_("the impact"))
    note = _text(note, field="note", label=_("the reasoning"), limit=2000)
    with transaction.atomic():
        rating = ThreatRating.objects.select_for_update().filter(
            election=election, threat=threat, unit=unit).first()
        before = {} if rating is None else audit_snapshot(rating, ["likelihood", "impact",
                                                                   "note"])
        if rating is None:
            rating = ThreatRating(election=election, threat=threat, unit=unit,
                                  unit_path=unit.path)
        rating.likelihood, rating.impact, rating.note = likelihood, impact, note
        rating.set_by, rating.set_at = signed_in(actor), timezone.now()
        with _unique(SAME_MOMENT, code="concurrent", field="likelihood"):
            rating.save()
        old, new = audit_diff(before, audit_snapshot(rating, ["likelihood", "impact", "note"]))
        audit_record(action="plans.threat.rate", actor=actor, unit=unit, obj=rating,
                     before=old, after=new, extra={"threat": threat.code})
    return rating


# --- measures -----------------------------------------------------------------------------


def _check_local_unit(unit: AdminUnit) -> None:
    if unit.kind not in LOCAL_UNIT_KINDS:
        raise RuleError(_("measures belong to a province or a county"), code="unit_kind",
                        field="unit")


def measure_create(*, election: Election, unit: AdminUnit, title: str, phase: str,
                   owner: Agency, due_on: datetime.date, actor: AnyUser | None,
                   kind: str = MeasureKind.PREVENTIVE, threat: Threat | None = None,
                   localisation: Localisation | None = None,
                   source: str = MeasureSource.LOCAL,
                   directive_measure: DirectiveMeasure | None = None,
                   required_measure: RequiredMeasure | None = None) -> Measure:
    _check_local_unit(unit)
    title = _text(title, field="title", label=_("the measure"), limit=300)
    _choice(phase, Phase.values, field="phase")
    _choice(kind, MeasureKind.values, field="kind")
    due_on = _date(due_on, field="due_on", label=_("the due date"))
    if threat is not None and threat.unit_id not in (None, unit.pk):
        raise RuleError(_("this threat belongs to another county"), code="other_unit",
                        field="threat")
    if localisation is not None and localisation.status == LocalisationStatus.APPROVED \
            and source == MeasureSource.LOCAL:
        raise RuleError(_("the localisation is approved; it no longer changes"),
                        code="approved", field="title")
    with transaction.atomic():
        measure = Measure.objects.create(
            election=election, unit=unit, unit_path=unit.path, threat=threat, title=title,
            phase=phase, kind=kind, owner=owner, due_on=due_on, source=source,
            localisation=localisation, directive_measure=directive_measure,
            required_measure=required_measure,
        )
        audit_record(action="plans.measure.create", actor=actor, unit=unit, obj=measure,
                     after=audit_snapshot(measure, MEASURE_FIELDS))
    return measure


def measure_report(*, measure: Measure, status: str, evidence: str, actor: AnyUser | None
                   ) -> Measure:
    """Report a measure's progress; done or not applicable needs its evidence."""
    _choice(status, MeasureStatus.values, field="status")
    evidence = _text(evidence, field="evidence", label=_("the evidence"), limit=4000,
                     required=status in CLOSED_MEASURE_STATUSES)
    if status == MeasureStatus.NOT_APPLICABLE and not _may_waive(actor, measure):
        raise RuleError(_("only the province or the ministry may declare a required measure "
                          "not applicable; report what was done with its evidence"),
                        code="waiver_above_county", field="status")
    with transaction.atomic():
        measure = Measure.objects.select_for_update().select_related("unit").get(pk=measure.pk)
        before = audit_snapshot(measure, ["status", "evidence"])
        if measure.status == status and measure.evidence == evidence:
            raise RuleError(_("nothing changed"), code="unchanged", field="status")
        measure.status, measure.evidence = status, evidence
        measure.reported_at, measure.reported_by = timezone.now(), signed_in(actor)
        measure.save()
        old, new = audit_diff(before, audit_snapshot(measure, ["status", "evidence"]))
        audit_record(action="plans.measure.report", actor=actor, unit=measure.unit,
                     obj=measure, before=old, after=new)
    return measure


def _may_waive(actor: AnyUser | None, measure: Measure) -> bool:
    """A county's own measure it may declare not applicable itself; the ministry's
    (a directive's or the atlas tier's) only someone who may change measures above the
    county: otherwise a county reached full compliance and an empty gaps list by waiving
    what it was required to do (attack review 2026-12, P11).  No actor: the system."""
    if measure.source == MeasureSource.LOCAL or actor is None:
        return True
    parent = measure.unit.parent
    return parent is not None and access.can(actor, policy.CHANGE, "plans.measure", parent)


def measures_from_tier(*, election: Election, county: AdminUnit, actor: AnyUser | None,
                       owner: Agency | None = None) -> list[Measure]:
    """The atlas's required measures for the county's tier, as measures of the county
    (each once); due the day before the election, owned by the election headquarters."""
    _county(county)
    score = unit_score(election, county)
    if score is None:
        raise RuleError(_("the atlas has no tier for this county yet"), code="no_tier",
                        field="unit")
    owner = owner or Agency.objects.get(code="election_hq")
    due = election.election_day - datetime.timedelta(days=1)
    created: list[Measure] = []
    with transaction.atomic():
        have = set(Measure.objects.filter(election=election, unit=county,
                                          required_measure__isnull=False)
                   .values_list("required_measure_id", flat=True))
        for required in required_measures(score.tier):
            if required.pk in have:
                continue
            with _unique(SAME_MOMENT, code="concurrent", field="unit"):
                created.append(Measure.objects.create(
                    election=election, unit=county, unit_path=county.path,
                    title=required.description_fa, phase=Phase.BEFORE, owner=owner,
                    due_on=due, source=MeasureSource.TIER, required_measure=required))
        audit_record(action="plans.measure.from_tier", actor=actor, unit=county,
                     object_type="geo.adminunit", object_id=county.pk,
                     extra={"tier": score.tier, "measures": [m.pk for m in created]})
    return created


# --- overdue measures on the council's agenda ------------------------------------------------


def plans_on_change(change: changes.Change) -> None:
    """The plans listener (``PlansConfig.ready``): a new meeting gets the overdue measures
    of its area, on commit, like the serious cases the councils carry themselves."""
    match change:
        case changes.MeetingCreated(meeting_id=meeting_id):
            transaction.on_commit(lambda: tasks.meeting_created.enqueue(meeting_id))


# --- directives and their localisation -----------------------------------------------------


@dataclass(frozen=True)
class MeasureSpec:
    title: str
    phase: str
    owner: Agency
    due_on: datetime.date
    kind: str = MeasureKind.PREVENTIVE
    threat: Threat | None = None


def directive_create(*, election: Election, code: str, title: str, text: str,
                     localise_by: datetime.date, actor: AnyUser | None,
                     measures: Sequence[MeasureSpec] = ()) -> Directive:
    """A draft directive; a draft with the code of an issued one is its next version."""
    code = _slug(code)
    title = _text(title, field="title", label=_("the directive's title"), limit=300)
    text = _text(text, field="text", label=_("the directive's text"), limit=20_000)
    localise_by = _date(localise_by, field="localise_by", label=_("the localisation deadline"))
    with transaction.atomic():
        last = Directive.objects.filter(election=election, code=code).aggregate(
            v=Max("version"))["v"] or 0
        exists = _("a draft of this directive already exists")
        if Directive.objects.filter(election=election, code=code,
                                    status=DirectiveStatus.DRAFT).exists():
            raise RuleError(exists, code="exists", field="code")
        with _unique(exists, code="exists", field="code"):
            directive = Directive.objects.create(
                election=election, code=code, version=last + 1, title=title, text=text,
                localise_by=localise_by)
        audit_record(action="plans.directive.create", actor=actor, obj=directive,
                     after=audit_snapshot(directive, ["code", "version", "title",
                                                      "localise_by"]))
        for spec in measures:
            directive_measure_add(directive=directive, spec=spec, actor=actor)
    return directive


def directive_measure_add(*, directive: Directive, spec: MeasureSpec, actor: AnyUser | None
                          ) -> DirectiveMeasure:
    if directive.status != DirectiveStatus.DRAFT:
        raise RuleError(_("an issued directive no longer changes; draft a new version"),
                        code="issued", field="title")
    title = _text(spec.title, field="title", label=_("the measure"), limit=300)
    _choice(spec.phase, Phase.values, field="phase")
    _choice(spec.kind, MeasureKind.values, field="kind")
    due_on = _date(spec.due_on, field="due_on", label=_("the due date"))
    with transaction.atomic():
        order = (directive.measures.aggregate(n=Max("order"))["n"] or 0) + 1
        item = DirectiveMeasure.objects.create(
            directive=directive, order=order, title=title, phase=spec.phase, kind=spec.kind,
            owner=spec.owner, due_on=due_on, threat=spec.threat)
        audit_record(action="plans.directive.measure_add", actor=actor, obj=item,
                     after=audit_snapshot(item, ["directive", "order", "title", "phase",
                                                 "owner", "due_on"]))
    return item


def directive_issue(*, directive: Directive, actor: AnyUser | None) -> Directive:
    """Issue a draft to every governor; the version it replaces is superseded."""
    with transaction.atomic():
        directive = Directive.objects.select_for_update().get(pk=directive.pk)
        if directive.status != DirectiveStatus.DRAFT:
            raise RuleError(_("this directive is already issued"), code="issued",
                            field="status")
        if not directive.measures.exists():
            raise RuleError(_("a directive needs at least one measure"), code="no_measures",
                            field="status")
        superseded = list(Directive.objects.filter(
            election=directive.election, code=directive.code, status=DirectiveStatus.ISSUED)
            .values_list("pk", flat=True))
        Directive.objects.filter(pk__in=superseded).update(status=DirectiveStatus.SUPERSEDED)
        directive.status = DirectiveStatus.ISSUED
        directive.issued_at, directive.issued_by = timezone.now(), signed_in(actor)
        directive.save(update_fields=["status", "issued_at", "issued_by"])
        audit_record(action="plans.directive.issue", actor=actor, obj=directive,
                     extra={"version": directive.version, "superseded": superseded})
    return directive


def localisation_start(*, directive: Directive, unit: AdminUnit, actor: AnyUser | None,
                       text: str = "") -> Localisation:
    """A unit starts localising an issued directive: its measures become the unit's,
    with the directive's deadlines, to adapt and add to."""
    _check_local_unit(unit)
    with transaction.atomic():
        directive = Directive.objects.get(pk=directive.pk)
        if directive.status != DirectiveStatus.ISSUED:
            raise RuleError(_("only an issued directive is localised"), code="not_issued",
                            field="directive")
        try:
            with transaction.atomic():
                loc = Localisation.objects.create(
                    directive=directive, unit=unit, unit_path=unit.path,
                    text=_text(text, field="text", label=_("the adapted text"),
                               limit=20_000, required=False) or directive.text,
                    created_by=signed_in(actor))
        except IntegrityError:
            raise RuleError(_("this unit has already started localising the directive"),
                            code="exists", field="directive") from None
        rows = [Measure(election=directive.election, unit=unit, unit_path=unit.path,
                        threat=dm.threat, title=dm.title, phase=dm.phase, kind=dm.kind,
                        owner=dm.owner, due_on=dm.due_on, source=MeasureSource.DIRECTIVE,
                        localisation=loc, directive_measure=dm)
                for dm in directive.measures.select_related("owner", "threat")]
        Measure.objects.bulk_create(rows)
        audit_record(action="plans.localisation.start", actor=actor, unit=unit, obj=loc,
                     extra={"directive": directive.pk, "version": directive.version,
                            "measures": len(rows)})
    return loc


def localisation_update(*, localisation: Localisation, text: str, actor: AnyUser | None
                        ) -> Localisation:
    text = _text(text, field="text", label=_("the adapted text"), limit=20_000)
    with transaction.atomic():
        loc = Localisation.objects.select_for_update().select_related("unit").get(
            pk=localisation.pk)
        if loc.status == LocalisationStatus.APPROVED:
            raise RuleError(_("the localisation is approved; it no longer changes"),
                            code="approved", field="text")
        old, new = audit_diff({"text": loc.text}, {"text": text})
        loc.text = text
        loc.save(update_fields=["text"])
        audit_record(action="plans.localisation.update", actor=actor, unit=loc.unit, obj=loc,
                     before=old, after=new)
    return loc


def localisation_approve(*, localisation: Localisation, actor: AnyUser | None
                         ) -> Localisation:
    """The governor approves the localised directive (it then goes on to compliance)."""
    with transaction.atomic():
        loc = Localisation.objects.select_for_update().select_related("unit").get(
            pk=localisation.pk)
        if loc.status == LocalisationStatus.APPROVED:
            raise RuleError(_("the localisation is already approved"), code="approved",
                            field="status")
        loc.status = LocalisationStatus.APPROVED
        loc.approved_at, loc.approved_by = timezone.now(), signed_in(actor)
        loc.save(update_fields=["status", "approved_at", "approved_by"])
        audit_record(action="plans.localisation.approve", actor=actor, unit=loc.unit, obj=loc,
                     extra={"measures": loc.measures.count()})
    return loc


# --- scenarios, indicators, alerts and playbooks ---------------------------------------------


@dataclass(frozen=True)
class IndicatorSpec:
    kind: str
    threshold: float
    window_minutes: int = 60
    category: Any = None  # incidents.Category or None


def scenario_create(*, code: str, threat: Threat, title: str, playbook: dict[str, Any],
                    actor: AnyUser | None, unit: AdminUnit | None = None,
                    description: str = "", alert_roles: Sequence[str] = (Role.GOVERNOR,),
                    indicators_: Sequence[IndicatorSpec] = ()) -> Scenario:
    """A scenario with its trigger indicators and playbook (checked against the
    documented CACAO-shaped structure, ``plans.playbooks``)."""
    if unit is not None:
        _county(unit)
    code = _slug(code)
    title = _text(title, field="title", label=_("the scenario's title"), limit=300)
    playbooks.validate(playbook)
    for role in alert_roles:
        _choice(role, Role.values, field="alert_roles")
    for spec in indicators_:
        _choice(spec.kind, IndicatorKind.values, field="kind")
        if spec.threshold <= 0 or spec.window_minutes <= 0:
            raise RuleError(_("a threshold and a window are positive"), code="range",
                            field="threshold")
    with transaction.atomic():
        exists = _("a scenario with this code already exists")
        if Scenario.objects.filter(unit=unit, code=code).exists():
            raise RuleError(exists, code="exists", field="code")
        with _unique(exists, code="exists", field="code"):
            scenario = Scenario.objects.create(
                code=code, unit=unit, unit_path=unit.path if unit else "", threat=threat,
                title=title, description=clean_text(description or ""), playbook=playbook,
                alert_roles=list(alert_roles))
        Indicator.objects.bulk_create([
            Indicator(scenario=scenario, kind=s.kind, threshold=s.threshold,
                      window_minutes=s.window_minutes, category=s.category)
            for s in indicators_])
        audit_record(action="plans.scenario.create", actor=actor, unit=unit, obj=scenario,
                     after=audit_snapshot(scenario, ["code", "unit", "threat", "title",
                                                     "alert_roles"]),
                     extra={"indicators": [[s.kind, s.threshold, s.window_minutes]
                                           for s in indicators_]})
    return scenario


def _scenario_state(scenario: Scenario) -> dict[str, Any]:
    return {"title": scenario.title, "description": scenario.description,
            "alert_roles": list(scenario.alert_roles), "active": scenario.active}


def scenario_update(*, scenario: Scenario, title: str, description: str,
                    alert_roles: Sequence[str], active: bool, actor: AnyUser | None
                    ) -> Scenario:
    """Change a scenario's title, description, alerted roles and whether it is evaluated."""
    title = _text(title, field="title", label=_("the scenario's title"), limit=300)
    description = _text(description, field="description", label=_("the description"),
                        limit=4000, required=False)
    for role in alert_roles:
        _choice(role, Role.values, field="alert_roles")
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update().get(pk=scenario.pk)
        before = _scenario_state(scenario)
        scenario.title, scenario.description = title, description
        scenario.alert_roles, scenario.active = list(alert_roles), bool(active)
        scenario.save(update_fields=["title", "description", "alert_roles", "active"])
        audit_record(action="plans.scenario.update", actor=actor, unit=scenario.unit,
                     obj=scenario, before=before, after=_scenario_state(scenario))
    return scenario


def _indicator_check(kind: str, threshold: float, window_minutes: int) -> None:
    _choice(kind, IndicatorKind.values, field="kind")
    if not threshold > 0:
        raise RuleError(_("a threshold and a window are positive"), code="range",
                        field="threshold")
    if not 0 < window_minutes <= 7 * 24 * 60:
        raise RuleError(_("the window is between 1 minute and 7 days"), code="range",
                        field="window_minutes")


def _indicator_state(indicator: Indicator) -> dict[str, Any]:
    return {"kind": indicator.kind, "threshold": indicator.threshold,
            "window_minutes": indicator.window_minutes,
            "category": indicator.category.code if indicator.category else None}


def indicator_add(*, scenario: Scenario, spec: IndicatorSpec, actor: AnyUser | None
                  ) -> Indicator:
    """A new trigger indicator of a scenario (evaluated from the next run on)."""
    _indicator_check(spec.kind, spec.threshold, spec.window_minutes)
    with transaction.atomic():
        indicator = Indicator.objects.create(
            scenario=scenario, kind=spec.kind, threshold=spec.threshold,
            window_minutes=spec.window_minutes, category=spec.category)
        audit_record(action="plans.indicator.create", actor=actor, unit=scenario.unit,
                     obj=indicator, after={**_indicator_state(indicator),
                                           "scenario": scenario.code})
    return indicator


def indicator_update(*, indicator: Indicator, threshold: float, window_minutes: int,
                     category: Any, actor: AnyUser | None) -> Indicator:
    """Change an indicator's threshold, window and category (its kind stays)."""
    _indicator_check(indicator.kind, threshold, window_minutes)
    with transaction.atomic():
        indicator = Indicator.objects.select_for_update(of=("self",)).select_related(
            "scenario__unit", "category").get(pk=indicator.pk)
        before = _indicator_state(indicator)
        indicator.threshold, indicator.window_minutes = threshold, window_minutes
        indicator.category = category
        indicator.save(update_fields=["threshold", "window_minutes", "category"])
        audit_record(action="plans.indicator.update", actor=actor,
                     unit=indicator.scenario.unit, obj=indicator, before=before,
                     after=_indicator_state(indicator))
    return indicator


def _steps(scenario: Scenario) -> list[tuple[str, str]]:
    return [(step.agent, step.name) for step in playbooks.ordered_steps(scenario.playbook)]


def _playbook_save(scenario: Scenario, steps: list[tuple[str, str]], *, action: str,
                   actor: AnyUser | None, before: list[tuple[str, str]]) -> Scenario:
    playbook = playbooks.build(scenario.code, scenario.title, steps)
    playbooks.validate(playbook)
    scenario.playbook = playbook
    scenario.save(update_fields=["playbook"])
    audit_record(action=action, actor=actor, unit=scenario.unit, obj=scenario,
                 before={"steps": [list(s) for s in before]},
                 after={"steps": [list(s) for s in steps]})
    return scenario


def playbook_step_add(*, scenario: Scenario, agency: Agency, name: str,
                      position: int | None, actor: AnyUser | None) -> Scenario:
    """Insert a step (owner agency, name) in the playbook at ``position`` (1-based; None:
    at the end); the playbook is rebuilt in the documented CACAO shape."""
    name = _text(name, field="name", label=_("the step"), limit=300)
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update(of=("self",)).select_related("unit").get(
            pk=scenario.pk)
        before = _steps(scenario)
        steps = list(before)
        at = len(steps) if position is None else min(max(position, 1), len(steps) + 1) - 1
        steps.insert(at, (agency.code, name))
        return _playbook_save(scenario, steps, action="plans.playbook.step_add", actor=actor,
                              before=before)


def playbook_step_remove(*, scenario: Scenario, position: int, actor: AnyUser | None
                         ) -> Scenario:
    """Remove the step at ``position`` (1-based); a playbook keeps at least one step."""
    with transaction.atomic():
        scenario = Scenario.objects.select_for_update(of=("self",)).select_related("unit").get(
            pk=scenario.pk)
        before = _steps(scenario)
        if not 1 <= position <= len(before):
            raise RuleError(_("there is no such step"), code="no_step", field="position")
        if len(before) == 1:
            raise RuleError(_("a playbook keeps at least one step"), code="last_step",
                            field="position")
        steps = before[:position - 1] + before[position:]
        return _playbook_save(scenario, steps, action="plans.playbook.step_remove",
                              actor=actor, before=before)


def alert_acknowledge(*, alert: Alert, actor: AnyUser | None) -> Alert:
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("unit").get(pk=alert.pk)
        if alert.status != AlertStatus.OPEN:
            raise RuleError(_("this alert is not open"), code="not_open", field="status")
        alert.status, alert.acknowledged_by = AlertStatus.ACKNOWLEDGED, signed_in(actor)
        alert.save(update_fields=["status", "acknowledged_by"])
        audit_record(action="plans.alert.acknowledge", actor=actor, unit=alert.unit, obj=alert)
    return alert


def playbook_start(*, scenario: Scenario, unit: AdminUnit, actor: AnyUser | None,
                   alert: Alert | None = None) -> PlaybookRun:
    """Start the scenario's playbook as a live response in a county: its steps, in
    workflow order, each with its owner agency."""
    _county(unit)
    if scenario.unit_id not in (None, unit.pk):
        raise RuleError(_("this scenario belongs to another county"), code="other_unit",
                        field="scenario")
    steps = playbooks.ordered_steps(scenario.playbook)
    agencies = {a.code: a for a in Agency.objects.all()}
    with transaction.atomic():
        running = _("this playbook is already running in this county")
        if PlaybookRun.objects.filter(scenario=scenario, unit=unit,
                                      status=RunStatus.RUNNING).exists():
            raise RuleError(running, code="running", field="scenario")
        with _unique(running, code="running", field="scenario"):
            run = PlaybookRun.objects.create(scenario=scenario, alert=alert, unit=unit,
                                             unit_path=unit.path,
                                             started_by=signed_in(actor))
        RunStep.objects.bulk_create([
            RunStep(run=run, order=position, step_id=step.id, title=step.name[:300],
                    owner=agencies.get(step.agent))
            for position, step in enumerate(steps, start=1)])
        audit_record(action="plans.playbook.start", actor=actor, unit=unit, obj=run,
                     extra={"scenario": scenario.code, "alert": alert.pk if alert else None,
                            "steps": len(steps)})
    return run


def run_step_close(*, step: RunStep, status: str, actor: AnyUser | None, note: str = ""
                   ) -> RunStep:
    """Mark a step done or skipped (a skip says why); the run completes with its last."""
    _choice(status, (StepStatus.DONE, StepStatus.SKIPPED), field="status")
    note = _text(note, field="note", label=_("the note"), limit=2000,
                 required=status == StepStatus.SKIPPED)
    with transaction.atomic():
        step = RunStep.objects.select_for_update().select_related("run__unit").get(pk=step.pk)
        run = step.run
        if run.status != RunStatus.RUNNING:
            raise RuleError(_("this playbook run is over"), code="completed", field="status")
        if step.status != StepStatus.PENDING:
            raise RuleError(_("this step is already closed"), code="closed", field="status")
        now = timezone.now()
        step.status, step.note, step.closed_at, step.closed_by = (status, note, now,
                                                                  signed_in(actor))
        step.save()
        audit_record(action=f"plans.playbook.step_{status}", actor=actor, unit=run.unit,
                     obj=step, extra={"run": run.pk, "step": step.step_id, "note": note})
        if not run.steps.filter(status=StepStatus.PENDING).exists():
            run.status, run.completed_at = RunStatus.COMPLETED, now
            run.save(update_fields=["status", "completed_at"])
            audit_record(action="plans.playbook.complete", actor=actor, unit=run.unit,
                         obj=run, extra={"minutes": round((now - run.started_at)
                                                          .total_seconds() / 60, 1)})
    return step


# --- the county security plan ---------------------------------------------------------------

PLAN_NEXT = {
    PlanStatus.DRAFT: PlanStatus.IN_REVIEW,
    PlanStatus.IN_REVIEW: PlanStatus.APPROVED,
    PlanStatus.APPROVED: PlanStatus.SENT,
}


def plan_draft(*, election: Election, unit: AdminUnit, summary: str, actor: AnyUser | None
               ) -> SecurityPlan:
    """Create or edit the county's plan text while it is a draft or in review."""
    _county(unit)
    summary = _text(summary, field="summary", label=_("the plan's summary"), limit=20_000)
    with transaction.atomic():
        plan, created = SecurityPlan.objects.select_for_update().get_or_create(
            election=election, unit=unit, defaults={"unit_path": unit.path})
        if plan.status in (PlanStatus.APPROVED, PlanStatus.SENT):
            raise RuleError(_("the plan is approved; it no longer changes"), code="approved",
                            field="summary")
        old, new = audit_diff({"summary": plan.summary}, {"summary": summary})
        plan.summary = summary
        plan.save(update_fields=["summary"])
        audit_record(action="plans.plan.create" if created else "plans.plan.update",
                     actor=actor, unit=unit, obj=plan, before=old, after=new)
    return plan


def plan_advance(*, plan: SecurityPlan, to: str, actor: AnyUser | None) -> SecurityPlan:
    """Draft → with the agencies → approved by the governor → sent to the province."""
    with transaction.atomic():
        plan = SecurityPlan.objects.select_for_update().select_related("unit").get(pk=plan.pk)
        if PLAN_NEXT.get(PlanStatus(plan.status)) != to:
            raise RuleError(_("the plan cannot move from “%(from)s” to this step"),
                            code="order", field="status", **{"from": plan.get_status_display()})
        now = timezone.now()
        plan.status = to
        extra = None
        if to == PlanStatus.APPROVED:
            plan.approved_at, plan.approved_by = now, signed_in(actor)
            # What the governor approves is what is printed and sent from now on.
            plan.approved_content = pdf.plan_content(plan)
            extra = {"content_sha256": hashlib.sha256(json.dumps(
                plan.approved_content, sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()}
        if to == PlanStatus.SENT:
            plan.sent_at = now
        plan.save()
        audit_record(action=f"plans.plan.{to}", actor=actor, unit=plan.unit, obj=plan,
                     extra=extra)
    return plan


def plan_comment(*, plan: SecurityPlan, agency: Agency, text: str, actor: AnyUser | None
                 ) -> PlanComment:
    text = _text(text, field="text", label=_("the comment"), limit=4000)
    with transaction.atomic():
        plan = SecurityPlan.objects.select_for_update().select_related("unit").get(pk=plan.pk)
        if plan.status != PlanStatus.IN_REVIEW:
            raise RuleError(_("comments are taken while the plan is with the agencies"),
                            code="not_in_review", field="text")
        comment = PlanComment.objects.create(plan=plan, agency=agency, text=text,
                                             author=signed_in(actor))
        audit_record(action="plans.plan.comment", actor=actor, unit=plan.unit, obj=comment,
                     after={"agency": agency.code, "text": text})
    return comment


def plan_export_record(*, plan: SecurityPlan, actor: AnyUser | None) -> None:
    audit_record(action="plans.plan.export", actor=actor, unit=plan.unit, obj=plan,
                 extra={"format": "pdf"})
