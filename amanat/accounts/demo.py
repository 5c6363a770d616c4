"""Demo sign-ins: one persona per kind of user, on the real geography.

The demo password is public (README) and the national accounts get a fixed TOTP key,
printed by ``amanat load-demo``; ``load-demo`` refuses to run in production.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts.access import needs_second_factor
from amanat.accounts.models import Agency, Profile, Role
from amanat.accounts.services import membership_grant_system
from amanat.geo.models import AdminUnit, Kind

DEMO_PASSWORD = "Amanat-Demo-1405"  # noqa: S105 - public by design, demo only
# Base32 "AMANATDEMOAMANATDEMOAMANATDEMOAM" (easy to type into an authenticator app),
# stored in hex as django-otp wants it.
DEMO_TOTP_KEY_HEX = "0300d04c646380c034131918e0300d04c646380c"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    kind: str
    code: str
    agency: str | None = None


DEMO_USERS = [
    DemoUser("demo.admin", Role.NATIONAL_ADMIN, Kind.COUNTRY, "IR"),
    DemoUser("demo.auditor", Role.AUDITOR, Kind.COUNTRY, "IR"),
    DemoUser("demo.tehran", Role.HQ_STAFF, Kind.PROVINCE, "23"),
    DemoUser("demo.gharchak", Role.GOVERNOR, Kind.COUNTY, "2321"),
    DemoUser("demo.kerman", Role.GOVERNOR, Kind.COUNTY, "0808"),
    DemoUser("demo.police", Role.AGENCY_OFFICER, Kind.COUNTY, "2321", "police"),
    DemoUser("demo.inspector", Role.FIELD_INSPECTOR, Kind.COUNTY, "2321"),
    # The candidate review: Gharchak's executive board, Tehran province's supervision board.
    DemoUser("demo.gharchak.board", Role.EXECUTIVE_BOARD, Kind.COUNTY, "2321"),
    DemoUser("demo.tehran.supervision", Role.SUPERVISION_BOARD, Kind.PROVINCE, "23"),
    # Kerman county's executive board (the candidate review, amanat/candidates/review_demo;
    # listed here so that load-demo's sign-in list names it: user review 2026-12, F20).
    DemoUser("demo.kerman.board", Role.EXECUTIVE_BOARD, Kind.COUNTY, "0808"),
    # A second member of Tehran's supervision board: a complaint is decided by a member who
    # took no part in the decision complained of (attack review 2, F2).
    DemoUser("demo.tehran.supervision2", Role.SUPERVISION_BOARD, Kind.PROVINCE, "23"),
]

# Contact details of the demo personas, so that notifications (election-day alerts,
# reminders) have somewhere to go and show in the outbox: a mobile in the 0900 range, which
# no Iranian operator issues, and an address under the reserved «.invalid» domain, which
# is never delivered (user review 2026-12, F18).
DEMO_MOBILE_PREFIX = "0900000"
DEMO_EMAIL_DOMAIN = "demo.amanat.invalid"


def demo_contact(position: int, username: str) -> tuple[str, str]:
    """The demo persona's mobile and e-mail: ``09000000001``, ``demo.admin@demo.amanat.invalid``."""
    return f"{DEMO_MOBILE_PREFIX}{position + 1:04d}", f"{username}@{DEMO_EMAIL_DOMAIN}"


def seed_demo_users() -> list[tuple[DemoUser, bool]]:
    """Create the demo personas (idempotent); returns each with whether it needs 2FA."""
    users = get_user_model().objects
    created = []
    for position, demo in enumerate(DEMO_USERS):
        user = users.filter(username=demo.username).first()
        if user is None:
            user = users.create_user(username=demo.username, password=DEMO_PASSWORD)
        _demo_contact_set(user, *demo_contact(position, demo.username))
        unit = AdminUnit.objects.get(kind=demo.kind, code=demo.code)
        agency = Agency.objects.get(code=demo.agency) if demo.agency else None
        membership_grant_system(user=user, role=demo.role, unit=unit, agency=agency,
                                actor_name="demo")
        needs_2fa = needs_second_factor(user)
        if needs_2fa:
            TOTPDevice.objects.get_or_create(
                user=user, name="demo", defaults={"key": DEMO_TOTP_KEY_HEX, "confirmed": True}
            )
        created.append((demo, needs_2fa))
    return created


def demo_totp_secret() -> str:
    """The demo TOTP key in base32, as authenticator apps want it."""
    import base64

    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY_HEX)).decode().rstrip("=")


def _demo_contact_set(user: Any, mobile: str, email: str) -> None:
    """The demo contact details, where the persona has none (a number or an address set
    by hand in the demo is kept)."""
    if not user.email:
        user.email = email
        user.save(update_fields=["email"])
    profile, _created = Profile.objects.get_or_create(user=user)
    if not profile.mobile:
        profile.mobile = mobile
        profile.save(update_fields=["mobile"])
