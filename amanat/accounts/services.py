"""Writes for accounts: memberships, API tokens, second factor, sign-in events.

Every function that changes state runs in one transaction and records an audit event
through ``audit_record``.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.models import Device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key, key_validator

from amanat.accounts import access, policy
from amanat.accounts.access import access_denied_record
from amanat.accounts.models import (
    MEMBERSHIP_UNIT_KINDS,
    Agency,
    ApiToken,
    FailureWindow,
    Membership,
    Profile,
    Role,
)
from amanat.audit.services import audit_record
from amanat.core.clientaddr import client_address, client_limit_address
from amanat.core.errors import RuleError
from amanat.core.identity import mobile_checked
from amanat.geo.models import AdminUnit

logger = logging.getLogger("amanat.accounts")

AnyUser = User | AnonymousUser

TOKEN_PREFIX = "amt_"  # noqa: S105 - a marker that makes leaked tokens greppable
MAX_TOKEN_TTL_DAYS = 365
# The policy entry for second-factor devices (a reset is deleting them).
TOTP_DEVICE = "otp_totp.totpdevice"



# --- access and sign-in events -------------------------------------------------------


def _client_ip(request: HttpRequest | None) -> str:
    return client_address(request) if request is not None else ""


# The session's copy of the profile's language (amanat.accounts.middleware reads it).
LANGUAGE_SESSION_KEY = "amanat_language"


def sign_in_record(*, user: User, request: HttpRequest | None) -> None:
    audit_record(action="auth.sign_in", actor=user, extra={"ip": _client_ip(request)})
    if request is not None and hasattr(request, "session"):
        # The language the user chose once follows them to every computer they sign
        # in on (read here once, so pages cost no query for it).
        language = Profile.objects.filter(user=user).values_list("language", flat=True).first()
        if language:
            request.session[LANGUAGE_SESSION_KEY] = language
    # A quiet moment to write the counts of failure windows that have closed.
    failure_windows_close()


def sign_in_failed_record(*, username: str, request: HttpRequest | None) -> None:
    # The password never reaches the log; the username is what was typed.  Counted,
    # not one event per failure: anyone can fail to sign in, as often as they like.
    failure_record(
        action=SIGN_IN_FAILED, username=username, ip=_client_ip(request),
        address=client_limit_address(request) if request is not None else "",
    )


def password_check_failed_record(*, user: User, request: HttpRequest) -> None:
    """A wrong current password on the password page (lockout.password_check_failed):
    counted per window like failed sign-ins, never one event per failure."""
    failure_record(
        action=PASSWORD_CHECK_FAILED, username=user.get_username(), ip=_client_ip(request),
        address=client_limit_address(request), actor=user,
    )


# --- failed attempts in the audit log ------------------------------------------------

SIGN_IN_FAILED = "auth.sign_in_failed"
PASSWORD_CHECK_FAILED = "auth.password_check_failed"  # noqa: S105 - an audit action
REPEATED_SUFFIX = "_repeated"


def _window_start(now: datetime.datetime, window: timedelta) -> datetime.datetime:
    seconds = int(window.total_seconds())
    epoch = int(now.timestamp())
    return datetime.datetime.fromtimestamp(epoch - epoch % seconds, tz=datetime.UTC)


def _failure_key(*, action: str, username: str, address: str,
                 start: datetime.datetime) -> tuple[str, str]:
    """The (username, address) a failure is counted under: its own, or, once the window
    holds as many keys as the caps allow, the address's shared count (empty username)
    or everyone's (both empty).  This is the rate limit in front of the audit log."""
    rows = FailureWindow.objects.filter(action=action, window_start=start)
    if rows.filter(username=username, address=address).exists():
        return username, address
    if rows.count() >= int(settings.AMANAT_FAILURE_AUDIT_PER_WINDOW):
        return "", ""
    if rows.filter(address=address).count() >= int(settings.AMANAT_FAILURE_AUDIT_PER_ADDRESS):
        return "", address
    return username, address


def _failure_count(*, action: str, username: str, address: str,
                   start: datetime.datetime) -> bool:
    """Add one to the window's count; True if this was its first failure."""
    row = FailureWindow.objects.filter(
        action=action, username=username, address=address, window_start=start
    )
    if row.update(count=F("count") + 1):
        return False
    try:
        with transaction.atomic():
            FailureWindow.objects.create(
                action=action, username=username, address=address, window_start=start
            )
    except IntegrityError:  # a concurrent first failure created it
        row.update(count=F("count") + 1)
        return False
    return True


@transaction.atomic
def failure_record(*, action: str, username: str, ip: str, address: str,
                   actor: User | None = None, now: datetime.datetime | None = None) -> None:
    """Record one failed attempt by ``username`` from ``ip`` without writing an audit
    event for each: the first of its key in the window is one, the rest are counted
    and summed up when the window has closed (``failure_windows_close``).

    ``address`` is what the counts key on: the client's limit address (an IPv6 client's
    /64, which is also what the summary names); ``ip`` is recorded in the first event,
    and ``actor`` (a user who got as far as the second factor) in the first event too.
    """
    now = now or timezone.now()
    username, address = username[:150], address[:64]  # the columns' lengths
    failure_windows_close(now=now)
    start = _window_start(now, settings.AMANAT_FAILURE_AUDIT_WINDOW)
    key = _failure_key(action=action, username=username, address=address, start=start)
    if not _failure_count(action=action, username=key[0], address=key[1], start=start):
        return
    extra: dict[str, Any] = {"ip": ip}
    if key != (username, address):
        # From here on this window's failures are counted together: say so.
        extra["counted_together"] = "address" if key[1] else "all"
    audit_record(action=action, actor=actor, actor_name=username, extra=extra)


def failure_windows_close(*, now: datetime.datetime | None = None) -> int:
    """Write one ``<action>_repeated`` event for each closed window that counted more
    than its first failure, and drop the closed windows; returns the events written.

    Runs at the next failure, the next sign-in and ``amanat prune``.  Each row is taken
    by deleting it, so two processes closing at once never write a summary twice.
    """
    now = now or timezone.now()
    window = settings.AMANAT_FAILURE_AUDIT_WINDOW
    written = 0
    closed = FailureWindow.objects.filter(window_start__lte=now - window)
    for row in closed.order_by("window_start", "pk"):
        with transaction.atomic():
            deleted, _ = FailureWindow.objects.filter(pk=row.pk).delete()
            if not deleted or row.count < 2:
                continue
            audit_record(
                action=row.action + REPEATED_SUFFIX,
                actor_name=row.username or None,
                extra={
                    "ip": row.address or None,
                    "failures": row.count,
                    "window_start": row.window_start.isoformat(),
                    "window_end": (row.window_start + window).isoformat(),
                },
            )
            written += 1
    return written


def profile_language_set(*, actor: User, language: str) -> Profile:
    """Remember ``language`` (a code of ``settings.LANGUAGES``) on the user's profile."""
    if language not in dict(settings.LANGUAGES):
        raise RuleError(gettext_lazy("Unknown language %(language)s."), code="language",
                        field="language", language=language)
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=actor)
        if profile.language != language:
            audit_record(action="profile.language", actor=actor, object_type="accounts.profile",
                         object_id=profile.pk, before={"language": profile.language},
                         after={"language": language})
            profile.language = language
            profile.save(update_fields=["language"])
    return profile


def _on_logged_in(sender: Any, request: HttpRequest, user: User, **kw: Any) -> None:
    sign_in_record(user=user, request=request)


def _on_login_failed(sender: Any, credentials: dict[str, Any], **kw: Any) -> None:
    sign_in_failed_record(
        username=str(credentials.get("username", "")), request=kw.get("request")
    )


def connect_auth_signals() -> None:
    """Framework sign-in events go to the audit log (the only signals this app uses)."""
    user_logged_in.connect(_on_logged_in, dispatch_uid="amanat.accounts.logged_in")
    user_login_failed.connect(_on_login_failed, dispatch_uid="amanat.accounts.login_failed")


# --- memberships ---------------------------------------------------------------------


def _membership_snapshot(m: Membership) -> dict[str, Any]:
    return {
        "user": m.user_id,
        "role": m.role,
        "unit": m.unit_id,
        "agency": m.agency_id,
        "active": m.active,
    }


def _refuse(*, user: User, model_label: str, pk: Any, action: str, message: str) -> None:
    """Record a refused attempt and raise PermissionDenied.

    Called before the write's transaction opens, never inside it: the refusal rolls
    that transaction back, and the record of it with it (the newer services do the
    same, e.g. ``_totp_replace_check``).
    """
    access_denied_record(user=user, model_label=model_label, pk=pk, action=action)
    raise PermissionDenied(message)


def membership_grant(
    *,
    actor: User,
    user: User,
    role: str,
    unit: AdminUnit,
    agency: Agency | None = None,
) -> Membership:
    """Give ``user`` ``role`` at ``unit``; the actor must manage that unit and role."""
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if unit.kind not in MEMBERSHIP_UNIT_KINDS:
        raise ValidationError(_("Roles are held at the country, a province or a county."))
    if role not in access.grantable_roles(actor, unit):
        _refuse(user=actor, model_label="accounts.membership", pk=None, action=policy.CREATE,
                message=_("You may not grant this role at this unit."))
    if user.pk == actor.pk:
        # Separation of duties: nobody widens their own powers; another manager must.
        _refuse(user=actor, model_label="accounts.membership", pk=None, action=policy.CREATE,
                message=_("You may not grant a role to yourself; ask another administrator."))
    if role == Role.AGENCY_OFFICER and agency is None:
        raise ValidationError(_("An agency officer needs an agency."))
    with transaction.atomic():
        existing = Membership.objects.active().filter(
            user=user, role=role, unit=unit, agency=agency
        ).first()
        if existing is not None:
            return existing
        passed_second_factor = _second_factor_asked(user)
        membership = Membership.objects.create(
            user=user, role=role, unit=unit, agency=agency, created_by=actor
        )
        audit_record(
            action="membership.grant",
            actor=actor,
            unit=unit,
            obj=membership,
            after=_membership_snapshot(membership),
            extra=_tokens_end_with_new_second_factor(user, role, unit, passed_second_factor),
        )
    return membership


def _second_factor_asked(user: User) -> bool:
    """Whether the user's sign-ins already ask for the second factor (a national or
    provincial role, staff, or a device of their own): then every session that issued
    one of their API tokens passed it."""
    return (user.is_staff or user_has_totp(user)
            or Membership.objects.active().filter(
                access.second_factor_memberships(), user=user).exists())


def second_factor_asked(user: User) -> bool:
    """``_second_factor_asked``, for the admin's changes of memberships and staff."""
    return _second_factor_asked(User.objects.get(pk=user.pk))


@transaction.atomic
def tokens_end_if_second_factor_new(*, user: User, asked_before: bool, actor: User) -> int:
    """After a change made outside the grant services (the admin: a membership added or
    moved to a province, a board role, staff rights), end the user's API tokens if their
    sign-in asks for the second factor only now, as a grant does (auth review 2, F5).
    Returns how many were revoked; recorded when any were."""
    if asked_before or not second_factor_asked(user):
        return 0
    revoked = _user_tokens_revoke(user)
    if revoked:
        audit_record(action="api_token.revoke_all", actor=actor, object_type="auth.user",
                     object_id=str(user.pk),
                     extra={"tokens_revoked": revoked, "reason": "second_factor_required"})
    return revoked


def _tokens_end_with_new_second_factor(user: User, role: str, unit: AdminUnit,
                                       asked_before: bool) -> dict[str, int] | None:
    """A grant that makes the second factor required ends the user's API tokens.

    They were issued by a session that passed the password alone, and a token acts with
    every role its user holds now: kept, it would carry the national or provincial role
    the second factor protects without the factor ever being asked (attack review
    2026-12, docs/reviews/2026-12-attack-plans.md), or a board role at a county (auth
    review 2, F4: the same rule as sign-in's, ``access.second_factor_membership``). The
    user issues a new one after signing in with the factor. Returns the audit entry's
    extra, or None."""
    if asked_before or not access.second_factor_membership(role, unit.kind):
        return None
    return {"tokens_revoked": _user_tokens_revoke(user)}


def membership_revoke(*, actor: User, membership: Membership) -> Membership:
    """End a membership; the actor must be allowed to delete memberships at its unit."""
    if not access.can(actor, policy.DELETE, "accounts.membership", membership.unit):
        _refuse(user=actor, model_label="accounts.membership", pk=membership.pk,
                action=policy.DELETE, message=_("You may not revoke this membership."))
    with transaction.atomic():
        if not membership.active:
            return membership
        before = _membership_snapshot(membership)
        membership.active = False
        membership.save(update_fields=["active"])
        audit_record(
            action="membership.revoke",
            actor=actor,
            unit=membership.unit,
            obj=membership,
            before=before,
            after=_membership_snapshot(membership),
        )
    return membership


# --- users ---------------------------------------------------------------------------


def _user_sessions_end(user: User, *, keep: str | None = None) -> int:
    """Delete the database sessions of ``user`` but ``keep`` (a session key); one pass
    over live sessions."""
    ended = 0
    user_pk = str(user.pk)
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.session_key == keep:
            continue
        if session.get_decoded().get("_auth_user_id") == user_pk:
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, actor: User | None, user: User) -> None:
    """Disable a user: sign-in, sessions and tokens stop working at once."""
    user.is_active = False
    user.save(update_fields=["is_active"])
    _user_tokens_revoke(user)
    ended = _user_sessions_end(user)
    audit_record(
        action="user.deactivate",
        actor=actor,
        object_type="auth.user",
        object_id=str(user.pk),
        extra={"sessions_ended": ended},
    )


@transaction.atomic
def user_password_change(*, user: User, password: str, keep_session: str | None) -> int:
    """Set ``user``'s new password and end their other sessions (all but ``keep_session``).

    The caller (the view's form) has checked the current password and the validators.
    The audit entry names the user and how many sessions ended, never password material.
    """
    user.set_password(password)
    user.save(update_fields=["password"])
    ended = _user_sessions_end(user, keep=keep_session)
    revoked = _user_tokens_revoke(user)
    audit_record(
        action="user.password_change",
        actor=user,
        object_type="auth.user",
        object_id=str(user.pk),
        extra={"sessions_ended": ended, "tokens_revoked": revoked},
    )
    return ended


def _user_tokens_revoke(user: User) -> int:
    """Revoke the user's API tokens: a password changed or a second factor reset (a
    suspected compromise) must not leave a token issued from a stolen session working."""
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now())


# --- API tokens ----------------------------------------------------------------------


def api_token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@transaction.atomic
def api_token_issue(
    *, user: User, name: str, ttl_days: int, actor: User
) -> tuple[ApiToken, str]:
    """Create a token; the plaintext is returned once and never stored.

    Only for oneself: a token acts as its user with all of their roles, so issuing one
    for someone else is acting as them (auth review 2, F2: any membership manager, a
    county governor included, could issue a token for a national administrator)."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("You may not issue tokens for another user."))
    if not 1 <= ttl_days <= MAX_TOKEN_TTL_DAYS:
        raise ValidationError(_("A token lives between 1 and 365 days."))
    name = name.strip()[:100]
    if not name:
        raise ValidationError(_("Give the token a name."))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        token_hash=api_token_digest(plaintext),
        expires_at=timezone.now() + timedelta(days=ttl_days),
    )
    audit_record(
        action="api_token.issue",
        actor=actor,
        obj=token,
        after={"user": user.pk, "name": name, "expires_at": token.expires_at.isoformat()},
    )
    return token, plaintext


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    if actor.pk != token.user_id:
        raise PermissionDenied(_("You may not revoke this token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(action="api_token.revoke", actor=actor, obj=token)
    return token


# --- second factor -------------------------------------------------------------------


def _totp_replace_allowed(user: User, verified_with: Device | None) -> bool:
    """A user without a confirmed device may enrol; one with a device only from a session
    verified with one of those devices (else a password alone would replace the factor)."""
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True)
    if not confirmed.exists():
        return True
    return isinstance(verified_with, TOTPDevice) and confirmed.filter(
        pk=verified_with.pk
    ).exists()


def _totp_replace_check(user: User, verified_with: Device | None) -> None:
    """Refuse (and record, outside the transaction that a refusal rolls back)."""
    if not _totp_replace_allowed(user, verified_with):
        access_denied_record(
            user=user, model_label="otp_totp.totpdevice", pk=None, action=policy.CREATE
        )
        raise PermissionDenied(
            _("Verify with your current authenticator before you replace it.")
        )


def _totp_replace_recheck(user: User, verified_with: Device | None) -> None:
    """The same rule inside the write's transaction (a device confirmed meanwhile)."""
    if not _totp_replace_allowed(user, verified_with):
        raise PermissionDenied(_("Verify with your current authenticator before you replace it."))


def totp_enrolment_start(
    *, user: User, verified_with: Device | None, pending_key: str | None = None
) -> TOTPDevice:
    """The device this session is enrolling, not saved: its secret is ``pending_key``
    (the one this session was shown before) or a new one.  Nothing is written: the
    caller keeps the secret in the session until a code from it is confirmed.

    A secret belongs to the session that was shown it: another session (someone who
    had the password for a moment) has its own, and once one of them is confirmed the
    others meet a confirmed device they were not verified with, and are refused.
    """
    _totp_replace_check(user, verified_with)
    key = pending_key if pending_key is not None and _is_totp_key(pending_key) else default_key()
    return TOTPDevice(user=user, name="TOTP", key=key, confirmed=False)


def _is_totp_key(key: str) -> bool:
    try:
        key_validator(key)
    except ValidationError:
        return False
    return True


def _totp_code_match(device: TOTPDevice, token: str) -> TOTP | None:
    """``device``'s TOTP at the time step whose code ``token`` is (within the device's
    tolerance), or None.  django-otp's algorithm on the key alone: ``verify_token``
    would save the device (its throttling and last use), and an enrolling device is not
    saved until it is confirmed."""
    if not token.isascii() or not token.isdigit():
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp if totp.verify(int(token), device.tolerance) else None


def totp_enrolment_confirm(
    *, user: User, key: str, token: str, verified_with: Device | None
) -> TOTPDevice | None:
    """Store the device with secret ``key`` (shown to this session by
    ``totp_enrolment_start``) as confirmed if ``token`` is its current code, replacing
    the user's earlier devices; None if the code is wrong.

    Replacing a confirmed device needs a session verified with it (``verified_with``).
    """
    _totp_replace_check(user, verified_with)
    if not _is_totp_key(key):
        return None
    device = TOTPDevice(user=user, name="TOTP", key=key, confirmed=False)
    matched = _totp_code_match(device, token)
    if matched is None:
        return None
    with transaction.atomic():
        _totp_replace_recheck(user, verified_with)
        devices = TOTPDevice.objects.filter(user=user)
        replaced = devices.filter(confirmed=True).count()
        devices.delete()  # the confirmed ones, and unconfirmed rows of older versions
        # As verify_token would: the code just used cannot verify a session again.
        device.confirmed, device.last_t, device.drift = True, matched.t(), matched.drift
        device.save()
        audit_record(action="auth.totp_enrol", actor=user, obj=device, extra={"replaced": replaced})
    return device


def totp_verify(*, user: User, token: str, request: HttpRequest | None = None
                ) -> TOTPDevice | None:
    """The confirmed device that accepts ``token``, or None (recorded, with the client's
    address as sign-in failures are)."""
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token):
            return device
    # Counted like failed sign-ins: whoever holds the password can send wrong codes
    # without end (django-otp's throttling refuses them, but each was an event).
    failure_record(action="auth.totp_failed", username=user.get_username(),
                   ip=client_address(request) if request is not None else "",
                   address=client_limit_address(request) if request is not None else "",
                   actor=user)
    return None


def totp_reset(*, user: User, actor: User | None, actor_name: str | None = None) -> int:
    """Remove every TOTP device of ``user`` (a lost phone) and end all their sessions.

    A national administrator's act (``actor``, checked here again) or the server's
    command line (``actor=None`` and ``actor_name``). The user then signs in with the
    password and enrols a new device. Returns the number of devices removed.
    """
    if actor is not None:
        if not access.can_nationally(actor, policy.DELETE, TOTP_DEVICE):
            access_denied_record(user=actor, model_label=TOTP_DEVICE, pk=user.pk,
                                 action=policy.DELETE)
            raise PermissionDenied(_("Only a national administrator may reset a second factor."))
        if actor.pk == user.pk:
            raise ValidationError(
                _("Replace your own authenticator from your profile page, or ask another "
                  "national administrator.")
            )
    with transaction.atomic():
        removed, _deleted = TOTPDevice.objects.filter(user=user).delete()
        ended = _user_sessions_end(user)
        revoked = _user_tokens_revoke(user)
        audit_record(
            action="auth.totp_reset",
            actor=actor,
            actor_name=None if actor is not None else (actor_name or "cli"),
            object_type="auth.user",
            object_id=str(user.pk),
            extra={"devices_removed": removed, "sessions_ended": ended,
                   "tokens_revoked": revoked},
        )
    return removed


def user_has_totp(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def membership_grant_system(
    *, user: User, role: str, unit: AdminUnit, agency: Agency | None = None, actor_name: str
) -> Membership:
    """Grant a role from the command line (the first national administrator, the demo).

    Whoever runs it already has the server's shell and database; the grant is audited
    under ``actor_name`` like any other.
    """
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    if unit.kind not in MEMBERSHIP_UNIT_KINDS:
        raise ValidationError(_("Roles are held at the country, a province or a county."))
    if role == Role.AGENCY_OFFICER and agency is None:
        raise ValidationError(_("An agency officer needs an agency."))
    asked_before = _second_factor_asked(user)
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, unit=unit, agency=agency, active=True
    )
    if created:
        audit_record(action="membership.grant", actor=None, actor_name=actor_name, unit=unit,
                     obj=membership, after=_membership_snapshot(membership),
                     extra=_tokens_end_with_new_second_factor(user, role, unit, asked_before))
    return membership


def profile_mobile_set(*, actor: User, mobile: str) -> Profile:
    """The mobile number election-day alerts reach ``actor`` at (empty: none)."""
    number = mobile_checked(mobile, required=False)
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(user=actor)
        if profile.mobile != number:
            audit_record(action="profile.mobile", actor=actor, object_type="accounts.profile",
                         object_id=profile.pk, before={"mobile": profile.mobile},
                         after={"mobile": number})
            profile.mobile = number
            profile.save(update_fields=["mobile"])
    return profile
