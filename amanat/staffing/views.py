"""Pages of the staffing app: the counties' rosters, a county's people and stations, a
person, a station's posts, the solver run with its progress, approval, exports, PDFs and
the public check of an appointment letter's code.

Views fetch through ``selectors`` (scope; out of scope is 404) and write through
``services``; a refusal (RuleError) is shown as the page's error.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import personaldata, policy
from amanat.accounts.access import can
from amanat.core import ratelimit
from amanat.core.errors import RuleError
from amanat.core.identity import mask_mobile, mask_national_id
from amanat.core.templatetags.persian import localize_digits
from amanat.elections.models import Election
from amanat.elections.posts import StationPost
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit
from amanat.lib.limits import parse_id
from amanat.lib.nationalid import normalize_national_id
from amanat.lib.persian import search_key
from amanat.staffing import pdf, rules, selectors, services
from amanat.staffing import people_table as pt
from amanat.staffing.assignment import roster_for, roster_read, run_stale
from amanat.staffing.forms import (
    AssignForm,
    PeopleFilterForm,
    PeopleImportForm,
    PersonForm,
    SolverRunForm,
    VerifyForm,
)
from amanat.staffing.models import Assignment, Person
from amanat.stations import uploads
from amanat.stations.forms import ColumnMappingForm

PER_PAGE = 50
STATIONS_PER_PAGE = 100
COUNTIES_PER_PAGE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _election(request: HttpRequest) -> Election:
    return election_for_request(request, required=True)


def _download(data: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _query(request: HttpRequest) -> str:
    """The page's query string without ``page``: the pager's links keep the filters and
    the election."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


# --- counties ---------------------------------------------------------------------------------


@require_GET
def county_list(request: HttpRequest) -> HttpResponse:
    counties = selectors.counties_for_user(request.user)
    if not counties.exists():
        raise Http404("not found")
    election = _election(request)
    # A page of counties (the country has 448): the counts are read for its counties only.
    page = Paginator(counties.only("pk", "name"), COUNTIES_PER_PAGE).get_page(
        request.GET.get("page"))
    rows = selectors.county_rows(election, page.object_list)
    return render(request, "staffing/county_list.html",
                  {"election": election, "rows": rows, "page": page,
                   "query": _query(request)})


@require_GET
def county_detail(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    election = _election(request)
    roster = roster_read(election, county)
    # A page of stations (the largest county has thousands): their filled posts in one
    # grouped count, the county's staffed stations from the stations' flag.
    page = Paginator(selectors.county_stations(election, county), STATIONS_PER_PAGE).get_page(
        request.GET.get("page"))
    rows = selectors.station_rows(election, page.object_list)
    can_change = can(request.user, policy.CHANGE, "staffing.roster", county)
    # A run whose worker died stays "running": after a while without a sign of life the
    # page says so and the governor may start it again.
    stale = run_stale(roster)
    running = roster.run_busy and not stale
    labels = dict(StationPost.choices)
    unfilled = [{**row, "post": labels.get(row["post"], row["post"])}
                for row in roster.run_unfilled]
    return render(request, "staffing/county_detail.html", {
        "election": election, "county": county, "roster": roster, "rows": rows,
        "page": page, "query": _query(request), "unfilled": unfilled,
        "can_change": can_change, "running": running, "stale": stale,
        "run_form": SolverRunForm(),
        "staffed": selectors.staffed_count(election, county),
        "people": Person.objects.filter(county=county).count(),
    })


@require_POST
def county_assign(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk, write=True)
    form = SolverRunForm(request.POST)
    # Unchecked or not sent: the empty posts only (the full re-run is never a default).
    valid = form.is_valid()
    balance = valid and form.cleaned_data["gender_balance"]
    replace = valid and form.cleaned_data["mode"] == SolverRunForm.REPLACE
    try:
        roster = services.roster_assign_enqueue(actor=request.user, election=_election(request),
                                                county=county, gender_balance=balance,
                                                replace=replace)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        if roster.run_job_id is not None:
            # The job's page follows the run and links back here when it is over.
            return redirect("site:job", roster.run_job_id)
    return redirect("staffing:county", pk=county.pk)


@require_POST
def county_approve(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk, write=True)
    roster = roster_for(_election(request), county)
    try:
        if request.POST.get("reopen"):
            services.roster_reopen(actor=request.user, roster=roster)
            messages.success(request, _("The roster is reopened for changes."))
        else:
            services.roster_approve(actor=request.user, roster=roster)
            messages.success(request, _("The roster is approved and locked."))
    except RuleError as error:
        messages.error(request, error.message)
    return redirect("staffing:county", pk=county.pk)


@require_POST
def county_roster_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    if not can(request.user, policy.EXPORT, "staffing.assignment", county):
        raise Http404("not found")
    election = _election(request)
    masked = not selectors.sees_personal_data(request.user, county)
    data = services.roster_export(actor=request.user, election=election, county=county,
                                  masked=masked)
    return _download(data, f"roster-{county.code}.xlsx", XLSX)


@require_POST
def county_roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    election = _election(request)
    data = pdf.county_roster_pdf(actor=request.user, election=election, county=county)
    return _download(data, f"roster-{county.code}.pdf", "application/pdf")


# --- people -----------------------------------------------------------------------------------


@require_GET
def people_list(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    people = selectors.people_for_user(request.user, county)
    form = PeopleFilterForm(request.GET or None)
    if form.is_valid():
        q = form.cleaned_data["q"]
        key = search_key(q or "")
        if key and any(ch.isdigit() for ch in key) and not selectors.sees_personal_data(
                request.user, county):
            # National IDs are masked for this reader: a substring of ``search_text`` (which
            # holds the national ID) would give the number away a digit at a time, so a
            # key with digits finds a person by the whole national ID only.
            people = people.filter(national_id=key)
        elif key:
            # Each word on its own: «مریم احمدی» finds Maryam Ahmadi (``search_text`` keeps
            # the name's parts apart, so the joined key would never match).
            for word in (q or "").split():
                people = people.filter(search_text__contains=search_key(word))
        if form.cleaned_data["post"]:
            people = people.filter(posts__contains=form.cleaned_data["post"])
    page = Paginator(people.order_by("last_name", "first_name", "pk"), PER_PAGE).get_page(
        request.GET.get("page"))
    # A list is read by GET, which records nothing: masked for everyone (a person's page
    # shows them in full through the audited reveal, an export is recorded).
    return render(request, "staffing/people_list.html", {
        "county": county, "page": page, "form": form, "query": _query(request),
        "can_create": can(request.user, policy.CREATE, "staffing.person", county),
        "can_export": can(request.user, policy.EXPORT, "staffing.person", county),
        "rows": [(p, mask_national_id(p.national_id), mask_mobile(p.mobile)) for p in page],
    })


@require_POST
def people_export(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    if not can(request.user, policy.EXPORT, "staffing.person", county):
        raise Http404("not found")
    masked = not selectors.sees_personal_data(request.user, county)
    data = services.people_export(actor=request.user, county=county, masked=masked,
                                  people=selectors.people_for_user(request.user, county))
    return _download(data, f"people-{county.code}.xlsx", XLSX)


@require_http_methods(["GET", "POST"])
def people_import(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a people file (step 1); when it has columns of no known meaning, the file
    waits on the server and the page asks what each holds, or to ignore it (step 2,
    ``step=map``): the station import's mapping step (``stations.uploads``,
    ``stations.forms.ColumnMappingForm`` with the people's columns)."""
    county = selectors.get_county_for_user(request.user, pk)
    if not can(request.user, policy.CREATE, "staffing.person", county):
        raise Http404("not found")
    if request.method == "POST" and request.POST.get("step") == "map":
        return _people_import_mapped(request, county)
    form = PeopleImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"county": county, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data, dry_run = upload.read(), form.cleaned_data["dry_run"]
        report = services.people_import(county=county, data=data, filename=upload.name,
                                        actor=request.user, dry_run=dry_run)
        if report.unknown_columns:
            assert request.user.pk is not None
            stored = uploads.import_store(
                data=data, ext="xlsx" if upload.name.lower().endswith(".xlsx") else "csv",
                owner_id=request.user.pk, unit_id=county.pk,
                election_id=_election(request).pk, original_name=upload.name)
            context["mapping_form"] = ColumnMappingForm(
                report.unknown_columns, initial={"import_id": stored.id, "dry_run": dry_run},
                columns=pt.COLUMNS)
            unknown = {u.header for u in report.unknown_columns}
            context["header_errors"] = [e.message for e in report.errors
                                        if e.column not in unknown]
            context["warnings"] = report.warnings
            return render(request, "staffing/people_import.html", context)
        if not report.rejected and not report.dry_run:
            return _imported(request, county, report)
        context["report"] = report
    return render(request, "staffing/people_import.html", context)


def _imported(request: HttpRequest, county: AdminUnit, report: Any) -> HttpResponse:
    messages.success(request, _("%(created)s people added, %(updated)s updated.")
                     % {"created": localize_digits(str(report.created)),
                        "updated": localize_digits(str(report.updated))})
    for warning in report.warnings:
        messages.warning(request, warning.message)
    return redirect("staffing:people", pk=county.pk)


def _people_import_mapped(request: HttpRequest, county: AdminUnit) -> HttpResponse:
    """Step 2: the waiting file imported with the user's choice for each unknown column.
    Only its uploader, in the county it was uploaded for, may; else (or a stale id) 404."""
    stored = uploads.import_load(request.POST.get("import_id", ""))
    if stored is None or stored.owner_id != request.user.pk or stored.unit_id != county.pk:
        raise Http404("not found")
    data = uploads.import_read(stored)
    if data is None:
        raise Http404("not found")
    unknown = services.people_import_unknown_columns(data=data, filename=stored.original_name)
    mapping_form = ColumnMappingForm(unknown, request.POST, columns=pt.COLUMNS)
    context: dict[str, Any] = {"county": county, "form": PeopleImportForm(),
                               "mapping_form": mapping_form}
    if not mapping_form.is_valid():
        return render(request, "staffing/people_import.html", context)
    report = services.people_import(county=county, data=data, filename=stored.original_name,
                                    actor=request.user,
                                    dry_run=mapping_form.cleaned_data["dry_run"],
                                    mapping=mapping_form.mapping())
    if not report.rejected and not report.dry_run:
        uploads.import_discard(stored)
        return _imported(request, county, report)
    context["report"] = report
    if report.rejected:
        # Nothing stored: the file is corrected and uploaded again.
        context["mapping_form"] = None
        uploads.import_discard(stored)
    else:
        # Checked: offer the same choices again to import for real, the file still waiting.
        context["mapping_form"] = ColumnMappingForm(
            unknown, initial={**mapping_form.cleaned_data, "dry_run": False},
            columns=pt.COLUMNS)
    return render(request, "staffing/people_import.html", context)


@require_http_methods(["GET", "POST"])
def person_new(request: HttpRequest, pk: int) -> HttpResponse:
    county = selectors.get_county_for_user(request.user, pk)
    if not can(request.user, policy.CREATE, "staffing.person", county):
        raise Http404("not found")
    form = PersonForm(request.POST or None, county=county)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.person_save(actor=request.user, county=county,
                                          data=form.cleaned_data)
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("staffing:person", pk=person.pk)
    return render(request, "staffing/person_form.html", {"county": county, "form": form})


@require_http_methods(["GET", "POST"])
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person: post, station, training.  The national ID and mobile are masked; a role
    with the need shows them with a POST (``reveal``), and that read is audited (a GET
    writes nothing)."""
    person = selectors.get_person_for_user(request.user, pk)
    election = _election(request)
    shown = personaldata.reveal(
        request, allowed=selectors.sees_personal_data(request.user, person.county),
        action="staffing.person.read", unit=person.county, obj=person)
    assignment = (Assignment.objects.filter(election=election, person=person)
                  .select_related("station").first())
    return render(request, "staffing/person_detail.html", {
        "person": person, "assignment": assignment, "election": election,
        "national_id": shown.national_id(person.national_id),
        "mobile": shown.mobile(person.mobile), "shown": shown,
        "training": selectors.person_training(election, person),
        "can_change": can(request.user, policy.CHANGE, "staffing.person", person.county),
    })


@require_http_methods(["GET", "POST"])
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a person.  The national ID and mobile are not in the form, masked in its help
    (auth review 2 F1: the form showed them in full on a GET, unaudited, beside the
    person's page that shows them only through the audited reveal); empty keeps them."""
    person = selectors.get_person_for_user(request.user, pk, write=True)
    initial = {"first_name": person.first_name,
               "last_name": person.last_name, "gender": person.gender,
               "home_unit": person.home_unit, "employer": person.employer,
               "posts": person.post_list, "available": person.available}
    form = PersonForm(request.POST or None, county=person.county, initial=initial,
                      keeping=(localize_digits(mask_national_id(person.national_id)),
                               localize_digits(mask_mobile(person.mobile))))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["national_id"] = data["national_id"] or person.national_id
        if not data["mobile"] and not data.pop("mobile_clear", False):
            data["mobile"] = person.mobile
        try:
            services.person_save(actor=request.user, county=person.county,
                                 data=data, person=person)
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect("staffing:person", pk=person.pk)
    return render(request, "staffing/person_form.html",
                  {"county": person.county, "form": form, "person": person})


# --- a station's posts ------------------------------------------------------------------------


def _slot_choices(slots: list[selectors.Slot]) -> list[tuple[str, str]]:
    # The member's number in the page's digits («عضو شعبه ۱», as the table above says).
    return [(f"{s.post}:{s.slot}",
             f"{s.label} {localize_digits(str(s.slot))}" if s.post == "member" else s.label)
            for s in slots]


def _station_page(request: HttpRequest, station: Any, form: AssignForm) -> HttpResponse:
    slots = selectors.station_slots(station)
    # A post the rules refuse now (its holder has since become a candidate, ...) is
    # flagged with the reason: approval and its letter are refused until it is changed.
    broken = {a.pk: error.message for a, error in rules.broken(
        [s.assignment for s in slots if s.assignment is not None])}
    return render(request, "staffing/station_posts.html", {
        "station": station, "form": form,
        "rows": [(s, broken.get(s.assignment.pk) if s.assignment else None) for s in slots],
        "can_change": can(request.user, policy.CHANGE, "staffing.assignment", station.county),
        "roster": roster_read(station.election, station.county),
    })


@require_GET
def station_posts(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.get_station_for_user(request.user, pk)
    form = AssignForm(slots=_slot_choices(selectors.station_slots(station)))
    return _station_page(request, station, form)


@require_POST
def station_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Assign a person to a post by hand, or remove one (``clear``); every rule checked."""
    station = selectors.get_station_for_user(request.user, pk, write=True)
    if request.POST.get("clear"):
        key = parse_id(request.POST.get("clear")) or 0
        assignment = Assignment.objects.filter(station=station, pk=key).first()
        if assignment is not None:
            try:
                services.assignment_clear(actor=request.user, assignment=assignment)
            except RuleError as error:
                messages.error(request, error.message)
        return redirect("staffing:station", pk=station.pk)
    choices = _slot_choices(selectors.station_slots(station))
    form = AssignForm(request.POST, slots=choices)
    if form.is_valid():
        post, slot = form.cleaned_data["slot"].split(":")
        nid = normalize_national_id(form.cleaned_data["national_id"])
        person = selectors.people_for_user(request.user, station.county).filter(
            national_id=nid).first()
        if person is None:
            form.add_error("national_id", _("No person with this national ID is "
                                            "registered in the county."))
        else:
            held = Assignment.objects.filter(station=station, post=post, slot=int(slot)
                                             ).select_related("person").first()
            try:
                services.assignment_set(actor=request.user, station=station, post=post,
                                        slot=int(slot), person=person)
            except RuleError as error:
                form.add_error(None, error.message)
            else:
                label = dict(choices).get(form.cleaned_data["slot"], post)
                if held is not None and held.person_id != person.pk:
                    messages.success(request, _(
                        "%(name)s now holds the post %(post)s; %(previous)s no longer holds "
                        "it.") % {"name": person.full_name, "post": label,
                                  "previous": held.person.full_name})
                else:
                    messages.success(request, _("%(name)s now holds the post %(post)s.")
                                     % {"name": person.full_name, "post": label})
                return redirect("staffing:station", pk=station.pk)
    return _station_page(request, station, form)


@require_POST
def station_roster_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.get_station_for_user(request.user, pk)
    data = pdf.station_roster_pdf(actor=request.user, station=station)
    return _download(data, f"station-{station.code}.pdf", "application/pdf")


@require_POST
def letter_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = Assignment.objects.filter(pk=pk).select_related("station").first()
    if assignment is None:
        raise Http404("not found")
    station = selectors.get_station_for_user(request.user, assignment.station_id)
    if not can(request.user, policy.CHANGE, "staffing.assignment", station.county):
        raise Http404("not found")
    verify_url = (request.build_absolute_uri(reverse("staffing:verify"))
                  + f"?code={assignment.verification_code}")
    try:
        data = pdf.letter_pdf(actor=request.user, assignment=assignment,
                              verify_url=verify_url)
    except RuleError as error:
        messages.error(request, error.message)
        return redirect("staffing:station", pk=station.pk)
    return _download(data, f"letter-{assignment.verification_code}.pdf", "application/pdf")


# --- public -------------------------------------------------------------------------------------


@login_not_required
@require_GET
@ratelimit.public_lookup("staffing-verify")
def verify(request: HttpRequest) -> HttpResponse:
    """Check an appointment letter's code: name, post and station only."""
    form = VerifyForm(request.GET or None)
    found: Any = None
    checked = False
    if form.is_valid():
        checked = True
        found = selectors.assignment_by_code(form.cleaned_data["code"])
    return render(request, "staffing/verify.html",
                  {"form": form, "found": found, "checked": checked})
