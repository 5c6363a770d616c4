"""Pages of the candidates app: public pre-registration (no account), the staff list,
the dossier, walk-in entry, confirmation, documents, and the constituencies' seats.

Views fetch through the scope helpers in ``selectors`` (out of scope is 404) and write
through ``services``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amanat.accounts import personaldata, policy
from amanat.accounts.access import can, can_nationally
from amanat.candidates import law, selectors, services
from amanat.candidates.forms import (
    CandidateFilterForm,
    ConstituencyFilterForm,
    ConstituencyForm,
    DocumentRejectForm,
    DocumentUploadForm,
    PlaceForm,
    PreRegisterForm,
    PreRegisterStartForm,
    RelativeForm,
    WalkInForm,
)
from amanat.candidates.models import Candidacy, Channel, DocumentType, State
from amanat.core import ratelimit
from amanat.core.clientaddr import client_limit_address
from amanat.core.errors import RuleError
from amanat.core.templatetags.persian import code_text
from amanat.elections.models import Contest, Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind
from amanat.lib.collation import persian_key
from amanat.training import selectors as training_selectors

PER_PAGE = 50
SESSION_KEY = "candidate_registration"
SESSION_DONE = "candidate_registered"
PERSONAL_DATA = "candidates.personaldata"


def _error(request: HttpRequest, error: RuleError) -> None:
    messages.error(request, error.message)


# Form posts of the public registration (its three steps together) from one client
# address an hour (``core.ratelimit``): a registrant sends a handful (the number, the
# code, a few documents), a county office or an internet cafe behind one address a few
# dozen registrants' worth; a script far more. Beyond it, 429 and nothing is read or kept.
REGISTRATION_POSTS_PER_HOUR = 300
RATE_SCOPE = "candidate-register"


def registration_limit() -> int:
    return int(getattr(settings, "AMANAT_CANDIDATE_REGISTRATION_LIMIT",
                       REGISTRATION_POSTS_PER_HOUR))


def _over_limit(request: HttpRequest) -> HttpResponse | None:
    """Count a post of the public registration; the 429 page once over the limit."""
    if request.method != "POST" or ratelimit.allow(request, RATE_SCOPE,
                                                   limit=registration_limit()):
        return None
    return ratelimit.too_many(request, _(
        "Too many registration steps were sent from your connection in a short time; "
        "nothing was saved. Please try again in an hour."))


def _contests(election: Election | None) -> QuerySet[Contest]:
    if election is None:
        return Contest.objects.none()
    return Contest.objects.filter(election=election).order_by("pk")


# --- public pre-registration ------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def register_start(request: HttpRequest) -> HttpResponse:
    """Step one: contest, county office, national ID and mobile; a code is texted."""
    if (refused := _over_limit(request)) is not None:
        return refused
    election = Election.objects.current()
    # The chosen county is checked by its own query (one row); the 448 options are drawn
    # from (id, name) pairs: model rows for them were half of this page's CPU.
    counties = AdminUnit.objects.filter(kind=Kind.COUNTY).only("id", "name")
    form = PreRegisterStartForm(request.POST or None, contests=_contests(election),
                                counties=counties)
    status = 200
    if request.method == "POST" and form.is_valid() and election is not None:
        data = form.cleaned_data
        try:
            services.window_check(election, contest=data["contest"])
            code = services.mobile_code_send(national_id=data["national_id"],
                                             mobile=data["mobile"],
                                             client_address=client_limit_address(request))
        except RuleError as error:
            form.add_error(None, error.message)
            if error.code == "address_limit":
                status = 429  # too many requests from this connection
        else:
            request.session[SESSION_KEY] = {
                "code": code.pk, "national_id": data["national_id"], "mobile": data["mobile"],
                "contest": data["contest"].pk, "county": data["county"].pk,
            }
            return redirect("candidates:register_confirm")
    # Each contest's own registration window (the by-election's may differ): shown on the
    # form, so read only when the form is drawn (the calendar in one query).
    windows = (selectors.registration_windows(election, list(_contests(election)))
               if election else [])
    county = form.fields["county"]
    assert isinstance(county, forms.ModelChoiceField)
    empty = [] if county.empty_label is None else [("", county.empty_label)]
    # Sorted here by ICU's sort key (the database's Persian order, core.collation): on
    # SQLite, ORDER BY the collation calls back into Python for every comparison.
    # (No ORDER BY at all: "ORDER BY id" led SQLite to walk every unit by its key.)
    rows = sorted(AdminUnit.objects.filter(kind=Kind.COUNTY).order_by().values_list(
        "id", "name"), key=lambda row: (persian_key(row[1]), row[0]))
    county.widget.choices = [*empty, *rows]
    return render(request, "candidates/register_start.html",
                  {"form": form, "election": election, "windows": windows,
                   "today": timezone.localdate()}, status=status)


def _pending(request: HttpRequest) -> dict[str, Any] | None:
    pending = request.session.get(SESSION_KEY)
    return pending if isinstance(pending, dict) else None


@login_not_required
@require_http_methods(["GET", "POST"])
def register_confirm(request: HttpRequest) -> HttpResponse:
    """Step two: the code and the candidate's details; stores the pre-registration."""
    if (refused := _over_limit(request)) is not None:
        return refused
    pending = _pending(request)
    if pending is None:
        return redirect("candidates:register")
    contest = Contest.objects.select_related("election").filter(pk=pending["contest"]).first()
    county = AdminUnit.objects.filter(pk=pending["county"], kind=Kind.COUNTY).first()
    if contest is None or county is None:
        request.session.pop(SESSION_KEY, None)
        return redirect("candidates:register")
    form = PreRegisterForm(request.POST or None,
                           constituencies=selectors.contest_constituencies(contest.pk, county))
    if request.method == "POST" and form.is_valid():
        try:
            code = services.mobile_code_verify(
                code_id=pending["code"], national_id=pending["national_id"],
                mobile=pending["mobile"], code=form.cleaned_data["code"])
            candidacy = services.candidacy_register(
                actor=None, contest=contest, constituency=form.cleaned_data["constituency"],
                county=county, channel=Channel.ONLINE, mobile_confirmed_at=timezone.now(),
                mobile_code=code,  # spent in the registration's transaction
                person=form.person(national_id=pending["national_id"],
                                   mobile=pending["mobile"]))
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            request.session.pop(SESSION_KEY, None)
            request.session[SESSION_DONE] = {"id": candidacy.pk,
                                             "seen": int(timezone.now().timestamp())}
            return redirect("candidates:register_documents")
    return render(request, "candidates/register_confirm.html",
                  {"form": form, "contest": contest, "county": county,
                   "mobile": pending["mobile"]})


def _registered_id(request: HttpRequest) -> int:
    """The candidacy this browser registered, while the visitor keeps using the page: on
    a shared computer the next person must not reach the last candidate's dossier (the
    session itself lives for hours). Idle as long as a signed-in session may be."""
    done = request.session.get(SESSION_DONE)
    now = int(timezone.now().timestamp())
    if not isinstance(done, dict) or not isinstance(done.get("seen"), int) \
            or now - done["seen"] > settings.AMANAT_SESSION_IDLE_SECONDS:
        request.session.pop(SESSION_DONE, None)
        return 0
    request.session[SESSION_DONE] = {**done, "seen": now}
    return int(done.get("id") or 0)


@login_not_required
@require_http_methods(["GET", "POST"])
def register_documents(request: HttpRequest) -> HttpResponse:
    """Step three: the pre-registered candidate uploads the dossier's documents (this
    browser session only)."""
    if (refused := _over_limit(request)) is not None:
        return refused
    candidacy = Candidacy.objects.select_related("contest", "election").filter(
        pk=_registered_id(request)).first()
    if candidacy is None:
        return redirect("candidates:register")
    types = DocumentType.objects.filter(contest_kind=candidacy.contest.kind)
    form = DocumentUploadForm(request.POST or None, request.FILES or None, types=types)
    if request.method == "POST" and form.is_valid():
        try:
            services.document_upload(actor=None, candidacy=candidacy,
                                     document_type=form.cleaned_data["document_type"],
                                     checked=form.cleaned_data["file"])
        except RuleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Document received."))
            return redirect("candidates:register_documents")
    # The dossier as the county office and the board see it: the documents' status and
    # every eligibility rule's verdict. The registrant is told which conditions are not
    # met or still need a document (user review F15), not only the office.
    dossier = selectors.dossier(candidacy)
    lines = [(line.document_type, line.status) for line in dossier.documents]
    unmet = [r for r in dossier.rules if r.verdict != law.Verdict.MET]
    return render(request, "candidates/register_documents.html",
                  {"candidacy": candidacy, "form": form, "lines": lines, "unmet": unmet})


# --- staff: list, dossier, walk-in ------------------------------------------------------------


def candidate_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, policy.VIEW, selectors.CANDIDACY, None):
        raise Http404("not found")
    election = election_for_request(request, required=True)
    # The 448 county options: their id, name and path only (path: the county filter).
    counties = selectors.scoped_counties(request.user).only("id", "name", "path")
    form = CandidateFilterForm(request.GET or None, counties=counties)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {"county": form.cleaned_data["county"],
                   "state": form.cleaned_data["state"], "text": form.cleaned_data["q"] or ""}
    page = selectors.candidacy_page(request.user, election=election, per_page=PER_PAGE,
                                    number=request.GET.get("page"), **filters)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "candidates/candidate_list.html", {
        "form": form, "page": page, "query": query.urlencode(), "election": election,
        "can_create": can(request.user, policy.CREATE, selectors.CANDIDACY, None),
    })


@require_http_methods(["GET", "POST"])
def candidate_detail(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    """The candidate's file: the national ID and mobile masked; the registering office
    shows them with a POST (``reveal``), recorded (accounts.personaldata)."""
    candidacy = selectors.get_candidacy_for_user(request.user, candidacy_id)
    can_change = can(request.user, policy.CHANGE, selectors.CANDIDACY, candidacy.county)
    shown = personaldata.reveal(
        request, allowed=can(request.user, policy.VIEW, PERSONAL_DATA, candidacy.county),
        action="candidates.candidacy.read", unit=candidacy.county, obj=candidacy)
    types = DocumentType.objects.filter(contest_kind=candidacy.contest.kind)
    return render(request, "candidates/candidate_detail.html", {
        "c": candidacy, "dossier": selectors.dossier(candidacy), "can_change": can_change,
        "show_cases": selectors.show_cases(request.user, candidacy),
        "shown": shown, "national_id": shown.national_id(candidacy.national_id),
        "mobile": shown.mobile(candidacy.mobile),
        "can_confirm": can_change and candidacy.state == State.PRE_REGISTERED,
        "upload_form": DocumentUploadForm(types=types) if can_change else None,
        "reject_form": DocumentRejectForm() if can_change else None,
        "relative_form": RelativeForm() if can_change else None,
        "training_status": training_selectors.candidate_course_status(
            election=candidacy.election, national_id=candidacy.national_id),
    })


@require_http_methods(["GET", "POST"])
def candidate_new(request: HttpRequest) -> HttpResponse:
    """Direct entry by county staff: pick the contest and county, then the person."""
    if not can(request.user, policy.CREATE, selectors.CANDIDACY, None):
        raise Http404("not found")
    election = election_for_request(request, required=True)
    counties = selectors.scoped_counties(request.user, policy.CREATE)
    place = PlaceForm(request.GET if "contest" in request.GET else None,
                      contests=_contests(election), counties=counties)
    if not place.is_valid():
        return render(request, "candidates/candidate_new.html", {"place": place})
    contest, county = place.cleaned_data["contest"], place.cleaned_data["county"]
    form = WalkInForm(request.POST or None,
                      constituencies=selectors.contest_constituencies(contest.pk, county))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        online = selectors.unconfirmed_online(election, data["national_id"])
        try:
            candidacy = services.candidacy_register(
                actor=request.user, contest=contest, constituency=data["constituency"],
                county=county, channel=Channel.WALK_IN,
                person=form.person(national_id=data["national_id"], mobile=data["mobile"]))
        except RuleError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("Candidate registered; tracking code %(ref)s.")
                             % {"ref": code_text(candidacy.reference)})
            for old in online:  # cancelled by this registration: say so
                messages.warning(request, _(
                    "The person's unconfirmed online pre-registration %(ref)s (%(contest)s) "
                    "was cancelled: one candidacy per person.")
                    % {"ref": code_text(old.reference), "contest": old.contest.name})
            return redirect("candidates:detail", candidacy_id=candidacy.pk)
    return render(request, "candidates/candidate_new.html",
                  {"place": place, "form": form, "contest": contest, "county": county})


@require_POST
def candidate_confirm(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    candidacy = selectors.get_candidacy_for_user(request.user, candidacy_id,
                                                 action=policy.CHANGE)
    try:
        services.candidacy_confirm(actor=request.user, candidacy=candidacy)
    except RuleError as error:
        _error(request, error)
    else:
        messages.success(request, _("Registration confirmed."))
    return redirect("candidates:detail", candidacy_id=candidacy.pk)


@require_POST
def document_upload(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    candidacy = selectors.get_candidacy_for_user(request.user, candidacy_id,
                                                 action=policy.CHANGE)
    types = DocumentType.objects.filter(contest_kind=candidacy.contest.kind)
    form = DocumentUploadForm(request.POST, request.FILES, types=types)
    if form.is_valid():
        try:
            services.document_upload(actor=request.user, candidacy=candidacy,
                                     document_type=form.cleaned_data["document_type"],
                                     checked=form.cleaned_data["file"])
        except RuleError as error:
            _error(request, error)
        else:
            messages.success(request, _("Document received."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("candidates:detail", candidacy_id=candidacy.pk)


@require_POST
def relative_new(request: HttpRequest, candidacy_id: int) -> HttpResponse:
    """The county office records a relative the candidate declares (F1 of the rev13a
    review: the staffing conflict rule and the boards' party check read these)."""
    candidacy = selectors.get_candidacy_for_user(request.user, candidacy_id,
                                                 action=policy.CHANGE)
    form = RelativeForm(request.POST)
    if form.is_valid():
        try:
            services.relative_declare(actor=request.user, candidacy=candidacy,
                                      **form.cleaned_data)
        except RuleError as error:
            _error(request, error)
        else:
            messages.success(request, _("Relative declared."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
    return redirect("candidates:detail", candidacy_id=candidacy.pk)


@require_POST
def document_reject(request: HttpRequest, document_id: int) -> HttpResponse:
    document = selectors.get_document_for_user(request.user, document_id, action=policy.CHANGE)
    form = DocumentRejectForm(request.POST)
    if form.is_valid():
        try:
            services.document_reject(actor=request.user, document=document,
                                     reason=form.cleaned_data["reason"])
        except RuleError as error:
            _error(request, error)
        else:
            messages.success(request, _("Document rejected."))
    else:
        messages.error(request, _("Give the reason the document is rejected."))
    return redirect("candidates:detail", candidacy_id=document.candidacy_id)


@require_POST
def document_download(request: HttpRequest, document_id: int) -> FileResponse:
    """The file as an attachment; POST, because the download is audited."""
    document = selectors.get_document_for_user(request.user, document_id)
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as error:
        raise Http404("file missing") from error
    services.document_download_record(actor=request.user, document=document)
    ext = str(document.file.name).rsplit(".", 1)[-1]
    response = FileResponse(handle, content_type=document.content_type, as_attachment=True,
                            filename=f"{document.candidacy.reference}-{document.pk}.{ext}")
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- constituencies (national administrators edit) ------------------------------------------


def constituency_list(request: HttpRequest) -> HttpResponse:
    if not can(request.user, policy.VIEW, selectors.CONSTITUENCY, None):
        raise Http404("not found")
    form = ConstituencyFilterForm(request.GET or None)
    kind = text = ""
    if form.is_valid():
        kind, text = form.cleaned_data["kind"], form.cleaned_data["q"] or ""
    qs = selectors.constituency_list(kind=kind, text=text)
    page = Paginator(qs, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "candidates/constituency_list.html", {
        "form": form, "page": page, "query": query.urlencode(),
        "can_change": can_nationally(request.user, policy.CHANGE, selectors.CONSTITUENCY),
    })


@require_http_methods(["GET", "POST"])
def constituency_edit(request: HttpRequest, constituency_id: int) -> HttpResponse:
    constituency = selectors.get_constituency_for_user(request.user, constituency_id)
    form = ConstituencyForm(request.POST or None, instance=constituency)
    if request.method == "POST" and form.is_valid():
        services.constituency_update(
            actor=request.user,
            constituency=selectors.get_constituency_for_user(request.user, constituency.pk),
            changes={name: form.cleaned_data[name] for name in form.changed_data})
        messages.success(request, _("Constituency saved."))
        return redirect("candidates:constituencies")
    return render(request, "candidates/constituency_edit.html",
                  {"form": form, "constituency": constituency})
