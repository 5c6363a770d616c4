"""Pages of the councils app: councils, meetings with their agenda, minutes, decisions
and action items, the action-item list for agencies, and the printable agenda.

Views validate and fetch through the scope helpers in ``selectors``; services write.
Out of scope is 404.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amanat.accounts import access, policy
from amanat.core.errors import RuleError
from amanat.councils import pdf, selectors, services
from amanat.councils.forms import (
    ActionItemForm,
    ActionStatusForm,
    AgendaItemForm,
    DecisionForm,
    MeetingCreateForm,
    MeetingEditForm,
)
from amanat.councils.models import ActionStatus, Council, Meeting
from amanat.incidents.models import Case
from amanat.incidents.selectors import scope_cases

PER_PAGE = 50


def _require(request: HttpRequest, action: str, label: str) -> None:
    if not access.can(request.user, action, label, None):
        raise Http404("not found")


def _form_error(form: forms.BaseForm, error: RuleError) -> None:
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def _form_page(request: HttpRequest, form: forms.BaseForm, *, title: str,
               meeting: Meeting | None = None,
               council: Council | None = None, cancel: str) -> HttpResponse:
    return render(request, "councils/form.html", {
        "form": form, "title": title, "meeting": meeting,
        "council": council or (meeting.council if meeting else None), "cancel": cancel,
    })


# --- councils ---------------------------------------------------------------------------


def council_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, selectors.COUNCIL)
    page = Paginator(selectors.council_list(request.user), PER_PAGE).get_page(
        request.GET.get("page"))
    return render(request, "councils/council_list.html", {"page": page, "query": ""})


def council_detail(request: HttpRequest, council_id: int) -> HttpResponse:
    council = selectors.get_council_for_user(request.user, council_id)
    meetings = list(council.meetings.order_by("-held_on", "-number"))
    actions = list(selectors.council_open_actions(council))
    today = selectors.today()
    return render(request, "councils/council_detail.html", {
        "council": council, "meetings": meetings, "actions": actions, "today": today,
        "changeable": selectors.changeable_action_ids(request.user, actions),
        "can_create": access.can(request.user, policy.CREATE, selectors.MEETING, council.unit),
        "serious_cases": list(selectors.serious_open_cases(council)[:100])
        if access.can(request.user, policy.VIEW, "incidents.case", council.unit) else None,
    })


# --- meetings ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def meeting_new(request: HttpRequest, council_id: int) -> HttpResponse:
    council = selectors.get_council_for_user(request.user, council_id)
    if not access.can(request.user, policy.CREATE, selectors.MEETING, council.unit):
        raise Http404("not found")
    form = MeetingCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                council=council, held_on=data["held_on"], starts_at=data["starts_at"],
                place=data["place"], attendees=data["attendees"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Meeting created; serious open cases are on its "
                                        "agenda."))
            return redirect("councils:meeting", meeting_id=meeting.pk)
    return _form_page(request, form, title=_("New meeting"), council=council,
                      cancel=council_url(council.pk))


def council_url(council_id: int) -> str:
    from django.urls import reverse

    return reverse("councils:council", args=[council_id])


def meeting_url(meeting_id: int) -> str:
    from django.urls import reverse

    return reverse("councils:meeting", args=[meeting_id])


def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = selectors.get_meeting_for_user(request.user, meeting_id)
    unit = meeting.council.unit
    decisions = selectors.meeting_decisions(meeting)
    actions = [a for d in decisions for a in d.actions.all()]
    can_change = access.can(request.user, policy.CHANGE, selectors.MEETING, unit)
    return render(request, "councils/meeting_detail.html", {
        "meeting": meeting, "council": meeting.council,
        "agenda": selectors.meeting_agenda(meeting), "decisions": decisions,
        "today": selectors.today(), "can_change": can_change,
        "changeable": selectors.changeable_action_ids(request.user, actions),
        "can_see_cases": access.can(request.user, policy.VIEW, "incidents.case", unit),
    })


def _meeting_for_change(request: HttpRequest, meeting_id: int) -> Meeting:
    return selectors.get_meeting_for_user(request.user, meeting_id, action=policy.CHANGE)


@require_http_methods(["GET", "POST"])
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for_change(request, meeting_id)
    initial = {name: getattr(meeting, name) for name in services.MEETING_EDITABLE}
    form = MeetingEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        try:
            services.meeting_update(meeting=meeting, changes=changes, actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Meeting saved."))
            return redirect("councils:meeting", meeting_id=meeting.pk)
    return _form_page(request, form, title=_("Minutes and attendees"), meeting=meeting,
                      cancel=meeting_url(meeting.pk))


def _case_for_agenda(request: HttpRequest, number: str) -> Case | None:
    """The case by number if the user may see it; None when not found or out of reach."""
    return scope_cases(request.user).filter(number=number).select_related("category").first()


@require_http_methods(["GET", "POST"])
def agenda_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for_change(request, meeting_id)
    form = AgendaItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        case = None
        if data["case_number"]:
            case = _case_for_agenda(request, data["case_number"])
            if case is None:
                form.add_error("case_number", _("No case with this number in your area."))
        if not form.errors:
            try:
                services.agenda_item_add(meeting=meeting, title=data["title"], case=case,
                                         note=data["note"], actor=request.user)
            except RuleError as error:
                _form_error(form, error)
            else:
                return redirect("councils:meeting", meeting_id=meeting.pk)
    return _form_page(request, form, title=_("Add an agenda item"), meeting=meeting,
                      cancel=meeting_url(meeting.pk))


@require_http_methods(["GET", "POST"])
def decision_add(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = _meeting_for_change(request, meeting_id)
    form = DecisionForm(request.POST or None, meeting=meeting,
                        initial={"agenda_item": request.GET.get("item")})
    if request.method == "POST" and form.is_valid():
        try:
            decision = services.decision_add(meeting=meeting, text=form.cleaned_data["text"],
                                             agenda_item=form.cleaned_data["agenda_item"],
                                             actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect(f"{meeting_url(meeting.pk)}#decision-{decision.pk}")
    return _form_page(request, form, title=_("Record a decision"), meeting=meeting,
                      cancel=meeting_url(meeting.pk))


@require_http_methods(["GET", "POST"])
def action_add(request: HttpRequest, decision_id: int) -> HttpResponse:
    decision = selectors.get_decision_for_user(request.user, decision_id, action=policy.CHANGE)
    meeting = decision.meeting
    form = ActionItemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.action_item_add(decision=decision, text=data["text"], owner=data["owner"],
                                     due_on=data["due_on"], actor=request.user)
        except RuleError as error:
            _form_error(form, error)
        else:
            return redirect(f"{meeting_url(meeting.pk)}#decision-{decision.pk}")
    title = _("Add an action to decision %(n)s") % {"n": decision.number}
    return _form_page(request, form, title=title, meeting=meeting,
                      cancel=meeting_url(meeting.pk))


@require_POST
def agenda_pdf(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The printable agenda.  POST: the export is recorded in the audit log, and a GET (a
    link from anywhere) must not write."""
    meeting = selectors.get_meeting_for_user(request.user, meeting_id)
    data = pdf.agenda_pdf(meeting, selectors.meeting_agenda(meeting))
    services.agenda_export_record(meeting=meeting, actor=request.user)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="agenda-{meeting.council_id}-{meeting.number}.pdf"')
    return response


# --- action items -----------------------------------------------------------------------


def action_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, selectors.ACTION)
    status = request.GET.get("status", ActionStatus.OPEN)
    if status not in ActionStatus.values and status != "all":
        status = ActionStatus.OPEN
    overdue = request.GET.get("overdue") == "1"
    items = selectors.action_item_list(request.user, status="" if status == "all" else status,
                                       overdue=overdue)
    page = Paginator(items, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "councils/action_list.html", {
        "page": page, "query": query.urlencode(), "status": status, "overdue": overdue,
        "statuses": ActionStatus.choices, "today": selectors.today(),
        "changeable": selectors.changeable_action_ids(request.user, list(page.object_list)),
        "can_open_meeting": access.can(request.user, policy.VIEW, selectors.MEETING, None),
    })


@require_POST
def action_status(request: HttpRequest, action_id: int) -> HttpResponse:
    item = selectors.get_action_item_for_user(request.user, action_id, write=True)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        try:
            services.action_item_set_status(item=item, status=form.cleaned_data["status"],
                                            note=form.cleaned_data["note"], actor=request.user)
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Action updated."))
    back = request.POST.get("next", "")
    if back.startswith("/councils/") and "//" not in back:
        return redirect(back)
    return redirect("councils:actions")
