"""Pages of the plans app: the compliance dashboard, the work list, the threat catalogue,
a county's plan (threats with their levels, measures by phase, scenarios, alerts, runs),
directives and their localisation, scenarios and playbook runs, the county security plan.

Views validate and fetch through the scope helpers in ``selectors``; services write.
Out of scope is 404.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from amanat.accounts import access, policy
from amanat.accounts.models import Agency
from amanat.core.errors import RuleError
from amanat.core.replica import replica_read
from amanat.core.templatetags.persian import localize_number, persian_active
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind
from amanat.plans import pdf, playbooks, selectors, services
from amanat.plans.forms import (
    DirectiveForm,
    DirectiveMeasureForm,
    IndicatorEditForm,
    IndicatorForm,
    LocalisationForm,
    MeasureForm,
    MeasureReportForm,
    PlanAdvanceForm,
    PlanCommentForm,
    PlanForm,
    ScenarioEditForm,
    ScenarioForm,
    StepCloseForm,
    StepForm,
    ThreatForm,
    ThreatRatingForm,
)
from amanat.plans.models import (
    Directive,
    DirectiveStatus,
    Localisation,
    LocalisationStatus,
    Phase,
    PlanStatus,
    SecurityPlan,
    Threat,
)

PER_PAGE = 50
S = selectors


def _require(request: HttpRequest, action: str, label: str) -> None:
    if not access.can(request.user, action, label, None):
        raise Http404("not found")


def _form_error(form: forms.BaseForm, error: RuleError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _form_page(request: HttpRequest, form: forms.BaseForm, *, title: str, cancel: str,
               unit: AdminUnit | None = None) -> HttpResponse:
    return render(request, "plans/form.html", {"form": form, "title": title,
                                               "cancel": cancel, "unit": unit})


def _election(request: HttpRequest) -> Election:
    return election_for_request(request, required=True)


def county_url(unit_id: int) -> str:
    return reverse("plans:county", args=[unit_id])


# --- dashboard and work list ---------------------------------------------------------------------


def _url_pattern(name: str) -> str:
    """The URL of ``name`` with one integer argument, as a ``str.format`` pattern (one
    ``reverse`` for a table instead of one per row)."""
    return reverse(name, args=[987654321]).replace("987654321", "{}")


def county_rows_html(rows: list[S.Compliance]) -> SafeString:
    """The county rows of the compliance table, built in one pass.

    448 rows through the template language cost two ``{% url %}`` and five filters each
    (most of the page's time, docs/benchmarks.md): here the two URLs are patterns
    reversed once, the status labels are looked up once, and the numbers are localised
    per row; every text from the database is escaped."""
    county, localisation = _url_pattern("plans:county"), _url_pattern("plans:localisation")
    labels = {value: escape(label) for value, label in LocalisationStatus.choices}
    missing = '<span class="badge text-bg-danger">{}</span>'.format(escape(_("Not localised")))
    # The language is read once for the table, not once per number.
    digits = (str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹\u066c") if persian_active()
              else str.maketrans("", ""))
    percent_sign = localize_number("1%")[1:]

    def num(value: int) -> str:
        return f"{value:,}".translate(digits)

    out = []
    for r in rows:
        loc = r.localisation
        state = (f'<a href="{localisation.format(loc.pk)}">{labels.get(loc.status, "")}</a>'
                 if loc is not None else missing)
        overdue = num(r.overdue)
        if r.overdue:
            overdue = f'<span class="text-danger">{overdue}</span>'
        parent = r.unit.parent
        out.append(
            f'<tr data-testid="compliance-row" data-state="{escape(r.state)}">'
            f'<td><a href="{county.format(r.unit.pk)}">{escape(r.unit.name)}</a></td>'
            f'<td>{escape(parent.name) if parent is not None else ""}</td>'
            f"<td>{state}</td><td>{num(r.done)} / {num(r.total)}</td>"
            f"<td>{num(r.percent)}{percent_sign}</td><td>{overdue}</td></tr>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value above is escaped or a number


@replica_read
def dashboard(request: HttpRequest) -> HttpResponse:
    """Compliance with the current directive per county, worst first, with the province
    roll-up and a map."""
    _require(request, policy.VIEW, S.LOCALISATION)
    election = _election(request)
    directive = S.current_directive(election)
    rows, provinces, total = (S.compliance(request.user, directive) if directive
                              else ([], [], None))
    # The provincial dashboard: one province's counties (a row of the province table).
    province = next((p.unit for p in provinces
                     if str(p.unit.pk) == request.GET.get("province")), None)
    if province is not None:
        rows = [r for r in rows if r.unit.parent_id == province.pk]
        total = next(p for p in provinces if p.unit.pk == province.pk)
    return render(request, "plans/dashboard.html", {
        "election": election, "directive": directive, "rows": rows, "provinces": provinces,
        "county_rows": county_rows_html(rows),
        "province": province,
        "total": total, "states": S.rollup(rows),
        "can_localise": access.can(request.user, policy.CREATE, S.LOCALISATION, None),
        "map_config": {
            "tileUrl": settings.AMANAT_TILE_URL, "attribution": settings.AMANAT_TILE_ATTRIBUTION,
            "points": [{"id": r.unit.pk, "name": r.unit.name, "lat": r.unit.latitude,
                        "lon": r.unit.longitude, "state": r.state, "percent": r.percent,
                        "label": f"{r.percent}%"}
                       for r in rows if r.unit.latitude is not None]},
    })


def work_list(request: HttpRequest) -> HttpResponse:
    """Open measures in scope, overdue first: the county's work list."""
    _require(request, policy.VIEW, S.MEASURE)
    election = _election(request)
    overdue = request.GET.get("overdue") == "1"
    page = Paginator(S.work_list(request.user, election, overdue_only=overdue),
                     PER_PAGE).get_page(request.GET.get("page"))
    # The work list is where an owner reports (user review 2026-12: it had no report link,
    # so an agency officer could not act on the list of what was due).
    return render(request, "plans/work_list.html", {
        "page": page, "overdue": overdue, "today": S.today(),
        "query": "overdue=1" if overdue else "",
        "reportable": {m.pk for m in page.object_list if S.can_report(request.user, m)}})


@replica_read
def gaps(request: HttpRequest) -> HttpResponse:
    """The national list of gaps by tier: which measures each county's tier requires are
    missing or not done, worst first (highest-risk tier, then most gaps); scoped, with
    filters by province, tier and county (a county out of scope is 404)."""
    _require(request, policy.VIEW, S.MEASURE)
    election = _election(request)
    province = county = None
    query = {}
    if request.GET.get("province"):
        province = S.get_unit_for_user(request.user, request.GET["province"], S.MEASURE,
                                       kinds=(Kind.PROVINCE,))
        query["province"] = province.pk
    if request.GET.get("county"):
        county = S.get_unit_for_user(request.user, request.GET["county"], S.MEASURE)
        query["county"] = county.pk
    tier = request.GET.get("tier")
    tier_value = int(tier) if tier in ("1", "2", "3", "4") else None
    if tier_value:
        query["tier"] = tier_value
    rows, summary = S.tier_gaps(request.user, election, province=province, tier=tier_value)
    if county is not None:
        rows = [r for r in rows if r.unit.pk == county.pk]
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "plans/gaps.html", {
        "election": election, "page": page, "summary": sorted(summary.items()),
        "province": province, "county": county, "tier": tier_value,
        "query": urlencode(query),
    })


# --- threats -------------------------------------------------------------------------------------


def threat_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.THREAT)
    national = Threat.objects.filter(unit__isnull=True).order_by("code")
    local = access.scope_queryset(request.user, Threat.objects.filter(unit__isnull=False),
                                  action=policy.VIEW, path_field="unit_path"
                                  ).select_related("unit").order_by("unit_path", "code")[:500]
    return render(request, "plans/threat_list.html", {"national": national, "local": local})


@require_http_methods(["GET", "POST"])
def threat_new(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.THREAT, action=policy.CREATE)
    form = ThreatForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.threat_create(unit=unit, code=d["code"], name_fa=d["name_fa"],
                                   name_en=d["name_en"], description=d["description"],
                                   factors=d["factors"], impact=d["impact"],
                                   actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Threat added."))
            return redirect("plans:county", unit_id=unit.pk)
    return _form_page(request, form, title=_("New local threat"), unit=unit,
                      cancel=county_url(unit.pk))


@require_http_methods(["GET", "POST"])
def threat_rate(request: HttpRequest, unit_id: int, threat_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.THREAT, action=policy.CHANGE)
    threat = S.threats_for(unit).filter(pk=threat_id).first()
    if threat is None:
        raise Http404("not found")
    election = _election(request)
    # The form starts from the level the county page shows (user review 2026-12: it
    # started at 1 × 1, so a governor adding a note lowered a 2 × 5 threat to 1).
    shown = next((row for row in S.threat_levels(election, unit)
                  if row.threat.pk == threat.pk), None)
    initial = ({"likelihood": shown.likelihood, "impact": shown.impact, "note": shown.note}
               if shown else {})
    form = ThreatRatingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.threat_rate(election=election, threat=threat, unit=unit,
                                 likelihood=d["likelihood"], impact=d["impact"], note=d["note"],
                                 actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:county", unit_id=unit.pk)
    title = _("Rate “%(threat)s” in %(unit)s") % {"threat": threat.name, "unit": unit.name}
    return _form_page(request, form, title=title, unit=unit, cancel=county_url(unit.pk))


# --- a county's plan -----------------------------------------------------------------------------


def county(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.MEASURE)
    election = _election(request)
    user = request.user
    measures = S.county_measures(election, unit)
    alerts = [a for a in S.alerts_for_user(user) if a.unit_id == unit.pk]
    return render(request, "plans/county.html", {
        "unit": unit, "election": election, "today": S.today(),
        "levels": S.threat_levels(election, unit),
        "phases": [(label, measures[value]) for value, label in Phase.choices],
        "scenarios": [s for s in S.scenarios_for(user) if s.unit_id in (None, unit.pk)],
        "alerts": alerts, "runs": S.runs_in(unit),
        "plan": SecurityPlan.objects.filter(election=election, unit=unit).first(),
        # Only for the roles that can open them (a police officer reads the county's
        # measures, not the directives' localisations: the links were 404s).
        "localisations": Localisation.objects.filter(unit=unit).select_related("directive")
        if access.can(user, policy.VIEW, S.LOCALISATION, unit) else None,
        "can_threat": access.can(user, policy.CREATE, S.THREAT, unit),
        "can_rate": access.can(user, policy.CHANGE, S.THREAT, unit),
        "can_measure": access.can(user, policy.CREATE, S.MEASURE, unit),
        "can_run": access.can(user, policy.CHANGE, S.SCENARIO, unit),
        "reportable": {m.pk for ms in measures.values() for m in ms
                       if S.can_report(user, m)},
    })


@require_http_methods(["GET", "POST"])
def measure_new(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.MEASURE, action=policy.CREATE)
    election = _election(request)
    form = MeasureForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.measure_create(election=election, unit=unit, title=d["title"],
                                    threat=d["threat"], phase=d["phase"], kind=d["kind"],
                                    owner=d["owner"], due_on=d["due_on"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Measure added."))
            return redirect("plans:county", unit_id=unit.pk)
    return _form_page(request, form, title=_("New measure"), unit=unit,
                      cancel=county_url(unit.pk))


@require_POST
def tier_measures(request: HttpRequest, unit_id: int) -> HttpResponse:
    """Bring the atlas tier's required measures into the county's measures."""
    unit = S.get_unit_for_user(request.user, unit_id, S.MEASURE, action=policy.CREATE)
    try:
        made = services.measures_from_tier(election=_election(request), county=unit,
                                           actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(n)s measures required by the tier added.")
                         % {"n": len(made)})
    return redirect("plans:county", unit_id=unit.pk)


@require_http_methods(["GET", "POST"])
def measure_report(request: HttpRequest, measure_id: int) -> HttpResponse:
    measure = S.get_measure_for_user(request.user, measure_id, write=True)
    form = MeasureReportForm(request.POST or None,
                             initial={"status": measure.status, "evidence": measure.evidence})
    # Back to the page the report was opened from (the work list, the localisation), else
    # the county's plan; only an address of this site's plans pages.
    back = request.GET.get("next", "")
    if not (back.startswith("/plans/") and url_has_allowed_host_and_scheme(
            back, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        back = county_url(measure.unit_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_report(measure=measure, status=form.cleaned_data["status"],
                                    evidence=form.cleaned_data["evidence"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Measure reported."))
            return redirect(back)
    return _form_page(request, form, title=measure.title, unit=measure.unit, cancel=back)


# --- directives and localisation -----------------------------------------------------------------


def directive_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.DIRECTIVE)
    return render(request, "plans/directive_list.html", {
        "directives": Directive.objects.select_related("election").order_by("-created_at")[:200],
        "can_create": access.can_nationally(request.user, policy.CREATE, S.DIRECTIVE),
    })


@require_http_methods(["GET", "POST"])
def directive_new(request: HttpRequest) -> HttpResponse:
    if not access.can_nationally(request.user, policy.CREATE, S.DIRECTIVE):
        raise Http404("not found")
    election = _election(request)
    form = DirectiveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            directive = services.directive_create(
                election=election, code=d["code"], title=d["title"], text=d["text"],
                localise_by=d["localise_by"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:directive", directive_id=directive.pk)
    return _form_page(request, form, title=_("New directive"),
                      cancel=reverse("plans:directives"))


def directive_detail(request: HttpRequest, directive_id: int) -> HttpResponse:
    directive = S.get_directive_for_user(request.user, directive_id)
    user = request.user
    own = access.scope_queryset(user, Localisation.objects.filter(directive=directive),
                                action=policy.VIEW, path_field="unit_path"
                                ).select_related("unit").order_by("unit_path")[:100]
    startable = [u for u in access.user_units(user)
                 if u.kind in ("county", "province")
                 and access.can(user, policy.CREATE, S.LOCALISATION, u)]
    return render(request, "plans/directive_detail.html", {
        "directive": directive,
        "measures": directive.measures.select_related("owner", "threat"),
        "localisations": own,
        "startable": [u for u in startable if not any(loc.unit_id == u.pk for loc in own)],
        "can_change": access.can_nationally(user, policy.CHANGE, S.DIRECTIVE)
        and directive.status == DirectiveStatus.DRAFT,
    })


@require_http_methods(["GET", "POST"])
def directive_measure_add(request: HttpRequest, directive_id: int) -> HttpResponse:
    directive = S.get_directive_for_user(request.user, directive_id, action=policy.CHANGE)
    form = DirectiveMeasureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        spec = services.MeasureSpec(title=d["title"], phase=d["phase"], kind=d["kind"],
                                    owner=d["owner"], due_on=d["due_on"], threat=d["threat"])
        try:
            services.directive_measure_add(directive=directive, spec=spec, actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:directive", directive_id=directive.pk)
    return _form_page(request, form, title=_("Add a required measure"),
                      cancel=reverse("plans:directive", args=[directive.pk]))


@require_POST
def directive_issue(request: HttpRequest, directive_id: int) -> HttpResponse:
    directive = S.get_directive_for_user(request.user, directive_id, action=policy.CHANGE)
    try:
        services.directive_issue(directive=directive, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Directive issued to every governor."))
    return redirect("plans:directive", directive_id=directive.pk)


@require_POST
def localise(request: HttpRequest, directive_id: int, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.LOCALISATION, action=policy.CREATE,
                               kinds=("county", "province"))
    directive = S.get_directive_for_user(request.user, directive_id)
    try:
        loc = services.localisation_start(directive=directive, unit=unit, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
        return redirect("plans:directive", directive_id=directive.pk)
    return redirect("plans:localisation", localisation_id=loc.pk)


def localisation_detail(request: HttpRequest, localisation_id: int) -> HttpResponse:
    loc = S.get_localisation_for_user(request.user, localisation_id)
    user = request.user
    measures = list(loc.measures.select_related("owner", "threat").order_by("due_on", "pk"))
    return render(request, "plans/localisation.html", {
        "loc": loc, "measures": measures, "today": S.today(),
        "can_change": access.can(user, policy.CHANGE, S.LOCALISATION, loc.unit)
        and loc.status == LocalisationStatus.DRAFT,
        "can_approve": access.can(user, policy.CHANGE, S.APPROVAL, loc.unit)
        and loc.status == LocalisationStatus.DRAFT,
        "reportable": {m.pk for m in measures if S.can_report(user, m)},
    })


@require_http_methods(["GET", "POST"])
def localisation_edit(request: HttpRequest, localisation_id: int) -> HttpResponse:
    loc = S.get_localisation_for_user(request.user, localisation_id, action=policy.CHANGE)
    form = LocalisationForm(request.POST or None, initial={"text": loc.text})
    if request.method == "POST" and form.is_valid():
        try:
            services.localisation_update(localisation=loc, text=form.cleaned_data["text"],
                                         actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:localisation", localisation_id=loc.pk)
    return _form_page(request, form, title=_("Adapt the directive"), unit=loc.unit,
                      cancel=reverse("plans:localisation", args=[loc.pk]))


@require_http_methods(["GET", "POST"])
def localisation_measure_add(request: HttpRequest, localisation_id: int) -> HttpResponse:
    """A local measure added to the localised directive."""
    loc = S.get_localisation_for_user(request.user, localisation_id, action=policy.CHANGE)
    form = MeasureForm(request.POST or None, unit=loc.unit)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.measure_create(
                election=loc.directive.election, unit=loc.unit, title=d["title"],
                threat=d["threat"], phase=d["phase"], kind=d["kind"], owner=d["owner"],
                due_on=d["due_on"], localisation=loc, actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:localisation", localisation_id=loc.pk)
    return _form_page(request, form, title=_("Add a local measure"), unit=loc.unit,
                      cancel=reverse("plans:localisation", args=[loc.pk]))


@require_POST
def localisation_approve(request: HttpRequest, localisation_id: int) -> HttpResponse:
    loc = S.get_localisation_for_user(request.user, localisation_id, approve=True)
    try:
        services.localisation_approve(localisation=loc, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Localisation approved."))
    return redirect("plans:localisation", localisation_id=loc.pk)


# --- scenarios, alerts and playbook runs ---------------------------------------------------------


def scenario_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.SCENARIO)
    user = request.user
    return render(request, "plans/scenario_list.html", {
        "can_national": access.can_nationally(user, policy.CHANGE, S.SCENARIO),
        "own_counties": [u for u in access.user_units(user) if u.kind == "county"
                         and access.can(user, policy.CHANGE, S.SCENARIO, u)],
        "scenarios": S.scenarios_for(request.user)[:300],
        "alerts": S.alerts_for_user(request.user)})


def scenario_detail(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = S.get_scenario_for_user(request.user, scenario_id)
    user = request.user
    counties = [u for u in access.user_units(user) if u.kind == "county"
                and access.can(user, policy.CHANGE, S.SCENARIO, u)
                and scenario.unit_id in (None, u.pk)]
    agencies = {a.code: a for a in Agency.objects.all()}
    return render(request, "plans/scenario_detail.html", {
        "scenario": scenario, "can_edit": S.can_edit_scenario(user, scenario),
        "steps": [(step, agencies.get(step.agent))
                  for step in playbooks.ordered_steps(scenario.playbook)],
        "indicators": scenario.indicators.select_related("category"), "counties": counties,
    })


def scenario_url(scenario_id: int) -> str:
    return reverse("plans:scenario", args=[scenario_id])


@require_http_methods(["GET", "POST"])
def scenario_new(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    """A new scenario: national (the national roles) or a county's own (its committee)."""
    unit = None
    if unit_id is None:
        if not access.can_nationally(request.user, policy.CHANGE, S.SCENARIO):
            raise Http404("not found")
        cancel = reverse("plans:scenarios")
    else:
        unit = S.get_unit_for_user(request.user, unit_id, S.SCENARIO, action=policy.CHANGE)
        cancel = county_url(unit.pk)
    form = ScenarioForm(request.POST or None, unit=unit)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            scenario = services.scenario_create(
                code=data["code"], threat=data["threat"], title=data["title"], unit=unit,
                description=data["description"], alert_roles=data["alert_roles"],
                playbook=playbooks.build(data["code"], data["title"], [
                    (data["first_step_agency"].code, data["first_step"])]),
                actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The scenario was created."))
            return redirect(scenario_url(scenario.pk))
    return _form_page(request, form, title=_("New scenario"), cancel=cancel, unit=unit)


@require_http_methods(["GET", "POST"])
def scenario_edit(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = S.get_scenario_for_user(request.user, scenario_id, write=True)
    form = ScenarioEditForm(request.POST or None, initial={
        "title": scenario.title, "description": scenario.description,
        "alert_roles": scenario.alert_roles, "active": scenario.active})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.scenario_update(scenario=scenario, title=data["title"],
                                     description=data["description"],
                                     alert_roles=data["alert_roles"], active=data["active"],
                                     actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The scenario was saved."))
            return redirect(scenario_url(scenario.pk))
    return _form_page(request, form, title=_("Edit the scenario"),
                      cancel=scenario_url(scenario.pk), unit=scenario.unit)


@require_http_methods(["GET", "POST"])
def indicator_new(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = S.get_scenario_for_user(request.user, scenario_id, write=True)
    form = IndicatorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.indicator_add(scenario=scenario, actor=request.user,
                                   spec=services.IndicatorSpec(
                                       kind=data["kind"], threshold=data["threshold"],
                                       window_minutes=data["window_minutes"],
                                       category=data["category"]))
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The indicator was added."))
            return redirect(scenario_url(scenario.pk))
    return _form_page(request, form, title=_("New indicator"),
                      cancel=scenario_url(scenario.pk), unit=scenario.unit)


@require_http_methods(["GET", "POST"])
def indicator_edit(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = S.get_indicator_for_user(request.user, indicator_id)
    form = IndicatorEditForm(request.POST or None, initial={
        "threshold": indicator.threshold, "window_minutes": indicator.window_minutes,
        "category": indicator.category})
    back = scenario_url(indicator.scenario_id)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.indicator_update(indicator=indicator, threshold=data["threshold"],
                                      window_minutes=data["window_minutes"],
                                      category=data["category"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The indicator was saved."))
            return redirect(back)
    return _form_page(request, form, title=_("Edit the indicator"), cancel=back,
                      unit=indicator.scenario.unit)


@require_http_methods(["GET", "POST"])
def step_new(request: HttpRequest, scenario_id: int) -> HttpResponse:
    scenario = S.get_scenario_for_user(request.user, scenario_id, write=True)
    form = StepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.playbook_step_add(scenario=scenario, agency=data["agency"],
                                       name=data["name"], position=data["position"],
                                       actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The step was added to the playbook."))
            return redirect(scenario_url(scenario.pk))
    return _form_page(request, form, title=_("New playbook step"),
                      cancel=scenario_url(scenario.pk), unit=scenario.unit)


@require_POST
def step_remove(request: HttpRequest, scenario_id: int, position: int) -> HttpResponse:
    scenario = S.get_scenario_for_user(request.user, scenario_id, write=True)
    try:
        services.playbook_step_remove(scenario=scenario, position=position, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The step was removed from the playbook."))
    return redirect(scenario_url(scenario.pk))


def scenario_playbook(request: HttpRequest, scenario_id: int) -> JsonResponse:
    """The playbook as CACAO-shaped JSON, for exchange between provinces."""
    scenario = S.get_scenario_for_user(request.user, scenario_id)
    response = JsonResponse(scenario.playbook, json_dumps_params={"ensure_ascii": False,
                                                                   "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="playbook-{scenario.code}.json"'
    return response


@require_POST
def run_start(request: HttpRequest, scenario_id: int, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.SCENARIO, action=policy.CHANGE)
    scenario = S.get_scenario_for_user(request.user, scenario_id)
    alert = None
    alert_id = request.POST.get("alert")
    if alert_id:
        alert = S.get_alert_for_user(request.user, alert_id)
        if alert.unit_id != unit.pk:
            raise Http404("not found")
    try:
        run = services.playbook_start(scenario=scenario, unit=unit, alert=alert,
                                      actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
        return redirect("plans:county", unit_id=unit.pk)
    return redirect("plans:run", run_id=run.pk)


def alert_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.SCENARIO)
    return render(request, "plans/alert_list.html", {
        "alerts": S.alerts_for_user(request.user, live_only=request.GET.get("all") != "1")})


@require_POST
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = S.get_alert_for_user(request.user, alert_id, write=True)
    try:
        services.alert_acknowledge(alert=alert, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    return redirect("plans:county", unit_id=alert.unit_id)


def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = S.get_run_for_user(request.user, run_id)
    return render(request, "plans/run.html", {
        "run": run, "steps": run.steps.select_related("owner", "closed_by"),
        "can_change": access.can(request.user, policy.CHANGE, S.SCENARIO, run.unit),
        "form": StepCloseForm(),
    })


@require_POST
def step_close(request: HttpRequest, step_id: int) -> HttpResponse:
    step = S.get_step_for_user(request.user, step_id)
    form = StepCloseForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose done or skipped."))
    else:
        try:
            services.run_step_close(step=step, status=form.cleaned_data["status"],
                                    note=form.cleaned_data["note"], actor=request.user)
        except RuleError as error:
            messages.error(request, error.message)
    return redirect("plans:run", run_id=step.run_id)


# --- the county security plan --------------------------------------------------------------------


# The button that moves the plan on says what it does (user review 2026-12: it read the
# next state's name, «Approved by the governor», «Sent to the province»).
PLAN_ACTIONS: dict[PlanStatus, Any] = {
    PlanStatus.IN_REVIEW: gettext_lazy("Send to the member agencies for comment"),
    PlanStatus.APPROVED: gettext_lazy("Approve"),
    PlanStatus.SENT: gettext_lazy("Send to the province"),
}


def plan_detail(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.PLAN)
    election = _election(request)
    user = request.user
    plan = SecurityPlan.objects.filter(election=election, unit=unit).first()
    can_change = access.can(user, policy.CHANGE, S.PLAN, unit)
    nxt = services.PLAN_NEXT.get(PlanStatus(plan.status)) if plan else None
    if nxt == PlanStatus.APPROVED and not access.can(user, policy.CHANGE, S.APPROVAL, unit):
        nxt = None
    return render(request, "plans/plan.html", {
        "unit": unit, "election": election, "plan": plan,
        "comments": plan.comments.select_related("agency", "author") if plan else [],
        "can_change": can_change, "next": nxt if can_change else None,
        "next_label": PLAN_ACTIONS[PlanStatus(nxt)] if nxt else "",
        "can_comment": plan is not None and plan.status == PlanStatus.IN_REVIEW
        and access.can(user, policy.CREATE, S.PLAN, unit),
        "can_export": plan is not None and access.can(user, policy.EXPORT, S.PLAN, unit),
        "comment_form": PlanCommentForm(),
    })


@require_http_methods(["GET", "POST"])
def plan_edit(request: HttpRequest, unit_id: int) -> HttpResponse:
    unit = S.get_unit_for_user(request.user, unit_id, S.PLAN, action=policy.CHANGE)
    election = _election(request)
    plan = SecurityPlan.objects.filter(election=election, unit=unit).first()
    form = PlanForm(request.POST or None, initial={"summary": plan.summary if plan else ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.plan_draft(election=election, unit=unit,
                                summary=form.cleaned_data["summary"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect("plans:plan", unit_id=unit.pk)
    return _form_page(request, form, title=_("County security plan"), unit=unit,
                      cancel=reverse("plans:plan", args=[unit.pk]))


@require_POST
def plan_advance(request: HttpRequest, plan_id: int) -> HttpResponse:
    form = PlanAdvanceForm(request.POST)
    to = form.cleaned_data["to"] if form.is_valid() else None
    plan = S.get_plan_for_user(request.user, plan_id, action=policy.CHANGE,
                               approve=to == PlanStatus.APPROVED)
    if to is None:
        messages.error(request, _("Choose the next step."))
    else:
        try:
            services.plan_advance(plan=plan, to=to, actor=request.user)
        except RuleError as error:
            messages.error(request, error.message)
    return redirect("plans:plan", unit_id=plan.unit_id)


@require_POST
def plan_comment(request: HttpRequest, plan_id: int) -> HttpResponse:
    plan = S.get_plan_for_user(request.user, plan_id, action=policy.CREATE)
    form = PlanCommentForm(request.POST)
    agency = next((m.agency for m in access.user_memberships(request.user)
                   if m.agency is not None and plan.unit_path.startswith(m.unit.path)), None)
    agency = agency or Agency.objects.filter(code="election_hq").first()
    if not form.is_valid() or agency is None:
        messages.error(request, _("Write a comment."))
    else:
        try:
            services.plan_comment(plan=plan, agency=agency, text=form.cleaned_data["text"],
                                  actor=request.user)
        except RuleError as error:
            messages.error(request, error.message)
    return redirect("plans:plan", unit_id=plan.unit_id)


@require_POST
def plan_pdf(request: HttpRequest, plan_id: int) -> HttpResponse:
    """The printable plan (Persian).  POST: the export is audited; a GET never writes."""
    plan = S.get_plan_for_user(request.user, plan_id, action=policy.EXPORT)
    data = pdf.plan_pdf(plan)
    services.plan_export_record(plan=plan, actor=request.user)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="security-plan-{plan.unit.code}.pdf"'
    return response
