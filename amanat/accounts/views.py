"""Sign-in, second factor, profile, membership management.

The API token page (tokens bound to stations) is ``stations.token_views``.
"""

from __future__ import annotations

import base64

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import set_language
from django_otp import login as otp_login
from django_otp.models import Device

from amanat.accounts import access, lockout, policy, services
from amanat.accounts.forms import AlertContactForm, MembershipGrantForm, TokenForm
from amanat.accounts.middleware import (
    must_verify,
    second_factor_not_required,
    second_factor_not_required_until_enrolled,
)
from amanat.accounts.models import Membership, Profile
from amanat.core.errors import RuleError
from amanat.lib.qr import qr_data_uri


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_success_url(self) -> str:
        """Where the password sends the user, through the second factor when their
        session still needs it: the home and the other public pages show a session that
        has not passed TOTP as signed out, so sending it there looked like a failed
        sign-in, and the page's sign-in link came back here and there again."""
        target = super().get_success_url()
        user = self.request.user
        if not must_verify(user) or _is_verified(user):
            return target
        step = "accounts_otp_verify" if services.user_has_totp(user) else "accounts_otp_enrol"  # type: ignore[arg-type]
        return reverse(step) + "?" + urlencode({"next": target})


def _is_verified(user: object) -> bool:
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


login_view = second_factor_not_required(LoginView.as_view())
logout_view = second_factor_not_required(
    auth_views.LogoutView.as_view(next_page="login")
)


def _next_url(request: HttpRequest, default: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or default
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- second factor -------------------------------------------------------------------


# The secret this session is enrolling, until a code from it is confirmed: kept here,
# not in the database, so that showing the enrolment page writes nothing.
PENDING_SECRET = "_amanat_totp_pending_key"  # noqa: S105 - a session key's name


def _verified_device(request: HttpRequest) -> Device | None:
    """The device this session passed TOTP with, or None."""
    user = request.user
    if user.is_authenticated and user.is_verified():  # type: ignore[attr-defined]
        device: Device | None = getattr(user, "otp_device", None)
        return device
    return None


def _to_verification(request: HttpRequest) -> HttpResponse:
    response = redirect("accounts_otp_verify")
    response["Location"] += "?" + urlencode({"next": request.get_full_path()})
    return response


@second_factor_not_required_until_enrolled
@require_http_methods(["GET", "POST"])
def otp_enrol(request: HttpRequest) -> HttpResponse:
    """Set up (or, from a verified session, replace) the authenticator.

    The middleware lets an unverified session in only while the user has no confirmed
    device; the check here holds for users the middleware does not ask (no role needs
    it), and the service checks again under its transaction.
    """
    user: User = request.user  # type: ignore[assignment]
    verified_with = _verified_device(request)
    if verified_with is None and services.user_has_totp(user):
        return _to_verification(request)
    try:
        device = services.totp_enrolment_start(
            user=user, verified_with=verified_with,
            pending_key=request.session.get(PENDING_SECRET),
        )
    except PermissionDenied:
        return _to_verification(request)
    if request.session.get(PENDING_SECRET) != device.key:
        request.session[PENDING_SECRET] = device.key
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirmed = services.totp_enrolment_confirm(
                user=user, key=device.key, token=form.cleaned_data["token"],
                verified_with=verified_with,
            )
        except PermissionDenied:
            return _to_verification(request)
        if confirmed is not None:
            del request.session[PENDING_SECRET]
            _second_factor_passed(request, confirmed)
            messages.success(request, _("Two-step sign-in is on."))
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid. Try the next one."))
    context = {
        "form": form,
        "qr": qr_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode(),
        "next": _next_url(request),
        "replacing": verified_with is not None,
    }
    return render(request, "accounts/otp_enrol.html", context)


def _second_factor_passed(request: HttpRequest, device: Device) -> None:
    """Mark the session verified under a new session key: a session id planted in the
    browser before the code was typed must not become a verified session."""
    request.session.cycle_key()
    otp_login(request, device)


@second_factor_not_required
@require_http_methods(["GET", "POST"])
def otp_verify(request: HttpRequest) -> HttpResponse:
    if not services.user_has_totp(request.user):  # type: ignore[arg-type]
        return redirect("accounts_otp_enrol")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(user=request.user, token=form.cleaned_data["token"],  # type: ignore[arg-type]
                                      request=request)
        if device is not None:
            _second_factor_passed(request, device)
            return redirect(_next_url(request))
        form.add_error("token", _("The code is not valid."))
    return render(request, "accounts/otp_verify.html", {"form": form, "next": _next_url(request)})


@require_POST
def otp_reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A national administrator removes another user's authenticator (a lost phone)."""
    target = access.get_user_for_totp_reset(request.user, user_id)
    if _verified_device(request) is None:
        # The middleware already asks national roles for TOTP; this act never runs on a
        # password alone, whatever the roles' rules become.
        raise Http404("not found")
    try:
        removed = services.totp_reset(user=target, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        if removed:
            messages.success(request, _("Two-step sign-in of %(user)s was reset; their "
                                        "sessions were ended.") % {"user": target.username})
        else:
            messages.info(request, _("%(user)s had no authenticator.")
                          % {"user": target.username})
    return redirect(_next_url(request, default=reverse("accounts_memberships")))


# --- password ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Change one's own password: the current one, Django's validators, other sessions
    end (this one stays)."""
    user: User = request.user  # type: ignore[assignment]
    form = PasswordChangeForm(user, request.POST or None)
    if request.method == "POST":
        # Guessing the current password is guessing at sign-in: the same lockout, asked
        # before the password is checked.
        refused = lockout.password_check_refused(request, user)
        if refused is not None:
            return refused
        if form.is_valid():
            services.user_password_change(
                user=user, password=form.cleaned_data["new_password1"],
                keep_session=request.session.session_key,
            )
            update_session_auth_hash(request, user)  # keeps this session, with a new key
            messages.success(request, _("Your password was changed. Your other sessions "
                                        "were signed out."))
            return redirect("accounts_profile")
        if form.has_error("old_password", "password_incorrect"):
            lockout.password_check_failed(request, user)
    return render(request, "accounts/password_change.html", {"form": form})


# --- profile ----------------------------------------------------------


def _profile_context(request: HttpRequest) -> dict[str, object]:
    user = request.user
    return {
        "memberships": access.user_memberships(user),
        "has_totp": services.user_has_totp(user),  # type: ignore[arg-type]
        "needs_totp": access.needs_second_factor(user),
        "can_manage": access.can(user, policy.VIEW, "accounts.membership", None),
    }


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    current = Profile.objects.filter(user_id=user.pk or 0).values_list("mobile", flat=True).first()
    form = AlertContactForm(request.POST or None, initial={"mobile": current or ""})
    if request.method == "POST" and form.is_valid():
        try:
            services.profile_mobile_set(actor=user,  # type: ignore[arg-type]
                                        mobile=form.cleaned_data["mobile"])
        except RuleError as error:
            form.add_error("mobile", error.message)
        else:
            messages.info(request, _("Your mobile number for alerts was saved."))
            return redirect("accounts_profile")
    return render(request, "accounts/profile.html", {**_profile_context(request),
                                                     "contact_form": form},
                  status=400 if form.errors else 200)


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
    can_reset_totp = (
        membership.user_id != request.user.pk
        and access.can_nationally(request.user, policy.DELETE, services.TOTP_DEVICE)
    )
    context = {
        "membership": membership,
        "can_revoke": can_revoke,
        "can_reset_totp": can_reset_totp,
        "user_has_totp": services.user_has_totp(membership.user),
    }
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



@login_not_required
def language_switch(request: HttpRequest) -> HttpResponseBase:
    """Django's language switch, and the choice kept: in the session (so it holds over
    sign-in) and, for a signed-in user, on their profile (so it follows them)."""
    response = set_language(request)
    language = request.POST.get("language", "") if request.method == "POST" else ""
    if language in dict(settings.LANGUAGES):
        request.session[services.LANGUAGE_SESSION_KEY] = language
        if request.user.is_authenticated:
            services.profile_language_set(actor=request.user, language=language)
    return response
