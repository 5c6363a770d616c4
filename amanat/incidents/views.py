"""Pages of the incidents app: intake, triage, cases and their steps, evidence, categories,
and the public report and status pages.

Views validate and fetch through the scope helpers in ``selectors``; services write.
Out of scope is 404.
"""

from __future__ import annotations

import datetime
from typing import Any, TypeVar

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Page, Paginator
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from amanat.accounts import access, policy
from amanat.accounts.access import AnyUser
from amanat.accounts.models import Agency
from amanat.candidates.review_selectors import get_candidacy_for_user
from amanat.core import ratelimit
from amanat.core.collation import persian
from amanat.core.errors import RuleError
from amanat.core.replica import replica_read
from amanat.elections.models import Election
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents import selectors, services, spam
from amanat.incidents.forms import (
    STEPS,
    CaseCandidateForm,
    CaseEvidenceForm,
    CaseFilterForm,
    CategoryForm,
    PublicReportForm,
    StaffReportForm,
    StatusLookupForm,
    token_used_error,
)
from amanat.incidents.models import Case, CaseReport, Channel, Report, Status

PER_PAGE = 50
PUBLIC_LIMIT = 10  # public submissions per client address per window
PUBLIC_WINDOW = datetime.timedelta(hours=1)


def _require(request: HttpRequest, action: str, label: str) -> None:
    if not access.can(request.user, action, label, None):
        raise Http404("not found")


M = TypeVar("M", bound=models.Model)


def _page(request: HttpRequest, qs: QuerySet[M]) -> Page[M]:
    return Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))


def _error(request: HttpRequest, error: RuleError) -> None:
    messages.error(request, error.message)


# --- staff intake and triage ---------------------------------------------------------------


def _scoped_counties(request: HttpRequest, action: str, label: str) -> QuerySet[AdminUnit]:
    units = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by(persian("name"), "pk")
    return access.scope_queryset(request.user, units, action=action, path_field="path",
                                 model_label=label)


@require_http_methods(["GET", "POST"])
def report_new(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CREATE, selectors.REPORT)
    election = Election.objects.current()
    counties = _scoped_counties(request, policy.CREATE, selectors.REPORT)
    form = StaffReportForm(request.POST or None, request.FILES or None, counties=counties,
                           election=election, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        station = data["station"]
        unit = station.unit or station.county if station else data["county"]
        if not access.can(request.user, policy.CREATE, selectors.REPORT, unit):
            form.add_error("station_code", _("This polling station is outside your area."))
        else:
            try:
                received = services.report_receive(
                    channel=Channel.WEB, category=data["category"], text=data["text"],
                    station=station, unit=unit, election=election, actor=request.user,
                    evidence=[data["evidence"]] if data["evidence"] else [],
                    payload={"form": "staff"},
                )
            except RuleError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("Report %(ref)s received.")
                                 % {"ref": received.report.reference})
                if access.can(request.user, policy.VIEW, selectors.REPORT, unit):
                    return redirect("incidents:report", report_id=received.report.pk)
                return redirect("incidents:report_new")
    return render(request, "incidents/report_new.html", {"form": form})


@replica_read
def report_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, selectors.REPORT)
    page = _page(request, selectors.untriaged_reports(request.user))
    return render(request, "incidents/report_list.html", {"page": page})


def report_detail(request: HttpRequest, report_id: int) -> HttpResponse:
    report = selectors.get_report_for_user(request.user, report_id)
    link = CaseReport.objects.filter(report=report).select_related("case").first()
    can_triage = access.can(request.user, policy.CHANGE, selectors.CASE, report.unit)
    duplicates = selectors.duplicate_candidates(request.user, report) if link is None else []
    return render(request, "incidents/report_detail.html", {
        "report": report, "link": link, "can_triage": can_triage, "duplicates": duplicates,
        "evidence": list(report.evidence.all()),
    })


def _report_for_triage(request: HttpRequest, report_id: int) -> Report:
    report = selectors.get_report_for_user(request.user, report_id)
    if not access.can(request.user, policy.CHANGE, selectors.CASE, report.unit):
        raise Http404("not found")
    return report


@require_POST
def report_open_case(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for_triage(request, report_id)
    try:
        case = services.case_open_from_report(report=report, actor=request.user)
    except RuleError as error:
        _error(request, error)
        return redirect("incidents:report", report_id=report.pk)
    return redirect("incidents:case", case_id=case.pk)


@require_POST
def report_attach(request: HttpRequest, report_id: int) -> HttpResponse:
    report = _report_for_triage(request, report_id)
    case = selectors.get_case_for_user(request.user, request.POST.get("case"), write=True)
    try:
        services.case_attach_report(case=case, report=report, actor=request.user)
    except RuleError as error:
        _error(request, error)
        return redirect("incidents:report", report_id=report.pk)
    return redirect("incidents:case", case_id=case.pk)


# --- cases --------------------------------------------------------------------------------


@replica_read
def case_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, selectors.CASE)
    categories = list(selectors.active_categories())
    agencies = list(Agency.objects.all())
    form = CaseFilterForm(request.GET or None, categories=categories, agencies=agencies)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {k: form.cleaned_data[k] for k in ("status", "category", "agency", "overdue")}
    unit = _unit_filter(request)
    cases = selectors.case_list(request.user, unit=unit, **filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "incidents/case_list.html", {
        "form": form, "page": _page(request, cases), "query": query.urlencode(), "unit": unit,
    })


def _unit_filter(request: HttpRequest) -> AdminUnit | None:
    """``?unit=`` (from the dashboard): cases at or below that unit; a unit the user may
    not see cases at, or none, is 404."""
    raw = request.GET.get("unit", "")
    if not raw:
        return None
    return selectors.get_case_unit_for_user(request.user, raw)


def _timeline(case: Case) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for link in case.links.select_related("report__category").prefetch_related(
        "report__evidence"
    ):
        entries.append({"at": link.report.received_at, "kind": "report", "report": link.report,
                        "evidence": list(link.report.evidence.all())})
    for step in case.steps.select_related("actor"):
        entries.append({"at": step.at, "kind": "step", "step": step})
    for referral in case.referrals.select_related("created_by"):
        entries.append({"at": referral.created_at, "kind": "referral", "referral": referral})
    entries.sort(key=lambda e: (e["at"], e["kind"] != "report"))
    return entries


def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_id)
    can_change = access.can(request.user, policy.CHANGE, selectors.CASE, case.unit)
    steps = [(name, label) for name, (target, _form, label) in STEPS.items()
             if target in case.next_statuses()] if can_change else []
    # The candidate the case names: shown to whoever may also see that candidate (a
    # security committee or an agency officer sees the case, not the candidates).
    candidacy = case.candidacy
    show_candidate = candidacy is not None and access.can(
        request.user, policy.VIEW, selectors.CANDIDACY, candidacy.county)
    return render(request, "incidents/case_detail.html", {
        "case": case, "timeline": _timeline(case), "steps": steps, "can_change": can_change,
        "show_candidate": show_candidate,
        "holder": case.locked_by if case.lock_holder() else None,
        "can_audit": access.can(request.user, policy.VIEW, "audit.event", None),
        "evidence_form": CaseEvidenceForm() if can_change and case.is_open else None,
    })


def _step_form(step: str, data: Any, case: Case) -> forms.Form:
    form_class = STEPS[step][1]
    initial: dict[str, Any] = {}
    if step == "triage":
        initial = {"category": case.category_id, "severity": case.severity}
    elif step == "assign":
        initial = {"agency": case.category.agency_id}
    return form_class(data, initial=initial)


def _run_step(step: str, case: Case, data: dict[str, Any], actor: AnyUser) -> Case:
    note = data.get("note", "")
    if step == "triage":
        return services.case_triage(case=case, actor=actor, severity=data["severity"],
                                    category=data["category"], note=note)
    if step == "assign":
        return services.case_assign(case=case, actor=actor, agency=data["agency"], note=note)
    if step == "start":
        return services.case_start(case=case, actor=actor, note=note)
    if step == "refer":
        return services.case_refer(case=case, actor=actor, office=data["office"],
                                   referred_on=data["referred_on"],
                                   their_reference=data["their_reference"], note=note)
    if step == "resolve":
        return services.case_resolve(case=case, actor=actor, outcome=data["outcome"])
    return services.case_dismiss(case=case, actor=actor, outcome=data["outcome"])


BEGIN = "begin"  # the POST field that opens a step form (takes the edit lock)


@require_http_methods(["GET", "POST"])
def case_step(request: HttpRequest, case_id: int, step: str) -> HttpResponse:
    """A step of the case: POST ``begin`` takes the edit lock and shows the form (a
    redirect to GET); GET only shows it; POST with the form's fields runs the step.

    A GET never writes: a link from another site must not lock a case or add to the
    audit log.
    """
    if step not in STEPS:
        raise Http404("no such step")
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    if STEPS[step][0] not in case.next_statuses():
        messages.error(request, _("This step is not possible for the case in its present "
                                  "status."))
        return redirect("incidents:case", case_id=case.pk)
    holder = case.lock_holder()
    if holder is not None and holder != request.user.pk:
        _error(request, services.locked_error(case))
        return redirect("incidents:case", case_id=case.pk)
    begin = request.method == "POST" and BEGIN in request.POST
    form = _step_form(step, request.POST if request.method == "POST" and not begin else None,
                      case)
    try:
        if begin:
            services.case_lock(case=case, actor=request.user)
            return redirect("incidents:case_step", case_id=case.pk, step=step)
        if request.method == "POST" and form.is_valid():
            _run_step(step, case, form.cleaned_data, request.user)
            return redirect("incidents:case", case_id=case.pk)
    except RuleError as error:
        _error(request, error)
        return redirect("incidents:case", case_id=case.pk)
    return render(request, "incidents/case_step.html", {
        "case": case, "form": form, "step": step, "label": STEPS[step][2],
        "locked_to_me": holder == request.user.pk,
    })


@require_POST
def case_unlock(request: HttpRequest, case_id: int) -> HttpResponse:
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    try:
        services.case_unlock(case=case, actor=request.user)
    except RuleError as error:
        _error(request, error)
    return redirect("incidents:case", case_id=case.pk)


@require_POST
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    """The file, as an attachment.  POST: the download is recorded in the audit log, and
    a GET (a link from anywhere) must not write."""
    evidence = selectors.get_evidence_for_user(request.user, evidence_id)
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("file missing") from error
    services.evidence_download_record(evidence=evidence, actor=request.user)
    response = FileResponse(handle, content_type=evidence.content_type, as_attachment=True,
                            filename=f"{evidence.report.reference}-{evidence.pk}."
                            + str(evidence.file.name).rsplit(".", 1)[-1])
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- categories (national administrators) ------------------------------------------------


def category_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, selectors.CATEGORY)
    return render(request, "incidents/category_list.html", {
        "categories": selectors.Category.objects.select_related("agency").order_by(
            "position", "pk"),
        "can_change": access.can_nationally(request.user, policy.CHANGE, selectors.CATEGORY),
    })


@require_http_methods(["GET", "POST"])
def category_edit(request: HttpRequest, category_id: int) -> HttpResponse:
    category = selectors.get_category_for_user(request.user, category_id)
    form = CategoryForm(request.POST or None, instance=category)
    if request.method == "POST" and form.is_valid():
        services.category_update(
            # The form changed ``category`` in place; the service compares with a fresh copy.
            category=selectors.get_category_for_user(request.user, category.pk),
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            actor=request.user,
        )
        messages.success(request, _("Category saved."))
        return redirect("incidents:categories")
    return render(request, "incidents/category_edit.html", {"form": form, "category": category})


# --- public pages -------------------------------------------------------------------------


class TokenSpent(Exception):
    """The public form's token was spent by another request."""


@login_not_required
@require_http_methods(["GET", "POST"])
def public_report(request: HttpRequest) -> HttpResponse:
    election = Election.objects.current()
    counties = AdminUnit.objects.filter(kind=Kind.COUNTY).order_by(persian("name"), "pk")
    form = PublicReportForm(request.POST or None, request.FILES or None, counties=counties,
                            election=election)
    if request.method == "POST":
        limit = int(getattr(settings, "AMANAT_PUBLIC_REPORT_LIMIT", PUBLIC_LIMIT))
        if not ratelimit.allow(request, "public-report", limit=limit, window=PUBLIC_WINDOW):
            return ratelimit.too_many(request, _(
                "Too many reports were sent from your connection in a short time. Please "
                "try again in an hour."))
        if form.is_valid():
            data = form.cleaned_data
            station = data["station"]
            try:
                # The token is spent in the report's transaction: a replay (or a
                # concurrent copy) stores nothing, a refused report spends nothing.
                with transaction.atomic():
                    if not spam.token_spend(form.data.get("token", "")):
                        raise TokenSpent
                    received = services.report_receive(
                        channel=Channel.PUBLIC, category=data["category"], text=data["text"],
                        station=station, unit=None if station else data["county"],
                        election=election, contact=data.get("contact", ""),
                        evidence=[data["evidence"]] if data["evidence"] else [],
                        payload={"form": "public"},
                    )
            except TokenSpent:
                form.add_error(None, token_used_error())
            except RuleError as error:
                form.add_error(None, error.message)
            else:
                return render(request, "incidents/public_thanks.html",
                              {"reference": received.report.reference})
    return render(request, "incidents/public_report.html", {"form": form})


PUBLIC_STATUS = {
    Status.NEW: gettext_lazy("Received; waiting for review"),
    Status.TRIAGED: gettext_lazy("Under review"),
    Status.ASSIGNED: gettext_lazy("Being handled"),
    Status.IN_PROGRESS: gettext_lazy("Being handled"),
    Status.REFERRED: gettext_lazy("Referred to the competent authority"),
    Status.RESOLVED: gettext_lazy("Closed"),
    Status.DISMISSED: gettext_lazy("Closed"),
}


def public_status_text(report: Report) -> str:
    """What the public sees: a coarse status, nothing internal."""
    link = Report.objects.filter(pk=report.pk).values_list("case_link__case__status",
                                                          flat=True).first()
    if link is None:
        return _("Received; waiting for review")
    # A status outside the choices (an old row) tells the public no more than "received".
    return str(PUBLIC_STATUS[Status(link) if link in Status.values else Status.NEW])


@login_not_required
@ratelimit.public_lookup("public-status")
def public_status(request: HttpRequest) -> HttpResponse:
    form = StatusLookupForm(request.GET or None)
    result: dict[str, Any] | None = None
    if form.is_valid():
        report = Report.objects.filter(reference=form.cleaned_data["reference"]).first()
        result = {"found": report is not None,
                  "status": public_status_text(report) if report else "",
                  "received_at": report.received_at if report else None}
    return render(request, "incidents/public_status.html", {"form": form, "result": result})


@require_POST
def case_evidence(request: HttpRequest, case_id: int) -> HttpResponse:
    """Attach one more evidence file to a case (those who may change the case)."""
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    form = CaseEvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("incidents:case", case_id=case.pk)
    try:
        report = services.case_evidence_add(case=case, files=[form.cleaned_data["evidence"]],
                                            note=form.cleaned_data["note"], actor=request.user)
    except RuleError as error:
        _error(request, error)
    else:
        messages.success(request, _("Evidence added to the case (report %(ref)s).")
                         % {"ref": report.reference})
    return redirect("incidents:case", case_id=case.pk)


# --- the candidate a case is about (issue 13) ---------------------------------------------

MAX_CANDIDATES = 1000


@require_http_methods(["GET", "POST"])
def case_candidate(request: HttpRequest, case_id: int) -> HttpResponse:
    """Name the candidate a campaign violation is about, from the candidates of the case's
    county in the user's reach (those who may change the case)."""
    case = selectors.get_case_for_user(request.user, case_id, write=True)
    choices = list(selectors.candidates_for_case(request.user, case)
                   .only("pk", "first_name", "last_name", "reference")
                   .order_by("last_name", "first_name", "pk")[:MAX_CANDIDATES])
    form = CaseCandidateForm(request.POST or None, candidates=choices,
                             initial={"candidacy": case.candidacy_id})
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["candidacy"]
        candidacy = next((c for c in choices if c.pk == chosen), None)
        try:
            services.case_candidate_set(case=case, actor=request.user, candidacy=candidacy,
                                        note=form.cleaned_data["note"])
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Candidate named on the case.") if candidacy
                             else _("The case names no candidate now."))
            return redirect("incidents:case", case_id=case.pk)
    return render(request, "incidents/case_candidate.html", {"case": case, "form": form})


def candidate_cases(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    """The cases about one candidate, for whoever may see both the candidate and cases at
    the candidate's county (else 404): those of the cases in the user's reach. The
    candidate's dossier and review page draw the table in place (htmx asks with
    ``HX-Request``: the table alone)."""
    candidacy = get_candidacy_for_user(request.user, candidacy_id)
    if not access.can(request.user, policy.VIEW, selectors.CASE, candidacy.county):
        raise Http404("not found")
    cases = list(selectors.scope_cases(request.user).filter(candidacy=candidacy)
                 .select_related("category", "unit").order_by("-opened_at", "-pk")[:200])
    template = ("incidents/_candidate_cases.html" if request.headers.get("HX-Request")
                else "incidents/candidate_cases.html")
    return render(request, template, {"candidacy": candidacy, "cases": cases})
