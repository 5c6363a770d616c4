"""The atlas pages: national, provincial and county atlas, forms, and the PDF download.

Views validate and fetch through the scope helpers (out of scope is 404); services write.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import policy
from amanat.accounts.access import can, can_nationally, user_memberships
from amanat.accounts.models import Agency
from amanat.atlas import catalogue, pdf, selectors, services
from amanat.atlas import factors as fx
from amanat.atlas.forms import AssessmentForm, CatalogueForm, NationalTierForm, ThresholdsForm
from amanat.atlas.models import FactorCatalogue, TierThreshold, UnitLevel, UnitScore
from amanat.atlas.selectors import TIER_COLOURS
from amanat.core.errors import RuleError
from amanat.core.replica import replica_read
from amanat.core.templatetags.persian import persian_active
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind
from amanat.stations.models import Station


def _lang() -> str:
    return "fa" if persian_active() else "en"


def _explained(rows: list[UnitScore]) -> list[dict[str, Any]]:
    lang = _lang()
    return [{"row": row, "factors": selectors.factor_rows(row.explanation, lang)[:3]}
            for row in rows]


def _map_points(rows: list[UnitScore]) -> list[dict[str, Any]]:
    lang = _lang()
    return [
        {"id": r.unit_id, "name": r.unit.name, "lat": r.unit.latitude, "lon": r.unit.longitude,
         "tier": r.tier, "score": round(r.value, 1), "colour": TIER_COLOURS[r.tier],
         "floor": r.floor_applied, "level": r.level,
         "factors": [f["name"] for f in selectors.factor_rows(r.explanation, lang)[:3]]}
        for r in rows if r.unit.latitude is not None and r.unit.longitude is not None
    ]


def _map_config(rows: list[UnitScore], focus: AdminUnit | None = None) -> dict[str, Any]:
    """The map's data; ``focus``, a province or county, is outlined and zoomed to."""
    return {"tileUrl": settings.AMANAT_TILE_URL, "attribution": settings.AMANAT_TILE_ATTRIBUTION,
            "points": _map_points(rows), "focus": focus.pk if focus else None}


@require_GET
@replica_read
def national(request: HttpRequest) -> HttpResponse:
    if not can(request.user, policy.VIEW, selectors.SCORE_LABEL, None):
        raise Http404("not found")
    election = election_for_request(request, required=True)
    counties = list(selectors.unit_scores(request.user, election, UnitLevel.COUNTY))
    provinces = list(selectors.unit_scores(request.user, election, UnitLevel.PROVINCE))
    return render(request, "atlas/national.html", {
        "election": election, "counties": _explained(counties), "provinces": provinces,
        "map_config": _map_config(counties),
        "elections": Election.objects.only("pk", "slug", "name"),
        "can_thresholds": can_nationally(request.user, policy.CHANGE, "atlas.tierthreshold"),
    })


@require_GET
@replica_read
def province(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, Kind.PROVINCE)
    election = election_for_request(request, required=True)
    counties = list(selectors.unit_scores(request.user, election, UnitLevel.COUNTY, unit))
    score = selectors.unit_score(election, unit)
    return render(request, "atlas/province.html", {
        "election": election, "unit": unit, "score": score,
        "factors": selectors.factor_rows(score.explanation, _lang()) if score else [],
        "counties": _explained(counties), "map_config": _map_config(counties, unit),
        "trend": selectors.trend(election, unit),
        "national_tier": selectors.national_tier(election, unit),
        "can_tier": can(request.user, policy.CHANGE, "atlas.nationaltier", unit),
        "can_export": can(request.user, policy.EXPORT, selectors.SCORE_LABEL, unit),
    })


@require_GET
@replica_read
def county(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, Kind.COUNTY)
    election = election_for_request(request, required=True)
    context = selectors.county_atlas(election, unit, _lang())
    user = request.user
    context |= {
        "map_config": _map_config([context["score"]] if context["score"] else [], unit),
        "can_assess": can(user, policy.CREATE, "atlas.assessment", unit),
        "can_tier": can(user, policy.CHANGE, "atlas.nationaltier", unit),
        "can_export": can(user, policy.EXPORT, selectors.SCORE_LABEL, unit),
    }
    return render(request, "atlas/county.html", context)


@require_POST
def county_pdf(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The printed atlas of a county (POST: the download is recorded in the audit log)."""
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, Kind.COUNTY,
                                             action=policy.EXPORT)
    election = election_for_request(request, required=True)
    data = pdf.county_pdf_audited(election=election, county=unit, actor=request.user)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="atlas-{unit.code}.pdf"'
    return response


@require_POST
def province_pdf(request: HttpRequest, unit_id: int) -> HttpResponse:
    """The printed atlas of a province (POST: the download is recorded in the audit log)."""
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, Kind.PROVINCE,
                                             action=policy.EXPORT)
    election = election_for_request(request, required=True)
    data = pdf.province_pdf_audited(election=election, province=unit, actor=request.user)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="atlas-province-{unit.code}.pdf"'
    return response


def _agencies_for(request: HttpRequest, unit: AdminUnit) -> QuerySet[Agency]:
    """An agency officer assesses for their own agency; others may pick any agency."""
    own = {m.agency_id for m in user_memberships(request.user)
           if m.agency_id and unit.path.startswith(m.unit.path)}
    agencies = Agency.objects.order_by("code")
    return agencies.filter(pk__in=own) if own else agencies


@require_http_methods(["GET", "POST"])
def assessment_new(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, Kind.COUNTY,
                                             action=policy.CREATE, label="atlas.assessment")
    election = election_for_request(request, required=True)
    stations = Station.objects.filter(election=election, county=unit).order_by("code")
    form = AssessmentForm(request.POST or None, agencies=_agencies_for(request, unit),
                          stations=stations.only("pk", "code", "name"),
                          initial={"assessed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.assessment_create(
                election=election, agency=data["agency"], county=unit, score=data["score"],
                justification=data["justification"], assessed_on=data["assessed_on"],
                author=request.user, stations=data["stations"])
        except RuleError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The assessment was recorded."))
            return redirect(f"{_county_url(unit)}?election={election.slug}")
    return render(request, "atlas/assessment_form.html",
                  {"form": form, "unit": unit, "election": election})


def _county_url(unit: AdminUnit) -> str:
    return reverse("atlas:county", args=[unit.pk])


def _province_url(unit: AdminUnit) -> str:
    return reverse("atlas:province", args=[unit.pk])


@require_http_methods(["GET", "POST"])
def tier_edit(request: HttpRequest, unit_id: int, kind: str = Kind.COUNTY) -> HttpResponse:
    """The national tier of a county or (``kind`` province) a province."""
    unit = selectors.get_atlas_unit_for_user(request.user, unit_id, kind,
                                             action=policy.CHANGE, label="atlas.nationaltier")
    election = election_for_request(request, required=True)
    current = selectors.national_tier(election, unit)
    form = NationalTierForm(request.POST or None, initial={
        "tier": current.tier if current else None, "note": current.note if current else ""})
    if request.method == "POST" and form.is_valid():
        services.national_tier_set(election=election, county=unit, tier=form.cleaned_data["tier"],
                                   note=form.cleaned_data["note"], actor=request.user)
        messages.success(request, _("The national tier was saved."))
        back = _province_url(unit) if kind == Kind.PROVINCE else _county_url(unit)
        return redirect(f"{back}?election={election.slug}")
    return render(request, "atlas/tier_form.html",
                  {"form": form, "unit": unit, "election": election, "current": current})


@require_http_methods(["GET", "POST"])
def thresholds(request: HttpRequest) -> HttpResponse:
    if not can_nationally(request.user, policy.CHANGE, "atlas.tierthreshold"):
        raise Http404("not found")
    election = election_for_request(request, required=True)
    row = TierThreshold.objects.filter(election=election).first() or TierThreshold(
        election=election)
    form = ThresholdsForm(request.POST or None, initial={
        "tier1_min": row.tier1_min, "tier2_min": row.tier2_min, "tier3_min": row.tier3_min})
    if request.method == "POST" and form.is_valid():
        try:
            job = services.thresholds_set(election=election, actor=request.user,
                                          **form.cleaned_data)
        except RuleError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The thresholds were saved; the atlas is being "
                                        "recomputed."))
            if job is not None:
                return redirect("site:job", job.pk)
            return redirect(f"{_national_url()}?election={election.slug}")
    return render(request, "atlas/thresholds_form.html",
                  {"form": form, "election": election, "row": row})


CATALOGUE_LABEL = "atlas.factorcatalogue"


@require_GET
def factors(request: HttpRequest) -> HttpResponse:
    """The factor catalogue in force (weights and parameters) and its versions."""
    if not can(request.user, policy.VIEW, selectors.SCORE_LABEL, None):
        raise Http404("not found")
    current = catalogue.current()
    lang = _lang()
    # The level in words (user review 2026-12: the column showed «station», «county»).
    levels = {"station": _("Station"), "county": _("County"), "province": _("Province")}
    rows = [{"factor": f, "name": f.name_fa if lang == "fa" else f.name_en,
             "level": levels.get(f.level, f.level),
             "weight": current.weight(f.code)} for f in fx.CATALOGUE.values()]
    return render(request, "atlas/factors.html", {
        "current": current, "rows": rows,
        "can_edit": can_nationally(request.user, policy.CHANGE, CATALOGUE_LABEL),
        "versions": FactorCatalogue.objects.select_related("created_by")[:20],
    })


@require_http_methods(["GET", "POST"])
def factors_edit(request: HttpRequest) -> HttpResponse:
    """National administrators change the weights and parameters: a new version of the
    catalogue, audited before → after, then a recompute in the background."""
    if not can_nationally(request.user, policy.CHANGE, CATALOGUE_LABEL):
        raise Http404("not found")
    current = catalogue.current()
    initial: dict[str, Any] = {f"w_{code}": current.weight(code) for code in fx.CATALOGUE}
    initial |= {"station_mean_weight": current.station_mean,
                "county_mean_weight": current.county_mean,
                "incident_scale": current.incident_scale,
                "over_capacity_span": current.over_capacity_span,
                "base_version": current.version}
    form = CatalogueForm(request.POST or None, initial=initial, lang=_lang())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            _row, recomputes = services.catalogue_set(
                weights=form.weights(), station_mean_weight=data["station_mean_weight"],
                county_mean_weight=data["county_mean_weight"],
                incident_scale=data["incident_scale"],
                over_capacity_span=data["over_capacity_span"], note=data["note"],
                actor=request.user, base_version=data["base_version"])
        except RuleError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("The new weights were saved; the atlas is being "
                                        "recomputed."))
            # The recompute's page shows its progress and says when it has finished
            # (user review 2026-12: the factors page said "being recomputed" and nothing
            # more); several elections: the list of the person's jobs.
            if len(recomputes) == 1:
                return redirect("site:job", recomputes[0].pk)
            if recomputes:
                return redirect("site:jobs")
            return redirect(reverse("atlas:factors"))
    return render(request, "atlas/factors_form.html", {"form": form, "current": current})


def _national_url() -> str:
    return reverse("atlas:national")


@require_GET
@replica_read
def compare(request: HttpRequest) -> HttpResponse:
    """County scores on two snapshot dates side by side: what rose, what fell."""
    if not can(request.user, policy.VIEW, selectors.SCORE_LABEL, None):
        raise Http404("not found")
    election = election_for_request(request, required=True)
    available = selectors.snapshots(election, limit=365)
    by_day = {snap.taken_on.isoformat(): snap for snap in available}
    later = by_day.get(request.GET.get("to", "")) or (available[0] if available else None)
    earlier = by_day.get(request.GET.get("from", "")) or (
        available[1] if len(available) > 1 else later
    )
    if earlier and later and earlier.taken_on > later.taken_on:
        earlier, later = later, earlier
    rows = selectors.compare_snapshots(request.user, earlier, later) if earlier and later else []
    return render(request, "atlas/compare.html", {
        "election": election, "snapshots": available, "earlier": earlier, "later": later,
        "rows": rows,
    })
