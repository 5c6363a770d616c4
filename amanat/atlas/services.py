"""Every write of the atlas: inputs people set (audited) and recomputes of the scores.

Inputs change through ``assessment_create``, ``national_tier_set``, ``county_history_set``,
``thresholds_set`` and ``required_measure_save``; each writes one audit event in its own
transaction and, on commit, enqueues the recompute of what it affects (a django-tasks task,
so the request does not wait for it); stations and incidents ask for the same through
their change notices (``atlas_on_change``, see ``core.changes``).  The recomputes
themselves are in ``atlas.recompute``. Score rows are derived data: they are not audited
row by row, the inputs they come from are.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amanat.accounts.access import AnyUser, signed_in
from amanat.accounts.models import Agency
from amanat.atlas import catalogue, tasks
from amanat.atlas import factors as fx
from amanat.atlas.models import (
    Assessment,
    CountyHistory,
    FactorCatalogue,
    NationalTier,
    RequiredMeasure,
    Snapshot,
    TierThreshold,
    UnitScore,
)
from amanat.audit.services import audit_record, audit_snapshot
from amanat.core import changes, jobs
from amanat.core.errors import RuleError
from amanat.core.forms import jalali_problem
from amanat.core.models import Job
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.jalali import era_problem
from amanat.lib.persian import clean_text
from amanat.stations.models import Station


def _require_county(unit: AdminUnit) -> None:
    if unit.kind != Kind.COUNTY:
        raise RuleError(_("“%(unit)s” is not a county."), code="not_a_county", field="county",
                        unit=unit.name)


# --- enqueueing recomputes ----------------------------------------------------------------


def atlas_enqueue_station_changed(station_id: int) -> None:
    """Call after a station is saved (inside or outside a transaction): its score, its
    county and its province are recomputed by a task once the change has committed."""
    transaction.on_commit(lambda: tasks.station_changed.enqueue(station_id))


def atlas_enqueue_county_changed(election_id: int, county_id: int) -> None:
    transaction.on_commit(lambda: tasks.county_changed.enqueue(election_id, county_id))


def atlas_enqueue_province_changed(election_id: int, province_id: int) -> None:
    transaction.on_commit(lambda: tasks.province_changed.enqueue(election_id, province_id))


def atlas_enqueue_recompute(election_id: int, job_id: str | None = None) -> None:
    transaction.on_commit(lambda: tasks.recompute.enqueue(election_id, job_id))


def atlas_on_change(change: changes.Change) -> None:
    """The atlas's listener for stations' and incidents' change notices (core.changes),
    registered in ``AtlasConfig.ready``."""
    match change:
        case changes.StationChanged(station_id=station_id):
            atlas_enqueue_station_changed(station_id)
        case changes.ElectionStationsChanged(election_id=election_id):
            atlas_enqueue_recompute(election_id)


# --- inputs -------------------------------------------------------------------------------


def assessment_create(
    *, election: Election, agency: Agency, county: AdminUnit, score: int, justification: str,
    assessed_on: datetime.date, author: AnyUser, stations: Iterable[Station] = (),
) -> Assessment:
    """Record an agency's rating of a county; it supersedes the agency's earlier ones."""
    _require_county(county)
    if not 1 <= score <= 5:
        raise RuleError(_("The rating must be between 1 and 5."), code="out_of_range",
                        field="score")
    if not justification.strip():
        raise RuleError(_("Write the justification of the rating."), code="required",
                        field="justification")
    if assessed_on > timezone.localdate():
        raise RuleError(_("The assessment date cannot be in the future."), code="future",
                        field="assessed_on")
    problem = era_problem(assessed_on)
    if problem is not None:
        raise RuleError(_("The assessment date: %(problem)s."), code=problem.reason,
                        field="assessed_on", problem=jalali_problem(problem))
    flagged = list(stations)
    if any(s.county_id != county.pk or s.election_id != election.pk for s in flagged):
        raise RuleError(_("Flagged stations must be in the assessed county."),
                        code="other_county", field="stations")
    with transaction.atomic():
        assessment = Assessment.objects.create(
            election=election, agency=agency, county=county, score=score,
            justification=clean_text(justification), assessed_on=assessed_on,
            author=signed_in(author),
        )
        assessment.stations.set(flagged)
        audit_record(action="atlas.assessment.create", actor=author, unit=county, obj=assessment,
                     after={"agency": agency.code, "score": score, "assessed_on": assessed_on,
                            "justification": assessment.justification,
                            "stations": [s.pk for s in flagged]})
        atlas_enqueue_county_changed(election.pk, county.pk)
    return assessment


def national_tier_set(
    *, election: Election, county: AdminUnit, tier: int | None, actor: AnyUser, note: str = ""
) -> NationalTier | None:
    """Set (or with ``tier=None`` clear) the national tier of a county or a province."""
    if county.kind not in (Kind.COUNTY, Kind.PROVINCE):
        raise RuleError(_("“%(unit)s” is neither a county nor a province."),
                        code="not_a_county", field="county", unit=county.name)
    if tier is not None and tier not in (1, 2, 3, 4):
        raise RuleError(_("The tier must be 1, 2, 3 or 4."), code="out_of_range", field="tier")
    with transaction.atomic():
        current = NationalTier.objects.filter(election=election, county=county).first()
        before = {"tier": current.tier, "note": current.note} if current else {"tier": None}
        result: NationalTier | None = None
        if tier is None:
            if current:
                current.delete()
        else:
            result, _created = NationalTier.objects.update_or_create(
                election=election, county=county,
                defaults={"tier": tier, "note": note, "set_by": signed_in(actor),
                          "set_at": timezone.now()},
            )
        audit_record(action="atlas.national_tier.set", actor=actor, unit=county,
                     object_type="atlas.nationaltier", object_id=county.pk, before=before,
                     after={"tier": tier, "note": note, "election": election.slug})
        if county.kind == Kind.PROVINCE:
            atlas_enqueue_province_changed(election.pk, county.pk)
        else:
            atlas_enqueue_county_changed(election.pk, county.pk)
    return result


def county_history_set(
    *, election: Election, county: AdminUnit, annulled: bool, note: str, actor: AnyUser
) -> CountyHistory:
    _require_county(county)
    with transaction.atomic():
        history, created = CountyHistory.objects.get_or_create(
            election=election, county=county,
            defaults={"annulled": annulled, "note": note, "set_by": signed_in(actor)})
        before = None if created else {"annulled": history.annulled, "note": history.note}
        history.annulled, history.note, history.set_by = annulled, note, signed_in(actor)
        history.set_at = timezone.now()
        history.save()
        audit_record(action="atlas.county_history.set", actor=actor, unit=county, obj=history,
                     before=before, after={"annulled": annulled, "note": note})
        atlas_enqueue_county_changed(election.pk, county.pk)
    return history


def thresholds_set(
    *, election: Election, tier1_min: float, tier2_min: float, tier3_min: float, actor: AnyUser
) -> Job | None:
    """Change the tier thresholds of an election: 100 ≥ tier 1 > tier 2 > tier 3 > 0. The
    atlas is recomputed in the background: the job's page follows it."""
    if not 100 >= tier1_min > tier2_min > tier3_min > 0:
        raise RuleError(_("Thresholds must decrease from tier 1 to tier 3, between 0 and 100."),
                        code="thresholds_order", field="tier1_min")
    with transaction.atomic():
        row, created = TierThreshold.objects.get_or_create(election=election)
        before = None if created else {"tier1_min": row.tier1_min, "tier2_min": row.tier2_min,
                                       "tier3_min": row.tier3_min}
        row.tier1_min, row.tier2_min, row.tier3_min = tier1_min, tier2_min, tier3_min
        row.set_by, row.set_at = signed_in(actor), timezone.now()
        row.save()
        audit_record(action="atlas.thresholds.set", actor=actor, obj=row, before=before,
                     after={"tier1_min": tier1_min, "tier2_min": tier2_min,
                            "tier3_min": tier3_min, "election": election.slug})
        job = None
        if row.set_by is not None:
            job = jobs.job_create(
                kind="atlas.recompute", user_id=row.set_by.pk,
                title=_("Atlas recompute for %(election)s") % {"election": election.name},
                result_url=reverse("atlas:national") + "?" + urlencode(
                    {"election": election.slug}))
        atlas_enqueue_recompute(election.pk, str(job.pk) if job else None)
    return job


MAX_WEIGHT = 100.0


def catalogue_set(*, weights: dict[str, float], station_mean_weight: float,
                  county_mean_weight: float, incident_scale: float, over_capacity_span: float,
                  note: str, actor: AnyUser, base_version: int | None = None
                  ) -> tuple[FactorCatalogue, list[Job]]:
    """A new version of the factor catalogue (weights 0–100, each level with a positive
    total; positive parameters), audited with the version before and after; every
    election with scores is recomputed in the background, each as a job the person who
    changed the weights follows to its end (as after new thresholds)."""
    unknown = sorted(set(weights) - set(fx.CATALOGUE))
    if unknown:
        raise RuleError(_("Unknown factor: %(factor)s."), code="unknown_factor",
                        factor=", ".join(unknown))
    if any(not 0 <= float(w) <= MAX_WEIGHT for w in weights.values()):
        raise RuleError(_("Each weight must be between 0 and 100."), code="out_of_range",
                        field="weights")
    full = {code: float(weights.get(code, f.weight)) for code, f in fx.CATALOGUE.items()}
    if sum(full[f.code] for f in fx.STATION_FACTORS) <= 0:
        raise RuleError(_("At least one station factor needs a weight above 0."),
                        code="no_station_weight", field="weights")
    if not (0 < station_mean_weight <= MAX_WEIGHT and 0 < county_mean_weight <= MAX_WEIGHT):
        raise RuleError(_("The weights of the means must be above 0 and at most 100."),
                        code="out_of_range", field="station_mean_weight")
    if not (0 < incident_scale <= 1000 and 0 < over_capacity_span <= 10):
        raise RuleError(_("The incident scale must be above 0 (at most 1000) and the share "
                          "above capacity above 0 (at most 10)."),
                        code="out_of_range", field="incident_scale")
    if not note.strip():
        raise RuleError(_("Write the reason for the change."), code="required", field="note")
    try:
        with transaction.atomic():
            return _catalogue_save(full, station_mean_weight, county_mean_weight,
                                   incident_scale, over_capacity_span, note, actor,
                                   base_version)
    except IntegrityError:  # another administrator's version took the number meanwhile
        raise _catalogue_changed() from None


def _catalogue_changed() -> RuleError:
    return RuleError(_("The catalogue was changed by someone else since this page was "
                       "opened; open it again to see their values."), code="stale",
                     field="note")


def _catalogue_save(full: dict[str, float], station_mean_weight: float,
                    county_mean_weight: float, incident_scale: float,
                    over_capacity_span: float, note: str, actor: AnyUser,
                    base_version: int | None) -> tuple[FactorCatalogue, list[Job]]:
    """The new version and its recompute jobs, inside the caller's transaction
    (``catalogue_set``)."""
    before = catalogue.current()
    if base_version is not None and base_version != before.version:
        raise _catalogue_changed()
    row = FactorCatalogue.objects.create(
        version=before.version + 1, weights=full, station_mean_weight=station_mean_weight,
        county_mean_weight=county_mean_weight, incident_scale=incident_scale,
        over_capacity_span=over_capacity_span, note=clean_text(note),
        created_by=signed_in(actor))
    audit_record(action="atlas.catalogue.set", actor=actor, obj=row,
                 before=before.as_dict(),
                 after={**catalogue.of(row).as_dict(), "note": row.note})
    made: list[Job] = []
    scored = UnitScore.objects.order_by().values_list("election_id", flat=True).distinct()
    for election in Election.objects.filter(pk__in=scored).order_by("pk"):
        job = None
        if row.created_by is not None:
            job = jobs.job_create(
                kind="atlas.recompute", user_id=row.created_by.pk,
                title=_("Atlas recompute for %(election)s") % {"election": election.name},
                result_url=reverse("atlas:national") + "?" + urlencode(
                    {"election": election.slug}))
            made.append(job)
        atlas_enqueue_recompute(election.pk, str(job.pk) if job else None)
    return row, made


def required_measure_save(*, measure: RequiredMeasure, actor: AnyUser) -> RequiredMeasure:
    created = measure.pk is None
    with transaction.atomic():
        measure.save()
        audit_record(action="atlas.required_measure.create" if created
                     else "atlas.required_measure.update",
                     actor=actor, obj=measure, after=audit_snapshot(measure))
    return measure


# --- recomputing --------------------------------------------------------------------------


def snapshot_take(*, election: Election, actor: AnyUser | None = None,
                  actor_name: str | None = None,
                  day: datetime.date | None = None) -> Snapshot:
    """Copy today's county and province scores into a dated snapshot (replacing the day's)."""
    day = day or timezone.localdate()
    scores = {
        str(unit_id): [round(value, 4), tier]
        for unit_id, value, tier in UnitScore.objects.filter(election=election)
        .order_by("unit_id").values_list("unit_id", "value", "tier")
    }
    with transaction.atomic():
        snapshot, _ = Snapshot.objects.update_or_create(
            election=election, taken_on=day,
            defaults={"scores": scores, "taken_at": timezone.now()})
        audit_record(action="atlas.snapshot", actor=actor, actor_name=actor_name, obj=snapshot,
                     extra={"election": election.slug, "day": day, "units": len(scores)})
    return snapshot
