"""Named personas for tests across apps (see DESIGN.md §5).

``make_personas(geo)`` takes any object with ``iran``, ``tehran``, ``gharchak``,
``kerman_province`` and ``kerman_county`` units (the root conftest's ``small_geo``).
"""

from __future__ import annotations

import base64
import re
import time
from dataclasses import dataclass, fields
from typing import Any, Protocol

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from amanat.accounts.access import needs_second_factor
from amanat.accounts.models import Agency, Membership, Role
from amanat.geo.models import AdminUnit


class PersonaUnits(Protocol):
    """The units the personas hold their memberships at."""

    iran: AdminUnit
    tehran: AdminUnit
    gharchak: AdminUnit
    kerman_county: AdminUnit


@dataclass
class Personas:
    admin: User  # ministry: national_admin at the country
    tehran_officer: User  # hq_staff at Tehran province
    gharchak_governor: User
    kerman_governor: User
    police: User  # agency_officer (police) at Gharchak
    inspector: User  # field_inspector at Gharchak
    auditor: User  # auditor at the country
    outsider: User  # signed in, no membership

    def items(self) -> list[tuple[str, User]]:
        return [(f.name, getattr(self, f.name)) for f in fields(self)]


def _user(username: str) -> User:
    user = get_user_model().objects.create_user(username=username)
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _member(username: str, role: str, unit: AdminUnit, agency: Agency | None = None) -> User:
    user = _user(username)
    Membership.objects.create(user=user, role=role, unit=unit, agency=agency)
    return user


def make_personas(geo: PersonaUnits) -> Personas:
    police = Agency.objects.get(code="police")
    return Personas(
        admin=_member("ministry_admin", Role.NATIONAL_ADMIN, geo.iran),
        tehran_officer=_member("tehran_officer", Role.HQ_STAFF, geo.tehran),
        gharchak_governor=_member("gharchak_governor", Role.GOVERNOR, geo.gharchak),
        kerman_governor=_member("kerman_governor", Role.GOVERNOR, geo.kerman_county),
        police=_member("gharchak_police", Role.AGENCY_OFFICER, geo.gharchak, police),
        inspector=_member("gharchak_inspector", Role.FIELD_INSPECTOR, geo.gharchak),
        auditor=_member("national_auditor", Role.AUDITOR, geo.iran),
        outsider=_user("outsider"),
    )


def sign_in(client: Client, user: User, *, verified: bool = True) -> Client:
    """Sign ``user`` in; with ``verified``, as if they had passed TOTP when required."""
    client.force_login(user)
    if verified and needs_second_factor(get_user_model().objects.get(pk=user.pk)):
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def sign_in_page(page: Any, user: User) -> Any:
    """Give a Playwright ``page`` (with ``page.base_url``, conftest's ``browser_page``) the
    session cookie of ``user`` signed in as :func:`sign_in` does."""
    cookie = sign_in(Client(), user).cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value,
                               "url": page.base_url}])
    return page


def totp_code(device: TOTPDevice) -> str:
    """The device's current code, as the user's authenticator app would show it."""
    # A failed try throttles the device for a second; tests do not wait for it.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


# The key to type by hand: 20 random bytes are 32 base32 letters, shown in a <code>.
_SHOWN_SECRET = re.compile(r"<code[^>]*>\s*([A-Z2-7]{32})\s*</code>")


def enrolment_secret(page: HttpResponse) -> str:
    """The secret the enrolment page shows to be typed by hand (base32)."""
    found = _SHOWN_SECRET.search(page.content.decode())
    assert found is not None, "the enrolment page shows no secret"
    return found.group(1)


def secret_code(secret: str) -> str:
    """The current code of an authenticator app set up with ``secret`` (base32), with
    django-otp's defaults (30 s steps, 6 digits)."""
    totp = TOTP(base64.b32decode(secret))
    totp.time = time.time()
    return f"{totp.token():06d}"


def in_language(client: Client, language: str) -> Client:
    """``client`` with the language a user chose (the pages ignore Accept-Language)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client
