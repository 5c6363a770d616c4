"""Scope helpers: every view and endpoint gets its objects through these.

A user reaches an object when one of their active memberships has a role the policy
table allows for the action, at a unit whose path is a prefix of the object's unit path
(a county governor reaches his county's subtree; a membership at the country reaches
everything). Out-of-scope and not-allowed look the same from outside: 404, never 403,
so that ids do not reveal what exists.
"""

from __future__ import annotations

import uuid
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.http import Http404

from amanat.accounts import policy
from amanat.accounts.models import ApiToken, Membership, Role
from amanat.audit.services import audit_record
from amanat.core.models import Job
from amanat.geo.models import AdminUnit, Kind
from amanat.geo.paths import under
from amanat.lib.limits import parse_id

M = TypeVar("M", bound=models.Model)
AnyUser = User | AnonymousUser


def _memberships(user: AnyUser) -> list[Membership]:
    """Active memberships, cached on the user object for the request."""
    if not user.is_authenticated or not user.is_active:
        return []
    cached: list[Membership] | None = getattr(user, "_amanat_memberships", None)
    if cached is None:
        cached = _load_memberships(user.pk)
        user._amanat_memberships = cached  # type: ignore[attr-defined]
    return cached


def _load_memberships(user_id: int) -> list[Membership]:
    return list(Membership.objects.active().filter(user_id=user_id)
                .select_related("unit", "agency"))


def remember_memberships(user: User, memberships: list[Membership]) -> None:
    """Give the request's user memberships loaded elsewhere (active ones, with unit and
    agency, in the model's order): the API's token check loads them with the token
    (amanat/intake/auth.py), and every scope check of the request reads them here."""
    user._amanat_memberships = memberships  # type: ignore[attr-defined]


def signed_in(user: AnyUser | None) -> User | None:
    """The user a row may point at (``submitted_by``, ``locked_by``, ``set_by``), or None
    for an anonymous visitor and for the system (a command, the demo)."""
    return user if isinstance(user, User) and user.is_authenticated else None


def user_memberships(user: AnyUser) -> list[Membership]:
    return list(_memberships(user))


def user_units(user: AnyUser) -> list[AdminUnit]:
    """The units at which the user holds an active membership (any role)."""
    seen: dict[int, AdminUnit] = {}
    for membership in _memberships(user):
        seen.setdefault(membership.unit_id, membership.unit)
    return list(seen.values())


def scope_paths(user: AnyUser, model_label: str, action: str) -> list[str]:
    """Path prefixes the user reaches for this action; empty means nothing."""
    allowed = policy.roles_allowed(model_label, action)
    paths = sorted({m.unit.path for m in _memberships(user) if m.role in allowed})
    # Drop paths already covered by a shorter prefix so the SQL stays small.
    kept: list[str] = []
    for path in paths:
        if not any(path.startswith(prefix) for prefix in kept):
            kept.append(path)
    return kept


def scope_queryset(
    user: AnyUser,
    qs: models.QuerySet[M],
    *,
    action: str,
    path_field: str = "unit__path",
    model_label: str | None = None,
) -> models.QuerySet[M]:
    """Narrow ``qs`` to what ``user`` may ``action``, by unit path prefix.

    ``model_label`` names the policy entry when it differs from the queryset's model
    (the units at which one may create memberships, say).
    """
    label = model_label or qs.model._meta.label_lower
    paths = scope_paths(user, label, action)
    if not paths:
        return qs.none()
    if any(path.count("/") == 1 for path in paths):
        # A membership at the root (the country) reaches everything: no condition, so
        # the database can use the list's own indexes instead of scanning the subtree.
        return qs
    condition = Q()
    for path in paths:
        condition |= under(path_field, path)
    return qs.filter(condition)


def can(user: AnyUser, action: str, model_label: str, unit: AdminUnit | None) -> bool:
    """Whether the user may ``action`` an object of ``model_label`` at ``unit``.

    ``unit=None`` asks about the action anywhere in the user's scope (for list pages
    and create forms).
    """
    paths = scope_paths(user, model_label, action)
    if unit is None:
        return bool(paths)
    return any(unit.path.startswith(path) for path in paths)


def is_national(user: AnyUser) -> bool:
    return any(m.unit.kind == Kind.COUNTRY for m in _memberships(user))


# Memberships at these units need the second factor (TOTP) at sign-in.
SECOND_FACTOR_UNIT_KINDS = (Kind.COUNTRY, Kind.PROVINCE)
# ... and these roles at any unit: the boards read the candidates' confidential inquiry
# answers (intelligence, police, judiciary), which a password alone must not open.
SECOND_FACTOR_ROLES = (Role.EXECUTIVE_BOARD, Role.SUPERVISION_BOARD)


def second_factor_membership(role: str, unit_kind: str) -> bool:
    """Whether a membership (``role`` at a unit of ``unit_kind``) needs the second factor:
    the one rule, for sign-in and for the grants that end tokens issued without it."""
    return unit_kind in SECOND_FACTOR_UNIT_KINDS or role in SECOND_FACTOR_ROLES


def second_factor_memberships() -> Q:
    """``second_factor_membership`` as a condition on memberships."""
    return Q(unit__kind__in=SECOND_FACTOR_UNIT_KINDS) | Q(role__in=SECOND_FACTOR_ROLES)


def needs_second_factor(user: AnyUser) -> bool:
    """National and provincial memberships, board members, and staff must sign in with
    TOTP."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_staff", False):
        return True
    return any(second_factor_membership(m.role, m.unit.kind) for m in _memberships(user))


def access_denied_record(*, user: AnyUser, model_label: str, pk: Any, action: str) -> None:
    """An attempt on an object that exists but is out of reach: an ``access.denied`` event."""
    audit_record(
        action="access.denied",
        actor=user if isinstance(user, User) else None,
        object_type=model_label,
        object_id=str(pk),
        extra={"attempted": action},
    )


def require(user: AnyUser, action: str, model_label: str, unit: AdminUnit | None, *,
            pk: Any) -> None:
    """Go on only if ``user`` may ``action`` a ``model_label`` at ``unit``; otherwise the
    attempt on object ``pk`` is recorded and the answer is 404, as for an object out of
    scope (a decision on a candidacy the user can see but not decide)."""
    if not can(user, action, model_label, unit):
        access_denied_record(user=user, model_label=model_label, pk=pk, action=action)
        raise Http404("not found")


def get_object_for_user(
    user: AnyUser,
    model: type[M],
    pk: Any,
    *,
    write: bool = False,
    action: str | None = None,
    path_field: str = "unit__path",
    queryset: models.QuerySet[M] | None = None,
    model_label: str | None = None,
) -> M:
    """The object if the user may view it (or change it with ``write``); else Http404.

    The scope narrows the query itself, so nothing out of scope is ever loaded.
    ``model_label`` names the policy entry when the object is governed by another's (a
    council decision by its meeting's).  A denied attempt on an object that exists is
    recorded as an ``access.denied`` event.
    """
    action = action or (policy.CHANGE if write else policy.VIEW)
    # An id that is no id (text, negative, past 64 bits) is not found without a query:
    # the database driver would fail on it rather than find nothing.
    key = parse_id(pk)
    if key is None:
        raise Http404("not found")
    base = queryset if queryset is not None else model._default_manager.all()
    scoped = scope_queryset(user, base, action=action, path_field=path_field,
                            model_label=model_label)
    try:
        return scoped.get(pk=key)
    except ObjectDoesNotExist:
        pass
    if model._default_manager.filter(pk=key).exists():
        access_denied_record(user=user, model_label=model._meta.label_lower, pk=key,
                             action=action)
    raise Http404("not found")


def get_national_object_for_user(
    user: AnyUser,
    queryset: models.QuerySet[M],
    *,
    action: str,
    model_label: str,
    national: bool = False,
    **lookup: Any,
) -> M:
    """A unit-less object (an election, a checkpoint, a category) named by ``lookup``.

    The policy is asked first and the object fetched only when it allows: anywhere in
    the user's scope, or with ``national`` only through a membership at the country.
    Not allowed and not found are the same 404.
    """
    allowed = (can_nationally(user, action, model_label) if national
               else can(user, action, model_label, None))
    if not allowed:
        raise Http404("not found")
    if "pk" in lookup:
        # As in get_object_for_user: an id that is no id is not found, without a query.
        lookup["pk"] = parse_id(lookup["pk"])
        if lookup["pk"] is None:
            raise Http404("not found")
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("not found") from None


def get_unit_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> AdminUnit:
    return get_object_for_user(user, AdminUnit, pk, write=write, path_field="path")


def get_membership_for_user(user: AnyUser, pk: Any, *, write: bool = False) -> Membership:
    return get_object_for_user(
        user,
        Membership,
        pk,
        write=write,
        queryset=Membership.objects.select_related("user", "unit", "agency", "created_by"),
    )


def get_api_token_for_user(user: AnyUser, pk: Any) -> ApiToken:
    """One of the user's own API tokens: tokens are personal, so another user's id is
    simply not found."""
    if not user.is_authenticated:
        raise Http404("not found")
    try:
        return ApiToken.objects.get(pk=pk, user_id=user.pk)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("not found") from None
def get_job_for_user(user: AnyUser, pk: Any) -> Job:
    """A job (long work started from a page) the user started: its progress is theirs
    alone. Another user's job is not found (the attempt is recorded)."""
    try:
        key = uuid.UUID(str(pk))
    except ValueError:
        raise Http404("not found") from None
    if not user.is_authenticated:
        raise Http404("not found")
    job = Job.objects.filter(pk=key).first()
    if job is None:
        raise Http404("not found")
    if job.user_id != user.pk:
        access_denied_record(user=user, model_label="core.job", pk=key, action=policy.VIEW)
        raise Http404("not found")
    return job


def get_user_for_totp_reset(user: AnyUser, pk: Any) -> User:
    """The user whose second factor ``user`` may reset: national administrators reach
    every active user; anyone else gets 404 (an attempt on an existing user is recorded)."""
    key = parse_id(pk)
    target = User.objects.filter(pk=key, is_active=True).first() if key is not None else None
    if target is not None and can_nationally(user, policy.DELETE, "otp_totp.totpdevice"):
        return target
    if target is not None:
        access_denied_record(user=user, model_label="auth.user", pk=pk, action=policy.DELETE)
    raise Http404("not found")


def grantable_roles(actor: AnyUser, unit: AdminUnit) -> list[Role]:
    """Roles ``actor`` may grant at ``unit``: national-only roles need a national admin."""
    if not can(actor, policy.CREATE, "accounts.membership", unit):
        return []
    national_admin = any(
        m.role == Role.NATIONAL_ADMIN and m.unit.kind == Kind.COUNTRY for m in _memberships(actor)
    )
    return [
        role
        for role in Role
        if national_admin or (role not in policy.NATIONAL_ONLY_ROLES and unit.kind != Kind.COUNTRY)
    ]


def can_nationally(user: AnyUser, action: str, model_label: str) -> bool:
    """For national objects without a unit (an election calendar): a membership at the
    country with a role the policy allows."""
    allowed = policy.roles_allowed(model_label, action)
    return any(m.role in allowed and m.unit.kind == Kind.COUNTRY for m in _memberships(user))
