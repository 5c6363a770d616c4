"""Project system checks for what ``check --deploy`` does not cover.

IDs: amanat.E001… for errors, amanat.W001… for warnings. Run with
``amanat check --deploy --fail-level WARNING`` before every release.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import get_hashers
from django.core.checks import CheckMessage, Error, Info, Tags, Warning, register

from amanat.core.clientaddr import trusted_proxies

REQUIRED_MIDDLEWARE = (
    "amanat.accounts.middleware.SessionLifetimeMiddleware",
    "amanat.accounts.middleware.AmanatLoginRequiredMiddleware",
    "amanat.accounts.middleware.SecondFactorMiddleware",
    "axes.middleware.AxesMiddleware",
    "csp.middleware.CSPMiddleware",
)
MAX_SESSION_AGE = 12 * 60 * 60


@register(Tags.security)
def check_accounts_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Always on: the guards this app relies on are installed and sane."""
    messages: list[CheckMessage] = []
    missing = [m for m in REQUIRED_MIDDLEWARE if m not in settings.MIDDLEWARE]
    if missing:
        messages.append(
            Error(f"Middleware missing: {', '.join(missing)}.", id="amanat.E001")
        )
    if get_hashers()[0].algorithm != "argon2":
        messages.append(
            Warning("The first password hasher is not Argon2.", id="amanat.W001")
        )
    if settings.SESSION_COOKIE_AGE > MAX_SESSION_AGE:
        messages.append(
            Warning("SESSION_COOKIE_AGE is longer than 12 hours.", id="amanat.W002")
        )
    if getattr(settings, "AXES_FAILURE_LIMIT", 0) > 10 or not getattr(
        settings, "AXES_ENABLED", True
    ):
        messages.append(
            Warning("Sign-in lockout is off or allows more than 10 failures.", id="amanat.W003")
        )
    messages.extend(_trusted_proxy_messages())
    hours = (settings.AMANAT_FIELD_DAY_START_HOUR, settings.AMANAT_FIELD_DAY_END_HOUR)
    if not all(0 <= hour <= 23 for hour in hours):
        messages.append(Error(
            "AMANAT_FIELD_DAY_START_HOUR and AMANAT_FIELD_DAY_END_HOUR must be hours 0-23.",
            id="amanat.E003"))
    return messages


def _trusted_proxy_messages() -> list[CheckMessage]:
    """A trusted network wider than a /8 (/32 for IPv6) trusts the internet: anyone could
    then choose the address lockouts and limits count them by."""
    wide = [str(n) for n in trusted_proxies() if n.prefixlen < (8 if n.version == 4 else 32)]
    if not wide:
        return []
    return [Warning(
        f"AMANAT_TRUSTED_PROXIES trusts whole networks: {', '.join(wide)}.",
        hint="Name the reverse proxies' own addresses (docs/deployment.md).",
        id="amanat.W004",
    )]


def _csp_problems() -> list[str]:
    policy = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
    directives = policy.get("DIRECTIVES", {})
    problems = []
    if not directives:
        problems.append("no CONTENT_SECURITY_POLICY")
    for name in ("default-src", "script-src", "object-src", "frame-ancestors"):
        if name not in directives:
            problems.append(f"{name} missing")
    scripts = " ".join(directives.get("script-src", []))
    if "unsafe-inline" in scripts or "unsafe-eval" in scripts:
        problems.append("script-src allows inline or eval")
    return problems


def _sqlite_files() -> list[Path]:
    db = settings.DATABASES["default"]
    if "sqlite" not in db["ENGINE"]:
        return []
    path = Path(db["NAME"])
    return [p for p in (path, path.with_name(path.name + "-wal")) if p.exists()]


def _sqlite_messages() -> list[CheckMessage]:
    """World-writable database files or folder break integrity (warning); world-readable
    files leak data to local users (reported, since a umask 077 service fixes it)."""
    messages: list[CheckMessage] = []
    db = settings.DATABASES["default"]
    if "sqlite" not in db["ENGINE"]:
        return messages
    folder = Path(db["NAME"]).parent
    writable = [folder] if folder.exists() and folder.stat().st_mode & stat.S_IWOTH else []
    writable += [p for p in _sqlite_files() if p.stat().st_mode & stat.S_IWOTH]
    for path in writable:
        messages.append(Warning(f"{path} is writable by every local user.", id="amanat.W011"))
    for path in _sqlite_files():
        if path.stat().st_mode & stat.S_IROTH:
            messages.append(
                Info(
                    f"{path} is readable by every local user.",
                    hint="Run the service with umask 077 (systemd: UMask=0077).",
                    id="amanat.I011",
                )
            )
    return messages


@register(Tags.security, deploy=True)
def check_production(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Only with --deploy: what production needs beyond Django's own checks."""
    messages: list[CheckMessage] = []
    if not getattr(settings, "PRODUCTION", False):
        messages.append(
            Warning("AMANAT_ENV is not 'production'.", id="amanat.W010")
        )
    if settings.DEBUG:
        messages.append(Error("DEBUG is on in a deployment.", id="amanat.E010"))
    for problem in _csp_problems():
        messages.append(Error(f"Content Security Policy: {problem}.", id="amanat.E011"))
    messages.extend(_sqlite_messages())
    if not settings.SESSION_COOKIE_NAME.startswith("__Host-"):
        messages.append(
            Warning("The session cookie is not a __Host- cookie.", id="amanat.W012")
        )
    return messages
