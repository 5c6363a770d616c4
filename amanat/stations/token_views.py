"""API tokens of field devices, bound to polling stations: the page the profile links to.

The token itself belongs to accounts (issue, revoke, authenticate); the binding to
stations belongs here (``stations.TokenStation``), so accounts knows nothing of stations.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.models import User
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amanat.accounts import access
from amanat.accounts import services as accounts_services
from amanat.accounts.models import ApiToken
from amanat.stations.forms import ApiTokenIssueForm
from amanat.stations.models import TokenStation
from amanat.stations.services import station_token_issue


def _context(request: HttpRequest) -> dict[str, object]:
    user: User = request.user  # type: ignore[assignment]  # signed in (the middleware)
    bindings = TokenStation.objects.select_related("station", "station__county").order_by(
        "station__county__code", "station__code")
    return {
        # ``bound_kind``: a token issued bound and left with no station reaches none.
        "tokens": ApiToken.objects.filter(user=user).select_related("bound_kind").prefetch_related(
            Prefetch("station_bindings", bindings)),
        "token_form": ApiTokenIssueForm(user=user),
    }


@require_GET
def api_tokens(request: HttpRequest) -> HttpResponse:
    return render(request, "stations/api_tokens.html", _context(request))


@require_POST
def api_token_issue(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = ApiTokenIssueForm(request.POST, user=user)
    context = _context(request)
    if form.is_valid():
        token, plaintext = station_token_issue(
            user=user, name=form.cleaned_data["name"], ttl_days=form.cleaned_data["ttl_days"],
            stations=form.cleaned_data["stations"], actor=user,
        )
        # Shown once, in this response only; the database keeps the digest.
        context.update(new_token=token, plaintext=plaintext)
    else:
        context["token_form"] = form
    # Shown once: like every signed-in answer, ``private, no-store`` (PrivatePagesMiddleware).
    return render(request, "stations/api_tokens.html", context)


@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = access.get_api_token_for_user(request.user, token_id)
    accounts_services.api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token was revoked."))
    return redirect("stations:api_tokens")
