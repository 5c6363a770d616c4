"""Election-day pages: the live dashboard (country, province, county) and its JSON data,
a station's day with the web check-in form, and the windows and settings page.

Scope is ``operations.checkin`` through ``accounts.access``; out of scope is 404.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods

from amanat.accounts import access, policy
from amanat.core.errors import RuleError
from amanat.core.replica import replica_read
from amanat.core.templatetags.persian import jdate, localize_digits
from amanat.elections.models import Election
from amanat.elections.selectors import election_for_request
from amanat.geo.models import AdminUnit, Kind
from amanat.incidents import selectors as incident_selectors
from amanat.lib.limits import parse_id
from amanat.lib.persian import to_ascii_digits
from amanat.operations import selectors, services, watch_selectors
from amanat.operations.forms import CheckinForm, DayForm, StationSearchForm
from amanat.operations.models import Checkin, CheckinState, Source, Window
from amanat.stations.models import Station

# The page asks for fresh figures this often (the brief: at least every 30 s).
REFRESH_SECONDS = 20
JSON_COMPACT = {"separators": (",", ":"), "ensure_ascii": False}


def _require_view(request: HttpRequest) -> None:
    if not access.can(request.user, policy.VIEW, selectors.CHECKIN, None):
        raise Http404("not found")


def _election(request: HttpRequest) -> Election:
    return election_for_request(request, required=True)


def _focus(request: HttpRequest, unit_id: int | None) -> AdminUnit:
    if unit_id is None:
        return selectors.home_unit(request.user)
    return selectors.get_dashboard_unit_for_user(request.user, unit_id)


def _breadcrumbs(request: HttpRequest, unit: AdminUnit) -> list[AdminUnit]:
    """The unit's dashboard ancestors the user may also watch, outermost first."""
    segments = unit.path.strip("/").split("/")
    prefixes = ["/".join(segments[:i]) + "/" for i in range(1, len(segments))]
    ancestors = AdminUnit.objects.filter(path__in=prefixes,
                                         kind__in=selectors.DASHBOARD_KINDS).order_by("depth")
    return [a for a in ancestors if access.can(request.user, policy.VIEW, selectors.CHECKIN, a)]


def _refresh_seconds(request: HttpRequest) -> int:
    """``?refresh=`` seconds (2 to 30; the training room and the tests), 20 otherwise."""
    raw = to_ascii_digits(request.GET.get("refresh", "").strip())
    # ASCII digits only: "²" is a digit to str.isdigit but not to int().
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 4:
        return REFRESH_SECONDS
    return min(30, max(2, int(raw)))


@require_GET
@replica_read
def dashboard(request: HttpRequest, unit_id: int | None = None) -> HttpResponse:
    _require_view(request)
    election = _election(request)
    unit = _focus(request, unit_id)
    data = _with_time_shown(selectors.dashboard(election, unit, now=_data_time(request)))
    query = f"?election={election.slug}"
    return render(request, "operations/dashboard.html", {
        "election": election, "unit": unit, "data": data,
        "breadcrumbs": _breadcrumbs(request, unit),
        "data_url": reverse("operations:dashboard_data", args=[unit.pk]) + query,
        "refresh_seconds": _refresh_seconds(request),
        "map_config": {"focus": unit.pk if unit.kind != Kind.COUNTRY else None,
                       "level": data["level"]},
        "query": query,
        "can_windows": access.can_nationally(request.user, policy.CHANGE, selectors.WINDOW),
        # The tables against the audit log: its page is the national administrators' and
        # the auditors' (user review 3, usr16c: it was reachable by typing its address only).
        "can_verify": access.can_nationally(request.user, policy.VIEW, "operations.verify"),
        # The incidents figure links to the alerts only for those who may read them (an
        # inspector sees the dashboard, not the alerts).
        "can_alerts": access.can(request.user, policy.VIEW, watch_selectors.ALERT, None),
        "search_form": _search_form(election),
    })


@require_GET
@replica_read
def dashboard_data(request: HttpRequest, unit_id: int) -> JsonResponse:
    """The dashboard's figures as JSON, polled by the page."""
    _require_view(request)
    election = _election(request)
    unit = selectors.get_dashboard_unit_for_user(request.user, unit_id)
    data = _with_time_shown(selectors.dashboard(election, unit, now=_data_time(request)))
    data["replica_lag_shown"] = _replica_lag_shown(request)
    return JsonResponse(data, json_dumps_params=JSON_COMPACT)


# The election-day dashboard is the page every county and province keeps open and polls:
# read from the replica when one is configured (issue 19; user review 2 of the national
# layout, finding 5). Its figures are judged against a moment (a station unheard for the
# silence threshold is silent): on a replica that moment is now less the replica's lag,
# the newest time its data is sure to cover, so a station is never called silent for a
# check-in the replica has not replayed yet, and the page's "updated" time is the data's.

def _data_time(request: HttpRequest) -> datetime.datetime | None:
    lag = getattr(request, "amanat_replica_lag", None)
    return timezone.now() - datetime.timedelta(seconds=lag) if lag else None


def _replica_lag_shown(request: HttpRequest) -> str | None:
    """The page's staleness line after a poll (the base template's words), or None when
    the poll was read from the primary."""
    lag = getattr(request, "amanat_replica_lag", None)
    if lag is None:
        return None
    return _("Figures as of %(seconds)s s ago") % {"seconds": localize_digits(f"{lag:.0f}")}


def _with_time_shown(data: dict[str, Any]) -> dict[str, Any]:
    """The data's own time (``at``) as the page shows it: Tehran time, Jalali date, the
    reader's digits («۱۴۰۵/۰۳/۲۲ ۰۰:۵۵:۱۲»), the same on load and after every poll
    (user review 2026-12, F5: the page showed UTC on load, the browser's clock after)."""
    moment = timezone.localtime(datetime.datetime.fromisoformat(data["at"]))
    data["at_shown"] = jdate(moment) + " " + localize_digits(moment.strftime("%H:%M:%S"))
    return data


# -- a station's day and the web check-in --------------------------------------------

@require_GET
def station_day(request: HttpRequest, station_id: int) -> HttpResponse:
    station = selectors.get_station_for_user(request.user, station_id)
    election = station.election
    found = selectors.station_day(election, station)
    can_checkin = access.can(request.user, policy.CREATE, selectors.CHECKIN,
                             station.unit or station.county)
    return render(request, "operations/station_day.html", {
        "station": station, "election": election, **found,
        "alerts": watch_selectors.station_alerts_for_user(request.user, election, station),
        "can_checkin": can_checkin,
        "open_windows": (selectors.open_windows_for_station(election, station)
                         if can_checkin else []),
        "county": station.county,
        "search_form": _search_form(election),
    })


@require_http_methods(["GET", "POST"])
def checkin_new(request: HttpRequest, station_id: int) -> HttpResponse:
    station = selectors.get_station_for_user(request.user, station_id, action=policy.CREATE)
    election = station.election
    windows = selectors.open_windows_for_station(election, station)
    if request.method == "POST":
        # The window chosen stays chosen when it closed while the form was filled in:
        # the refusal says when it was open (not another window selected instead).
        posted = selectors.window_of(election, parse_id(request.POST.get("window", "")))
        if posted is not None and posted.pk not in {w.pk for w in windows}:
            windows = [*windows, posted]
    form = CheckinForm(request.POST or None, windows=windows, incident_codes=[
        (category.sms_code, category.name)
        for category in incident_selectors.active_categories() if category.sms_code])
    if request.method == "POST" and form.is_valid():
        window = form.chosen_window()
        key = form.cleaned_data.get("client_key")
        client_key = f"web:{request.user.pk}:{key}" if key else None
        stored = selectors.checkin_by_key(client_key) if client_key else None
        if stored is not None and _same_checkin(stored, station, window, form.values()):
            # The same form posted again: one check-in.
            messages.info(request, _("This check-in was recorded already (number %(number)s); "
                                     "it was not recorded again.") % {"number": stored.pk})
            return redirect("operations:station_day", station_id=station.pk)
        if stored is not None:
            # Its key with other figures (the form brought back and changed): not taken
            # for the first, nor recorded unseen; a new key to send it with (attack
            # review 2 F5).
            data = request.POST.copy()
            data["client_key"] = uuid.uuid4().hex
            form = CheckinForm(data, windows=windows, incident_codes=form.incident_codes)
            form.is_valid()
            form.add_error(None, RuleError(
                gettext_lazy("This form was sent already with other figures (number "
                             "%(number)s): check the figures and send it again."),
                code="key_reused", number=stored.pk).message)
            return render(request, "operations/checkin_form.html", {
                "station": station, "election": election, "form": form, "windows": windows,
            })
        try:
            services.window_check(window, window.code, timezone.now())
            received = services.checkin_record(station=station, window=window,
                                               values=form.values(), source=Source.WEB,
                                               actor=request.user, client_key=client_key)
        except RuleError as error:
            for one in getattr(error, "errors", [error]):
                field = one.field if one.field in form.fields else None
                form.add_error(field, one.message)
        else:
            _checkin_confirm(request, received.checkin)
            if received.superseded:
                # The reporter's own held figure, replaced by this one (user review 2, F16).
                messages.info(request, ngettext(
                    "It replaces your held check-in number %(numbers)s, which needs no "
                    "decision any more.",
                    "It replaces your held check-ins numbers %(numbers)s, which need no "
                    "decision any more.", len(received.superseded)) % {
                    "numbers": localize_digits("، ".join(str(pk) for pk in received.superseded))})
            return redirect("operations:station_day", station_id=station.pk)
    return render(request, "operations/checkin_form.html", {
        "station": station, "election": election, "form": form, "windows": windows,
    })


def _same_checkin(stored: Checkin, station: Station, window: Window,
                  values: services.Values) -> bool:
    """Whether a form posted again says what the check-in stored under its key says."""
    try:
        incidents = services.incident_codes(values.incidents)
    except RuleError:
        return False
    return (stored.station_id, stored.window_id, stored.staff, stored.materials,
            stored.cameras, stored.network, stored.voters, stored.total, stored.incidents,
            stored.note) == (
        station.pk, window.pk, dict(values.staff), values.materials, values.cameras,
        values.network, values.voters, values.total, incidents, values.note.strip())


def _checkin_confirm(request: HttpRequest, checkin: Checkin) -> None:
    """Recorded, or recorded and held for review with the rules that held it (its
    figures are not published until a person verifies them)."""
    if checkin.state == CheckinState.QUARANTINED:
        messages.warning(request, _(
            "The check-in was recorded as number %(number)s but is held for review: %(rules)s. "
            "Its figures are not published until a person verifies them; if you made a "
            "typing error, file it again with the right figure.") % {
            "number": checkin.pk, "rules": "، ".join(selectors.checkin_rule_names(checkin))})
    else:
        messages.success(request, _("The check-in was recorded."))


# -- the windows and the day's settings ----------------------------------------------

@require_GET
def windows(request: HttpRequest) -> HttpResponse:
    """The election's windows and the day's settings: every role reads them."""
    if not access.can(request.user, policy.VIEW, selectors.WINDOW, None):
        raise Http404("not found")
    election = _election(request)
    found = selectors.windows(election)
    can_change = access.can_nationally(request.user, policy.CHANGE, selectors.WINDOW)
    return render(request, "operations/windows.html", {
        "election": election, "windows": found,
        "settings": selectors.day_settings(election) if found else None,
        "can_change": can_change, "now": timezone.now(),
        "simulated": can_change and selectors.day_before_simulation(election) is not None,
    })


@require_http_methods(["GET", "POST"])
def windows_edit(request: HttpRequest) -> HttpResponse:
    """National administrators change the windows' times and the day's settings, or
    create the default windows for an election that has none."""
    if not access.can_nationally(request.user, policy.CHANGE, selectors.WINDOW):
        if request.method == "POST":
            access.access_denied_record(user=request.user, model_label=selectors.WINDOW,
                                        pk=request.GET.get("election", ""), action=policy.CHANGE)
        raise Http404("not found")
    election = _election(request)
    back = reverse("operations:windows") + f"?election={election.slug}"
    found = selectors.windows(election)
    if not found:
        if request.method == "POST" and "create" in request.POST:
            services.windows_default_create(election=election, actor=request.user)
            messages.success(request, _("The default windows were created."))
            return redirect(back)
        return render(request, "operations/windows_edit.html", {
            "election": election, "form": None, "back": back})
    if request.method == "POST" and "restore" in request.POST:
        try:
            services.windows_restore(election=election, actor=request.user)
        except RuleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The windows are back on the real day."))
        return redirect(back)
    settings = selectors.day_settings(election)
    initial: dict[str, Any] = {
        "silent_after_minutes": settings.silent_after_minutes,
        "escalate_after_minutes": settings.escalate_after_minutes}
    for window in found:
        initial[f"w{window.pk}_opens"] = timezone.localtime(window.opens_at).time()
        initial[f"w{window.pk}_closes"] = timezone.localtime(window.closes_at).time()
    form = DayForm(request.POST or None, windows=found, initial=initial)
    # On a simulated day the form's times are the compressed ones: saving them would
    # move the windows onto the election's date and lose the real day (user review 2,
    # F1). The service refuses; the page says why and offers the restore.
    simulated = selectors.day_before_simulation(election) is not None
    moved: list[services.WindowMove] = []
    if (request.method == "POST" and form.is_valid() and not simulated
            and "confirm" not in request.POST):
        # A window open now that the new times move (or close): said, and saved only
        # when confirmed (user review 2026-12, F24).
        moved = services.windows_open_moved(election, form.times(), timezone.now())
    if request.method == "POST" and form.is_valid() and not moved:
        try:
            services.windows_update(
                election=election, times=form.times(),
                silent_after_minutes=form.cleaned_data["silent_after_minutes"],
                escalate_after_minutes=form.cleaned_data["escalate_after_minutes"],
                actor=request.user)
        except RuleError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The windows and settings were saved."))
            return redirect(back)
    return render(request, "operations/windows_edit.html", {
        "election": election, "form": form, "back": back, "moved": moved,
        "simulated": simulated})


# -- the station search (user review 2026-12, F25) ---------------------------------

# At most this many stations are listed; a longer list asks for more of the code or name.
SEARCH_LIMIT = 30


def _search_form(election: Election) -> StationSearchForm:
    return StationSearchForm(initial={"election": election.slug})


@require_GET
def station_search(request: HttpRequest) -> HttpResponse:
    """A station of the election in the user's election-day scope, by its code or a part
    of its name: straight to its day when one station answers (its code exactly, or the
    only match), a short list otherwise.  Stations outside the scope are never listed."""
    _require_view(request)
    election = _election(request)
    form = StationSearchForm(request.GET or None, initial={"election": election.slug})
    text = form.cleaned_data.get("q", "") if form.is_valid() else ""
    found: list[Station] = []
    more = False
    if text:
        found, more = selectors.station_search(request.user, election, text, SEARCH_LIMIT)
        if len(found) == 1 and not more:
            return redirect("operations:station_day", station_id=found[0].pk)
    return render(request, "operations/station_search.html", {
        "election": election, "search_form": form, "searched": bool(text),
        "found": found, "more": more,
    })
