"""The client's address (amanat/core/clientaddr.py): whom the trusted proxies vouch for.

Lockouts, rate limits and audit events all take it from here; the views' tests
(accounts/tests/test_lockout.py, test_behind_nginx.py, incidents/tests/test_public_limits.py)
show them counting by it.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
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
    monkeypatch.setenv("AMANAT_TRUSTED_PROXIES", "127.0.0.1,::1")
    assert project_settings._trusted_proxies() == ["127.0.0.1", "::1"]


@pytest.fixture
def _keep_the_test_transaction() -> Iterator[None]:
    # As in test_handlers.py: a real handler closes "old" connections around a request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _served_status(path: str, peer: str, headers: dict[str, str]) -> int:
    """One GET from ``peer`` through the application as amanat.wsgi serves it (the
    site's chain and the API's), built now: middleware reads settings when built."""
    from amanat.intake.handlers import PathDispatch

    application = PathDispatch()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "testserver", "SERVER_PORT": "80", "HTTP_HOST": "testserver",
        "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "REMOTE_ADDR": peer,
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": io.StringIO(),
    }
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    status: list[int] = []

    def start_response(line: str, response_headers: Any, exc_info: Any = None) -> None:
        status.append(int(line.split()[0]))

    b"".join(application(environ, start_response))
    return status[0]


@pytest.mark.django_db
@pytest.mark.usefixtures("_keep_the_test_transaction")
@pytest.mark.parametrize("path", ["/accounts/login/", "/api/v1/openapi.json"])
def test_only_a_trusted_proxy_may_say_the_request_came_over_https(settings: Any,
                                                                  path: str) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    claim = {"X-Forwarded-Proto": "https"}
    assert _served_status(path, "10.0.0.5", claim) == 200
    # Straight to the app, claiming HTTPS: redirected to HTTPS like any plain request.
    assert _served_status(path, "198.51.100.9", claim) == 301


def test_no_proxy_is_trusted_unless_named(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default trusts nobody: `amanat serve` answers on the loopback, so a local client
    (or a tunnel) writing X-Forwarded-For must not be believed."""
    from amanat.settings import _trusted_proxies

    monkeypatch.delenv("AMANAT_TRUSTED_PROXIES", raising=False)
    assert _trusted_proxies() == []
