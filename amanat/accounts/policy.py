"""The one access-policy table: role × object type × action → allowed.

Scope (which units) is decided separately, in ``access.py``: a membership reaches its own
unit and everything below it by materialised path. This table only says which roles may
perform an action on an object type at all. Anything not listed is denied.
"""

from __future__ import annotations

from typing import Final

from amanat.accounts.models import Role

VIEW: Final = "view"
CHANGE: Final = "change"
CREATE: Final = "create"
DELETE: Final = "delete"
EXPORT: Final = "export"
ACTIONS: Final = frozenset({VIEW, CHANGE, CREATE, DELETE, EXPORT})

ALL_ROLES: Final = frozenset(Role)
ADMINS: Final = frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF})
# Roles that manage people: the ministry and the headquarters and governors below it.
MEMBERSHIP_MANAGERS: Final = frozenset({Role.NATIONAL_ADMIN, Role.HQ_STAFF, Role.GOVERNOR})
# Roles only a national administrator may grant: they reach the whole country or
# the audit log.
NATIONAL_ONLY_ROLES: Final = frozenset({Role.NATIONAL_ADMIN, Role.AUDITOR})

POLICY: Final[dict[str, dict[str, frozenset[Role]]]] = {
    "geo.adminunit": {VIEW: ALL_ROLES, EXPORT: ADMINS | {Role.GOVERNOR}},
    "geo.constituency": {VIEW: ALL_ROLES},
    "elections.election": {
        VIEW: ALL_ROLES,
        CHANGE: frozenset({Role.NATIONAL_ADMIN}),
        CREATE: frozenset({Role.NATIONAL_ADMIN}),
    },
    "elections.milestone": {
        VIEW: ALL_ROLES,
        CHANGE: ADMINS,
        CREATE: ADMINS,
        DELETE: frozenset({Role.NATIONAL_ADMIN}),
    },
    "audit.event": {
        VIEW: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN}),
        EXPORT: frozenset({Role.AUDITOR, Role.NATIONAL_ADMIN}),
    },
    "stations.station": {
        VIEW: ALL_ROLES,
        CHANGE: MEMBERSHIP_MANAGERS,
        CREATE: MEMBERSHIP_MANAGERS,
        EXPORT: MEMBERSHIP_MANAGERS | {Role.AUDITOR},
    },
    "accounts.agency": {VIEW: ALL_ROLES},
    "accounts.membership": {
        VIEW: MEMBERSHIP_MANAGERS | {Role.AUDITOR},
        CHANGE: MEMBERSHIP_MANAGERS,
        CREATE: MEMBERSHIP_MANAGERS,
        DELETE: MEMBERSHIP_MANAGERS,
    },
}


def roles_allowed(model_label: str, action: str) -> frozenset[Role]:
    """Roles that may perform ``action`` on objects of ``model_label`` (app.model)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return POLICY.get(model_label.lower(), {}).get(action, frozenset())


def role_allows(role: str, model_label: str, action: str) -> bool:
    return role in roles_allowed(model_label, action)
