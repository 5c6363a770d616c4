"""Pages of the people who handle election-day trouble (opswatch): the alerts (list,
detail with its notes, acknowledge, close, add a note), the open quality flags (verify
or correct a flagged check-in) and the quality rules (national administrators edit,
add and switch them off).

Views validate with forms and fetch through ``watch_selectors`` (the scope helpers);
services write.  Out of scope is 404.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from amanat.accounts import access, personaldata, policy
from amanat.core.errors import RuleError
from amanat.core.templatetags.persian import list_separator
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.operations import quality, services
from amanat.operations import watch_selectors as S
from amanat.operations.models import Alert, Checkin, Kind
from amanat.operations.watch_forms import (
    AlertCloseForm,
    AlertFilterForm,
    AlertNoteForm,
    FlagCorrectForm,
    FlagVerifyForm,
    QualityRuleForm,
)

PER_PAGE = 50


def _election(request: HttpRequest) -> Election:
    return election_for_request(request, required=True)


def _require(request: HttpRequest, action: str, model_label: str) -> None:
    if not access.can(request.user, action, model_label, None):
        raise Http404("not found")


def _form_error(form: Any, error: RuleError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


# --- alerts ------------------------------------------------------------------------------


@require_GET
def alert_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.ALERT)
    election = _election(request)
    form = AlertFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    alerts = S.alerts_for_user(request.user, election, kind=filters.get("kind", ""),
                               state=filters.get("state", ""),
                               level=filters.get("level", ""))
    page = Paginator(alerts, PER_PAGE).get_page(request.GET.get("page"))
    S.label_incidents(page)
    query = urlencode({k: str(v) for k, v in request.GET.items() if k != "page" and v})
    return render(request, "operations/alert_list.html", {
        "election": election, "form": form, "page": page, "query": query})


def _alert_page(request: HttpRequest, alert: Any, **forms: Any) -> HttpResponse:
    can_change = access.can(request.user, policy.CHANGE, S.ALERT, alert.county)
    # The staff's mobiles are masked; the roles that call the station show them with a
    # POST (``reveal``) to the alert's page, and that read is audited.
    shown = personaldata.reveal(
        request, allowed=access.can(request.user, policy.VIEW, S.STAFF_PHONE, alert.county),
        action="operations.alert.staff_read", unit=alert.county, obj=alert,
        extra={"station": alert.station_id})
    station = S.alert_station(alert)
    return render(request, "operations/alert_detail.html", {
        "alert": alert, "notes": alert.notes.select_related("author"),
        "can_change": can_change,
        "note_form": forms.get("note_form") or AlertNoteForm(),
        "close_form": forms.get("close_form") or AlertCloseForm(),
        "station": station, "shown": shown,
        "staff": [(row, shown.mobile(row.mobile)) for row in station.staff],
        "sees_reports": access.can(request.user, policy.VIEW, "incidents.report", alert.county),
    }, status=400 if forms else 200)


@require_http_methods(["GET", "POST"])
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    """The alert, its station (day, last check-in, staff) and its notes; a POST with
    ``reveal`` shows the staff's mobiles in full to the roles allowed (audited)."""
    return _alert_page(request, S.get_alert_for_user(request.user, alert_id))


@require_POST
def alert_acknowledge(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = S.get_alert_for_user(request.user, alert_id, write=True)
    try:
        services.alert_acknowledge(alert=alert, actor=request.user)
    except RuleError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The alert was acknowledged."))
    return redirect("operations:alert", alert_id=alert.pk)


def _alert_form_post(request: HttpRequest, alert_id: int, form_class: type[forms.Form],
                     save: Callable[[Alert, dict[str, Any]], object], done: str,
                     form_name: str) -> HttpResponse:
    """A form posted on the alert's page: the service runs on the valid form; the page
    comes back with the form's errors, or the alert with a message when it went through."""
    alert = S.get_alert_for_user(request.user, alert_id, write=True)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(alert, form.cleaned_data)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, done)
            return redirect("operations:alert", alert_id=alert.pk)
    return _alert_page(request, alert, **{form_name: form})


@require_POST
def alert_note(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_form_post(
        request, alert_id, AlertNoteForm,
        lambda alert, data: services.alert_note_add(alert=alert, actor=request.user,
                                                    text=data["text"]),
        _("The note was added."), "note_form")


@require_POST
def alert_close(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _alert_form_post(
        request, alert_id, AlertCloseForm,
        lambda alert, data: services.alert_close(alert=alert, actor=request.user,
                                                 note=data["note"]),
        _("The alert was closed."), "close_form")


# --- quality flags -----------------------------------------------------------------------


@require_GET
def flag_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW, S.CHECKIN)
    election = _election(request)
    page = Paginator(S.flags_for_user(request.user, election), PER_PAGE).get_page(
        request.GET.get("page"))
    for flag in page:
        flag.shown = quality.values_shown(flag.values)  # type: ignore[attr-defined]
    return render(request, "operations/flag_list.html", {
        "election": election, "page": page, "query": ""})


def _flag_page(request: HttpRequest, flag: Any, *, verify_form: Any = None,
               correct_form: Any = None) -> HttpResponse:
    checkin: Checkin = flag.checkin
    return render(request, "operations/flag_detail.html", {
        "flag": flag, "checkin": checkin,
        "shown": quality.values_shown(flag.values),
        "original": quality.values_shown(checkin.original),
        "others": checkin.flags.select_related("rule").exclude(pk=flag.pk),
        "can_change": access.can(request.user, policy.CHANGE, S.CHECKIN, flag.county),
        "verify_form": verify_form or FlagVerifyForm(),
        "correct_form": correct_form or FlagCorrectForm(kind=checkin.kind),
        "correctable": checkin.kind in (Kind.TURNOUT, Kind.CLOSING),
    }, status=400 if verify_form or correct_form else 200)


@require_GET
def flag_detail(request: HttpRequest, flag_id: int) -> HttpResponse:
    return _flag_page(request, S.get_flag_for_user(request.user, flag_id))


@require_POST
def flag_verify(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = S.get_flag_for_user(request.user, flag_id, write=True)
    form = FlagVerifyForm(request.POST)
    if form.is_valid():
        try:
            services.flag_verify(flag=flag, actor=request.user, note=form.cleaned_data["note"])
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The figures were verified and published."))
            return redirect("operations:flag", flag_id=flag.pk)
    return _flag_page(request, flag, verify_form=form)


@require_POST
def flag_correct(request: HttpRequest, flag_id: int) -> HttpResponse:
    flag = S.get_flag_for_user(request.user, flag_id, write=True)
    form = FlagCorrectForm(request.POST, kind=flag.checkin.kind)
    if form.is_valid():
        data = form.cleaned_data
        try:
            checkin = services.flag_correct(flag=flag, actor=request.user,
                                            voters=data.get("voters"), total=data.get("total"),
                                            note=data["note"])
        except RuleError as error:
            _form_error(form, error)
        else:
            still = S.open_flags_of(checkin)
            if not still:
                messages.success(request, _("The figures were corrected and published."))
                return redirect("operations:flag", flag_id=flag.pk)
            # The corrected figures still break a rule: held, not published, and another
            # official decides on the new flag (user review 2, F5).
            messages.warning(request, _(
                "The correction was recorded, but the corrected figures still break "
                "“%(rules)s”: they are not published and stay held for review; another "
                "official decides on this new flag.") % {
                    "rules": list_separator().join(dict.fromkeys(str(f.rule.name)
                                                                  for f in still))})
            return redirect("operations:flag", flag_id=still[0].pk)
    return _flag_page(request, flag, correct_form=form)


# --- quality rules -----------------------------------------------------------------------


@require_GET
def rule_list(request: HttpRequest) -> HttpResponse:
    rules = list(S.rules_for_user(request.user))
    labels = dict(Kind.choices)
    for rule in rules:
        rule.kind_labels = [str(labels.get(kind, kind)) for kind in rule.kind_list]  # type: ignore[attr-defined]
    return render(request, "operations/rule_list.html", {
        "rules": rules, "names": list(quality.NAMES.items()),
        "can_change": access.can_nationally(request.user, policy.CHANGE, S.RULE)})


def _rule_form_page(request: HttpRequest, form: QualityRuleForm, rule: Any) -> HttpResponse:
    return render(request, "operations/rule_form.html", {
        "form": form, "rule": rule, "names": list(quality.NAMES.items())},
        status=400 if form.is_bound else 200)


def _rule_save(request: HttpRequest, rule: Any) -> HttpResponse:
    initial = None
    if rule is not None:
        initial = {"code": rule.code, "name_fa": rule.name_fa, "name_en": rule.name_en,
                   "description": rule.description, "kinds": rule.kind_list,
                   "expression": rule.expression, "active": rule.active}
    form = QualityRuleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.qualityrule_save(rule=rule, actor=request.user, **form.cleaned_data)
        except RuleError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The rule was saved."))
            return redirect("operations:rules")
    return _rule_form_page(request, form, rule)


@require_http_methods(["GET", "POST"])
def rule_new(request: HttpRequest) -> HttpResponse:
    if not access.can_nationally(request.user, policy.CREATE, S.RULE):
        raise Http404("not found")
    return _rule_save(request, None)


@require_http_methods(["GET", "POST"])
def rule_edit(request: HttpRequest, rule_id: int) -> HttpResponse:
    return _rule_save(request, S.get_rule_for_change(request.user, rule_id))


@require_POST
def rule_switch(request: HttpRequest, rule_id: int) -> HttpResponse:
    rule = S.get_rule_for_change(request.user, rule_id)
    services.qualityrule_switch(rule=rule, actor=request.user, active=not rule.active)
    messages.success(request, _("The rule was switched on.") if rule.active
                     else _("The rule was switched off."))
    return redirect("operations:rules")
