"""The client's address (amanat/core/clientaddr.py): whom the trusted proxies vouch for.

Lockouts, rate limits and audit events all take it from here; the views' tests
(accounts/tests/test_lockout.py, test_behind_nginx.py, incidents/tests/test_public_limits.py)
show them counting by it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from amanat.core.clientaddr import client_address, client_limit_address


def _request(peer: str, forwarded: str | None = None) -> Any:
    meta = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **meta)


@pytest.fixture(autouse=True)
def proxies(settings: Any) -> None:
    settings.AMANAT_TRUSTED_PROXIES = ["10.0.0.5", "10.9.0.0/16", "fd00::1"]


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        # Not from a trusted proxy: the header is ignored, whatever it says.
        ("198.51.100.9", "192.0.2.1", "198.51.100.9"),
        # From the proxy: the right-most hop that is not a trusted proxy.
        ("10.0.0.5", "192.0.2.1", "192.0.2.1"),
        ("10.0.0.5", "192.0.2.66, 192.0.2.1", "192.0.2.1"),
        ("10.0.0.5", "192.0.2.1, 10.9.3.4", "192.0.2.1"),
        ("10.0.0.5", " 192.0.2.1 ,10.9.3.4 ", "192.0.2.1"),
        # A proxy that sends no header: the proxy is the client.
        ("10.0.0.5", None, "10.0.0.5"),
        ("10.0.0.5", "", "10.0.0.5"),
        # Garbage stops the walk at the last address a trusted proxy vouched for.
        ("10.0.0.5", "192.0.2.1, nonsense", "10.0.0.5"),
        ("10.0.0.5", "192.0.2.1, 10.9.3.4, unknown", "10.0.0.5"),
        ("10.0.0.5", "nonsense, 10.9.3.4", "10.9.3.4"),
        ("10.0.0.5", "192.0.2.1:4711", "10.0.0.5"),
        # Every hop trusted: the left-most.
        ("10.0.0.5", "10.9.0.1, 10.9.0.2", "10.9.0.1"),
        # IPv4 seen through a dual-stack socket; IPv6 proxies and clients.
        ("::ffff:198.51.100.9", "192.0.2.1", "198.51.100.9"),
        ("10.0.0.5", "::ffff:192.0.2.1", "192.0.2.1"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("", "192.0.2.1", ""),
    ],
)
def test_client_address(peer: str, forwarded: str | None, client: str) -> None:
    assert client_address(_request(peer, forwarded)) == client


def test_limits_count_an_ipv6_client_by_its_64() -> None:
    assert client_limit_address(_request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::"
    assert client_limit_address(_request("fd00::1", "2001:db8:1:2::9")) == "2001:db8:1:2::"
    assert client_limit_address(_request("198.51.100.9")) == "198.51.100.9"
    assert client_address(_request("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2:aaaa::1"


def test_no_trusted_proxies_trusts_no_header(settings: Any) -> None:
    settings.AMANAT_TRUSTED_PROXIES = []
    assert client_address(_request("127.0.0.1", "192.0.2.1")) == "127.0.0.1"


def test_a_bad_trusted_proxy_entry_stops_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    from amanat import settings as project_settings

    monkeypatch.setenv("AMANAT_TRUSTED_PROXIES", "127.0.0.1,nginx.local")
    with pytest.raises(ImproperlyConfigured, match=r"nginx\.local"):
        project_settings._trusted_proxies()
    monkeypatch.setenv("AMANAT_TRUSTED_PROXIES", "")
    assert project_settings._trusted_proxies() == []
    monkeypatch.delenv("AMANAT_TRUSTED_PROXIES")
    assert project_settings._trusted_proxies() == ["127.0.0.1", "::1"]
