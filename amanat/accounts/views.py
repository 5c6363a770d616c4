"""Sign-in, second factor, profile with API tokens, membership management."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login

from amanat.accounts import access, policy, services
from amanat.accounts.forms import ApiTokenIssueForm, MembershipGrantForm, TokenForm
from amanat.accounts.middleware import second_factor_not_required
from amanat.accounts.models import ApiToken, Membership
from amanat.stations.models import Station


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


login_view = second_factor_not_required(LoginView.as_view())
logout_view = second_factor_not_required(
    auth_views.LogoutView.as_view(next_page="login")
)


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


# --- second factor -------------------------------------------------------------------


def _qr_data_uri(text: str) -> str:
    """An inline SVG QR code as a data: URI (the CSP allows data: images, no scripts)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    device = services.totp_enrolment_start(user=request.user)  # type: ignore[arg-type]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        if services.totp_enrolment_confirm(user=request.user, device=device, token=token):  # type: ignore[arg-type]
            otp_login(request, device)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid. Try the next one."))
    context = {
        "form": form,
        "qr": _qr_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next_url(request),
    }
    return render(request, "accounts/otp_enrol.html", context)


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not services.user_has_totp(request.user):  # type: ignore[arg-type]
        return redirect("accounts_otp_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(user=request.user, token=form.cleaned_data["token"])  # type: ignore[arg-type]
        if device is not None:
            otp_login(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


# --- profile and API tokens ----------------------------------------------------------


def _profile_context(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "memberships": access.user_memberships(user),
        "has_totp": services.user_has_totp(user),  # type: ignore[arg-type]
        "needs_totp": access.needs_second_factor(user),
        "tokens": ApiToken.objects.filter(user=user).prefetch_related(  # type: ignore[misc]
            Prefetch("stations", Station.objects.select_related("county").order_by(
                "county__code", "code"))
        ),
        "token_form": ApiTokenIssueForm(user=user),
        "can_manage": access.can(user, policy.VIEW, "accounts.membership", None),
    }


def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request))


@require_POST
def token_issue(request: HttpRequest) -> HttpResponse:
    form = ApiTokenIssueForm(request.POST, user=request.user)
    context = _profile_context(request)
    if form.is_valid():
        token, plaintext = services.api_token_issue(
            user=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            ttl_days=form.cleaned_data["ttl_days"],
            stations=form.cleaned_data["stations"],
            actor=request.user,  # type: ignore[arg-type]
        )
        # Shown once, in this response only; the database keeps the digest.
        context.update(new_token=token, plaintext=plaintext)
    else:
        context["token_form"] = form
    response = render(request, "accounts/profile.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = access.get_api_token_for_user(request.user, token_id)
    services.api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, _("The token was revoked."))
    return redirect("accounts_profile")


# --- memberships ---------------------------------------------------------------------


def _require_membership_access(request: HttpRequest) -> None:
    if not access.can(request.user, policy.VIEW, "accounts.membership", None):
        raise Http404("not found")


def membership_list(request: HttpRequest) -> HttpResponse:
    _require_membership_access(request)
    memberships = access.scope_queryset(
        request.user, Membership.objects.active(), action=policy.VIEW
    ).select_related("user", "unit", "agency")[:500]
    form = None
    if access.can(request.user, policy.CREATE, "accounts.membership", None):
        form = MembershipGrantForm(actor=request.user)  # type: ignore[arg-type]
    context = {"memberships": memberships, "form": form}
    return render(request, "accounts/membership_list.html", context)


def membership_detail(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access.get_membership_for_user(request.user, membership_id)
    can_revoke = membership.active and access.can(
        request.user, policy.DELETE, "accounts.membership", membership.unit
    )
    context = {"membership": membership, "can_revoke": can_revoke}
    return render(request, "accounts/membership_detail.html", context)


@require_POST
def membership_grant(request: HttpRequest) -> HttpResponse:
    if not access.can(request.user, policy.CREATE, "accounts.membership", None):
        raise Http404("not found")
    form = MembershipGrantForm(request.POST, actor=request.user)  # type: ignore[arg-type]
    if form.is_valid():
        try:
            membership = services.membership_grant(
                actor=request.user,  # type: ignore[arg-type]
                user=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
                unit=form.cleaned_data["unit"],
                agency=form.cleaned_data["agency"],
            )
        except (PermissionDenied, ValidationError) as error:
            message = error.messages[0] if isinstance(error, ValidationError) else str(error)
            form.add_error(None, message)
        else:
            messages.success(request, _("The role was granted."))
            return redirect("accounts_membership", membership_id=membership.pk)
    memberships = access.scope_queryset(
        request.user, Membership.objects.active(), action=policy.VIEW
    ).select_related("user", "unit", "agency")[:500]
    return render(
        request, "accounts/membership_list.html", {"memberships": memberships, "form": form},
        status=400,
    )


@require_POST
def membership_revoke(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = access.get_object_for_user(
        request.user, Membership, membership_id, action=policy.DELETE
    )
    services.membership_revoke(actor=request.user, membership=membership)  # type: ignore[arg-type]
    messages.success(request, _("The membership was revoked."))
    return redirect("accounts_membership", membership_id=membership.pk)

