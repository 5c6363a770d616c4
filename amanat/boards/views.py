"""Pages of the boards (issue 14): the boards in reach with their completeness, a board's
members and history, and the forms that form a board, appoint, replace and end members
and set the chair. Fetched through ``selectors`` (out of scope is 404), written through
``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from amanat.accounts import access, personaldata, policy
from amanat.boards import selectors, services
from amanat.boards.forms import BoardFilterForm, BoardForm, EndForm, MemberForm, ReplaceForm
from amanat.boards.law import rules
from amanat.boards.models import BoardMember
from amanat.boards.selectors import BOARD
from amanat.core.errors import RuleError
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind

PERSONAL_DATA = "boards.personaldata"


def _election(request: HttpRequest) -> Election:
    election = election_for_request(request)
    if election is None:
        raise Http404("no election")
    return election


def _form_error(form: forms.BaseForm, error: RuleError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _units(user: Any, action: str) -> list[AdminUnit]:
    """Provinces and counties in the user's reach for ``action`` on boards."""
    return list(access.scope_queryset(
        user, AdminUnit.objects.filter(kind__in=[Kind.PROVINCE, Kind.COUNTY]), action=action,
        path_field="path", model_label=BOARD).order_by("path"))


def board_list(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, policy.VIEW, BOARD, None):
        raise Http404("not found")
    election = _election(request)
    units = _units(request.user, policy.VIEW)
    form = BoardFilterForm(request.GET or None, units=units)
    qs = selectors.scoped_boards(request.user).filter(election=election)
    if form.is_valid():
        unit = next((u for u in units if u.pk == form.cleaned_data["unit"]), None)
        if unit is not None:
            qs = qs.filter(unit_path__startswith=unit.path)
        if form.cleaned_data["kind"]:
            qs = qs.filter(kind=form.cleaned_data["kind"])
    boards = list(qs.select_related("unit").annotate(
        serving=Count("members", filter=Q(members__ended_on__isnull=True)),
        chairs=Count("members", filter=Q(members__ended_on__isnull=True,
                                         members__is_chair=True)))
        .order_by("unit_path", "kind")[:500])
    law = rules()
    for board in boards:
        board.size = law[board.kind].size  # type: ignore[attr-defined]
        board.complete = (board.serving == board.size  # type: ignore[attr-defined]
                          and board.chairs > 0)
    return render(request, "boards/board_list.html", {
        "form": form, "boards": boards, "election": election,
        "can_create": access.can(request.user, policy.CREATE, BOARD, None)})


def board_new(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, policy.CREATE, BOARD, None):
        raise Http404("not found")
    election = _election(request)
    units = _units(request.user, policy.CREATE)
    form = BoardForm(request.POST or None, units=units)
    if request.method == "POST" and form.is_valid():
        unit = next(u for u in units if u.pk == form.cleaned_data["unit"])
        try:
            board = services.board_create(
                actor=request.user, election=election, kind=form.cleaned_data["kind"],
                unit=unit, act_number=form.cleaned_data["act_number"],
                act_date=form.cleaned_data["act_date"],
                appointed_by=form.cleaned_data["appointed_by"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Board recorded; now appoint its members."))
            return redirect("boards:detail", board.pk)
    return render(request, "boards/form.html", {
        "form": form, "title": _("Form a board"), "cancel": reverse("boards:list")})


@require_http_methods(["GET", "POST"])
def board_detail(request: HttpRequest, board_id: int) -> HttpResponse:
    """A board: members masked by default; the governor shows their national IDs with a
    POST (``reveal``), recorded (accounts.personaldata)."""
    board = selectors.get_board_for_user(request.user, board_id)
    members = list(board.members.select_related("user", "replaced_by").order_by(
        "ended_on", "-is_chair", "appointed_on", "pk"))
    state = selectors.completeness(board)
    can_change = access.can(request.user, policy.CHANGE, BOARD, board.unit)
    shown = personaldata.reveal(
        request, allowed=access.can(request.user, policy.VIEW, PERSONAL_DATA, board.unit),
        action="boards.board.read", unit=board.unit, obj=board)
    serving = [m for m in members if m.ended_on is None]
    for member in serving:
        member.shown_national_id = shown.national_id(  # type: ignore[attr-defined]
            member.national_id)
    return render(request, "boards/board_detail.html", {
        "board": board, "state": state, "can_change": can_change, "serving": serving,
        "history": [m for m in members if m.ended_on is not None], "shown": shown,
        "reveal_label": _("Show the national IDs (recorded)")})


def member_new(request: HttpRequest, board_id: int) -> HttpResponse:
    board = selectors.get_board_for_user(request.user, board_id, action=policy.CHANGE)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_appoint(
                actor=request.user, board=board, full_name=data["full_name"],
                national_id=data["national_id"], appointed_on=data["appointed_on"],
                user=data["user"], is_chair=data["is_chair"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Member appointed."))
            return redirect("boards:detail", board.pk)
    return render(request, "boards/form.html", {
        "form": form, "board": board, "title": _("Appoint a member"),
        "cancel": reverse("boards:detail", args=[board.pk])})


def _serving_member(request: HttpRequest, member_id: int) -> BoardMember:
    return selectors.get_member_for_user(request.user, member_id, action=policy.CHANGE)


def member_replace(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _serving_member(request, member_id)
    form = ReplaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_replace(
                actor=request.user, member=member, full_name=data["full_name"],
                national_id=data["national_id"], appointed_on=data["appointed_on"],
                reason=data["reason"], user=data["user"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Member replaced; the former member stays in the "
                                        "board's history."))
            return redirect("boards:detail", member.board_id)
    return render(request, "boards/form.html", {
        "form": form, "board": member.board, "member": member,
        "title": _("Replace %(name)s") % {"name": member.full_name},
        "cancel": reverse("boards:detail", args=[member.board_id])})


def member_end(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _serving_member(request, member_id)
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_end(actor=request.user, member=member,
                                ended_on=form.cleaned_data["ended_on"],
                                reason=form.cleaned_data["reason"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The member's service has ended."))
            return redirect("boards:detail", member.board_id)
    return render(request, "boards/form.html", {
        "form": form, "board": member.board, "member": member,
        "title": _("End the service of %(name)s") % {"name": member.full_name},
        "cancel": reverse("boards:detail", args=[member.board_id])})


@require_POST
def member_chair(request: HttpRequest, member_id: int) -> HttpResponse:
    member = _serving_member(request, member_id)
    try:
        services.chair_set(actor=request.user, member=member)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(name)s chairs the board.") % {"name": member.full_name})
    return redirect("boards:detail", member.board_id)
