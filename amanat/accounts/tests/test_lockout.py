"""Sign-in lockout and the failed-sign-in audit trail, counted by the client's address.

The address is the client behind a trusted reverse proxy (AMANAT_TRUSTED_PROXIES,
amanat/core/clientaddr.py); a header from anyone else is ignored.  A real nginx in front
is tested in test_behind_nginx.py; these go through the test client.
"""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from amanat.accounts.models import FailureWindow
from amanat.accounts.testing import Personas
from amanat.audit.models import Event

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-passphrase-1404"
PROXY = "10.1.0.5"


@pytest.fixture
def governor(personas: Personas) -> User:
    user = personas.gharchak_governor
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def behind_proxy(settings: Any) -> None:
    settings.AMANAT_TRUSTED_PROXIES = [PROXY]


def _via_proxy(client_address: str, forwarded: str | None = None) -> Client:
    """A client whose requests arrive through the trusted proxy, as nginx sends them
    (``X-Forwarded-For: <what the client sent>, <its address>``)."""
    header = f"{forwarded}, {client_address}" if forwarded else client_address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def _login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def _fail(client: Client, username: str, times: int = 1) -> None:
    for _ in range(times):
        assert _login(client, username, "wrong").status_code in {200, 429}


def test_clients_behind_the_proxy_are_locked_out_separately(
    behind_proxy: None, governor: User
) -> None:
    attacker = _via_proxy("198.51.100.7")
    _fail(attacker, governor.username, 5)
    assert _login(attacker, governor.username, PASSWORD).status_code == 429
    # On the base commit every client was the proxy: the real user was locked out too.
    real_user = _via_proxy("203.0.113.20")
    assert _login(real_user, governor.username, PASSWORD).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}


def test_a_forged_header_from_outside_the_proxies_is_ignored(
    behind_proxy: None, governor: User
) -> None:
    for n in range(5):  # a new made-up address each time, straight to the app
        forger = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        _fail(forger, governor.username)
    forger = Client(REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="192.0.2.99")
    assert _login(forger, governor.username, PASSWORD).status_code == 429
    # Nor does a client choose its address by writing it to the left of the proxy's.
    spoof = _via_proxy("198.51.100.10", forwarded="203.0.113.20")
    _fail(spoof, governor.username, 5)
    assert _login(_via_proxy("198.51.100.10", forwarded="192.0.2.1"), governor.username,
                  PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "198.51.100.9", "198.51.100.10"}


def test_spraying_many_usernames_from_one_address_locks_the_address(
    behind_proxy: None, governor: User, settings: Any
) -> None:
    settings.AMANAT_SIGN_IN_ADDRESS_LIMIT = 8
    sprayer = _via_proxy("198.51.100.7")
    for n in range(8):  # one try per username: no (username, address) pair is near 5
        _fail(sprayer, f"user{n}")
    locked = _login(sprayer, governor.username, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in sprayer.session
    # The address is locked, not the users: from elsewhere the governor signs in.
    assert _login(_via_proxy("203.0.113.20"), governor.username, PASSWORD).status_code == 302


def test_an_ipv6_client_is_counted_by_its_64(behind_proxy: None, governor: User) -> None:
    for n in range(5):
        _fail(_via_proxy(f"2001:db8:1:2::{n + 1:x}"), governor.username)
    assert _login(_via_proxy("2001:db8:1:2::ff"), governor.username, PASSWORD).status_code == 429
    assert _login(_via_proxy("2001:db8:1:3::1"), governor.username, PASSWORD).status_code == 302


def test_audit_events_name_the_client_behind_the_proxy(
    behind_proxy: None, governor: User
) -> None:
    client = _via_proxy("203.0.113.20", forwarded="192.0.2.1")
    _fail(client, governor.username)
    assert _login(client, governor.username, PASSWORD).status_code == 302
    events = {e.action: e.extra for e in Event.objects.filter(action__startswith="auth.")}
    assert events["auth.sign_in_failed"]["ip"] == "203.0.113.20"
    assert events["auth.sign_in"]["ip"] == "203.0.113.20"


# --- failed sign-ins in the audit log ---------------------------------------------------


def _failed_events() -> list[Event]:
    return list(Event.objects.filter(action__startswith="auth.sign_in_failed").order_by("seq"))


def _close_windows() -> None:
    """Move every open window back past its end, as time passing would."""
    FailureWindow.objects.update(window_start=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))


def test_repeated_failures_are_one_event_then_one_summary(
    behind_proxy: None, governor: User
) -> None:
    client = _via_proxy("198.51.100.7")
    _fail(client, governor.username, 12)  # locked after 5; still failures, still counted
    events = _failed_events()
    assert [(e.action, e.actor_name, e.extra["ip"]) for e in events] == [
        ("auth.sign_in_failed", governor.username, "198.51.100.7")]
    assert FailureWindow.objects.get().count == 12
    _close_windows()
    call_command("prune", stdout=io.StringIO())
    summary = _failed_events()[-1]
    assert summary.action == "auth.sign_in_failed_repeated"
    assert summary.actor_name == governor.username
    assert summary.extra["failures"] == 12 and summary.extra["ip"] == "198.51.100.7"
    assert not FailureWindow.objects.exists()
    # The next window starts a new count with a new first event.
    _fail(_via_proxy("198.51.100.7"), governor.username)
    assert len(_failed_events()) == 3


def test_a_closed_window_is_summed_up_at_the_next_failure(
    behind_proxy: None, governor: User
) -> None:
    _fail(_via_proxy("198.51.100.7"), governor.username, 3)
    _fail(_via_proxy("198.51.100.8"), "someone")  # one failure: no summary needed
    _close_windows()
    _fail(_via_proxy("203.0.113.1"), "another")
    assert [(e.action, e.actor_name) for e in _failed_events()] == [
        ("auth.sign_in_failed", governor.username),
        ("auth.sign_in_failed", "someone"),
        ("auth.sign_in_failed_repeated", governor.username),
        ("auth.sign_in_failed", "another"),
    ]


def test_a_flood_of_failures_cannot_grow_the_audit_log_without_bound(
    behind_proxy: None, settings: Any
) -> None:
    settings.AMANAT_FAILURE_AUDIT_PER_ADDRESS = 2
    settings.AMANAT_FAILURE_AUDIT_PER_WINDOW = 4
    settings.AMANAT_SIGN_IN_ADDRESS_LIMIT = 1000  # the audit's cap alone, not the lockout
    one_address = _via_proxy("198.51.100.7")
    for n in range(8):
        _fail(one_address, f"sprayed{n}")
    # Two names of their own, then one event saying the rest are counted together.
    events = _failed_events()
    assert [e.actor_name for e in events] == ["sprayed0", "sprayed1", "sprayed2"]
    assert events[-1].extra["counted_together"] == "address"
    for n in range(10):  # many addresses, a new name each
        _fail(_via_proxy(f"203.0.113.{n + 1}"), f"botnet{n}")
    events = _failed_events()
    assert [e.actor_name for e in events[3:]] == ["botnet0", "botnet1"]
    assert events[-1].extra["counted_together"] == "all"
    _close_windows()
    call_command("failures_summarize", stdout=io.StringIO())
    summaries = Event.objects.filter(action="auth.sign_in_failed_repeated")
    assert {e.extra["ip"]: e.extra["failures"] for e in summaries} == {
        "198.51.100.7": 6, None: 9}
    assert not FailureWindow.objects.exists()


def test_wrong_second_factor_codes_are_counted_not_written_each(personas: Personas) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from amanat.accounts.testing import sign_in

    officer = personas.tehran_officer
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    client = Client()
    sign_in(client, officer, verified=False)
    for _ in range(6):
        assert client.post(reverse("accounts_otp_verify"), {"token": "000000"}).status_code == 200
    failed = Event.objects.filter(action__startswith="auth.totp_failed")
    assert [(e.action, e.actor_id) for e in failed] == [("auth.totp_failed", officer.pk)]
    _close_windows()
    call_command("failures_summarize", stdout=io.StringIO())
    summary = Event.objects.get(action="auth.totp_failed_repeated")
    assert summary.actor_name == officer.username and summary.extra["failures"] == 6
