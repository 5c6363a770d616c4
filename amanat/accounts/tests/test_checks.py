from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import override_settings

PROJECT = Path(__file__).resolve().parents[3]


def _deploy_check(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    folder = tmp_path / "var"
    folder.mkdir(mode=0o700)
    # A clean production environment: no test-only Django switches, the SQLite default.
    env = {
        k: v for k, v in os.environ.items()
        if k != "DATABASE_URL" and not k.startswith(("DJANGO_", "AMANAT_"))
    }
    env.update(
        AMANAT_ENV="production",
        AMANAT_SECRET_KEY=secrets.token_urlsafe(48),
        AMANAT_ALLOWED_HOSTS="amanat.example",
        AMANAT_VAR_DIR=str(folder),
        AMANAT_SQLITE_PATH=str(folder / "amanat.sqlite3"),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-m", "amanat.cli", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    result = _deploy_check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_debug_in_production_fails_the_deploy_check(tmp_path: Path) -> None:
    result = _deploy_check(tmp_path, AMANAT_DEBUG="1")
    assert result.returncode != 0
    assert "amanat.E010" in result.stdout + result.stderr


def _ids(**overrides: object) -> set[str]:
    with override_settings(**overrides):
        return {m.id for m in run_checks(include_deployment_checks=True) if m.id}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"CONTENT_SECURITY_POLICY": None}, "amanat.E011"),
        (
            {"CONTENT_SECURITY_POLICY": {"DIRECTIVES": {
                "default-src": ["'self'"], "script-src": ["'self'", "'unsafe-inline'"],
                "object-src": ["'none'"], "frame-ancestors": ["'none'"]}}},
            "amanat.E011",
        ),
        ({"SESSION_COOKIE_AGE": 13 * 3600}, "amanat.W002"),
        ({"PASSWORD_HASHERS": ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]}, "amanat.W001"),
        ({"AXES_FAILURE_LIMIT": 50}, "amanat.W003"),
        ({"AMANAT_TRUSTED_PROXIES": ["127.0.0.1", "0.0.0.0/0"]}, "amanat.W004"),
        ({"AMANAT_TRUSTED_PROXIES": ["2001:db8::/16"]}, "amanat.W004"),
    ],
)
def test_project_checks_catch_weak_settings(overrides: dict[str, object], expected: str) -> None:
    assert expected in _ids(**overrides)
