"""Sign-in lockout behind a real nginx, configured as deploy/nginx/amanat.conf says.

Debian's nginx runs in the foreground with the repository's site (ports, the upstream,
the static folder and the certificate replaced) in front of a live server of the app.  Clients
connect from different loopback addresses (127.0.0.2, 127.0.0.3, …), so nginx sees them
as different clients, exactly as it would see addresses on the internet; nginx reaches
the app from 127.0.0.1, the trusted proxy.  127.0.0.4 plays a load balancer in front of
nginx, also trusted, that passes its clients' addresses on in X-Forwarded-For.
"""

from __future__ import annotations

import contextlib
import datetime
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from axes.models import AccessAttempt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth.models import User

from amanat.accounts.testing import Personas
from amanat.audit.models import Event

SITE = Path(__file__).resolve().parents[3] / "deploy" / "nginx" / "amanat.conf"
PASSWORD = "a-long-test-passphrase-1404"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
LOAD_BALANCER = "127.0.0.4"

pytestmark = pytest.mark.django_db(transaction=True)


def _nginx_missing() -> str | None:
    if os.path.exists(NGINX):
        return None
    return "nginx not found: the proxy test needs Debian's nginx package"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _documented_site() -> str:
    """The nginx site of the repository, unchanged."""
    return SITE.read_text()


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "amanat.test")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def _config(folder: Path, *, upstream: str, http_port: int, https_port: int) -> Path:
    """The documented site with only the machine-specific parts replaced, inside the
    minimal main configuration a foreground nginx in a temporary folder needs."""
    cert, key = _self_signed(folder)
    site = _documented_site()
    static = folder / "static"
    static.mkdir(exist_ok=True)
    for old, new in [
        ("server 127.0.0.1:8000;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;"),
        ("/var/log/nginx/amanat.access.log", str(folder / "amanat.access.log")),
        ("/etc/ssl/amanat/fullchain.pem", str(cert)),
        ("/etc/ssl/amanat/privkey.pem", str(key)),
        ("alias /srv/amanat/static/;", f"alias {static}/;"),
    ]:
        assert old in site, f"deploy/nginx/amanat.conf no longer has {old!r}"
        site = site.replace(old, new)
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # CI runs as root: nginx's workers would switch to "nobody", who cannot use the
    # temporary folder; as anyone else the directive does not apply.
    user = "user root;" if os.geteuid() == 0 else ""
    path = folder / "nginx.conf"
    path.write_text(f"""{user}
worker_processes 1;
events {{ worker_connections 64; }}
http {{
    access_log {folder / "access.log"};
{temp}
{site}
}}
""")
    return path


@pytest.fixture
def nginx(live_server: Any, tmp_path: Path, settings: Any) -> Iterator[int]:
    """nginx in front of the live server; yields its HTTPS port."""
    _require_nginx()
    settings.AMANAT_TRUSTED_PROXIES = ["127.0.0.1", LOAD_BALANCER]
    upstream = live_server.url.removeprefix("http://")
    https_port = _free_port()
    with _running(tmp_path, upstream=upstream, http_port=_free_port(), https_port=https_port):
        yield https_port


def _require_nginx() -> None:
    problem = _nginx_missing()
    if problem:
        if os.environ.get("AMANAT_REQUIRE_NGINX"):
            pytest.fail(f"{problem} (AMANAT_REQUIRE_NGINX is set)")
        pytest.skip(problem)


@contextlib.contextmanager
def _running(folder: Path, *, upstream: str, http_port: int, https_port: int
             ) -> Iterator[None]:
    """Debian's nginx with the repository's site (``_config``) until the block ends."""
    conf = _config(folder, upstream=upstream, http_port=http_port, https_port=https_port)
    error_log = folder / "error.log"
    # A fixed binary and a generated configuration.
    process = subprocess.Popen([
        NGINX, "-p", str(folder), "-c", str(conf), "-e", str(error_log),
        "-g", f"daemon off; pid {folder / 'nginx.pid'}; error_log {error_log} warn;",
    ])
    try:
        _wait_for(process, https_port, error_log)
        yield
    finally:
        process.terminate()
        process.wait(timeout=20)


def _wait_for(process: subprocess.Popen[bytes], port: int, error_log: Path) -> None:
    for _ in range(200):
        if process.poll() is not None:
            log = error_log.read_text() if error_log.exists() else ""
            pytest.fail(f"nginx exited with {process.returncode}: {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not start listening")


@dataclass
class WebClient:
    """A browser at ``source`` (a loopback address of its own): cookies, CSRF token."""

    host: str
    port: int
    source: str
    tls: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)

    def _connection(self) -> http.client.HTTPConnection:
        if self.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the test's own self-signed certificate
            return http.client.HTTPSConnection(self.host, self.port, timeout=30,
                                               source_address=(self.source, 0),
                                               context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=30,
                                          source_address=(self.source, 0))

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
            return response.status, response.read().decode()
        finally:
            connection.close()

    def sign_in(self, username: str, password: str) -> int:
        """Open the sign-in page, then post the form; the answer's status."""
        status, page = self.request("GET", "/accounts/login/")
        assert status == 200, page[:500]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token
        from urllib.parse import urlencode

        form = urlencode({"csrfmiddlewaretoken": token.group(1), "username": username,
                          "password": password})
        return self.request("POST", "/accounts/login/", form)[0]


@pytest.fixture
def governor(personas: Personas) -> User:
    user = personas.gharchak_governor
    user.set_password(PASSWORD)
    user.save()
    return user


def _through_nginx(port: int, source: str, forwarded: str | None = None) -> WebClient:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return WebClient("127.0.0.1", port, source, headers=headers)


def test_clients_through_nginx_are_counted_separately(nginx: int, governor: User) -> None:
    attacker = _through_nginx(nginx, "127.0.0.2")
    for _ in range(5):
        assert attacker.sign_in(governor.username, "wrong") in {200, 429}
    assert attacker.sign_in(governor.username, PASSWORD) == 429
    # Another client of the same nginx is not locked out with the attacker.
    assert _through_nginx(nginx, "127.0.0.3").sign_in(governor.username, PASSWORD) == 302
    # Nor are two clients that the load balancer in front of nginx names apart.
    behind_lb = _through_nginx(nginx, LOAD_BALANCER, forwarded="198.51.100.1")
    for _ in range(5):
        behind_lb.sign_in(governor.username, "wrong")
    assert behind_lb.sign_in(governor.username, PASSWORD) == 429
    other = _through_nginx(nginx, LOAD_BALANCER, forwarded="198.51.100.2")
    assert other.sign_in(governor.username, PASSWORD) == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "127.0.0.2", "198.51.100.1"}
    sign_ins = Event.objects.filter(action="auth.sign_in").order_by("seq")
    assert [e.extra["ip"] for e in sign_ins] == ["127.0.0.3", "198.51.100.2"]


def test_a_forged_header_counts_by_the_connection(nginx: int, live_server: Any,
                                                  governor: User) -> None:
    host, port = live_server.url.removeprefix("http://").rsplit(":", 1)
    # Straight to the app, not through a trusted proxy: a new made-up address each time.
    for n in range(5):
        forger = WebClient(host, int(port), "127.0.0.2", tls=False,
                           headers={"X-Forwarded-For": f"192.0.2.{n}"})
        assert forger.sign_in(governor.username, "wrong") in {200, 429}
    forger = WebClient(host, int(port), "127.0.0.2", tls=False,
                       headers={"X-Forwarded-For": "192.0.2.99"})
    assert forger.sign_in(governor.username, PASSWORD) == 429
    # Through nginx, a client's own header is kept to the left of its real address.
    spoof = _through_nginx(nginx, "127.0.0.3", forwarded="192.0.2.50")
    for _ in range(5):
        spoof.sign_in(governor.username, "wrong")
    assert _through_nginx(nginx, "127.0.0.3", forwarded="192.0.2.51").sign_in(
        governor.username, PASSWORD) == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        "127.0.0.2", "127.0.0.3"}


def test_many_usernames_from_one_address_through_nginx_are_locked(
    nginx: int, governor: User, settings: Any
) -> None:
    settings.AMANAT_SIGN_IN_ADDRESS_LIMIT = 6
    sprayer = _through_nginx(nginx, "127.0.0.2")
    for n in range(6):  # one password per username: no pair comes near its limit of 5
        assert sprayer.sign_in(f"clerk{n}", "Winter1404!") in {200, 429}
    assert sprayer.sign_in(governor.username, PASSWORD) == 429
    assert _through_nginx(nginx, "127.0.0.3").sign_in(governor.username, PASSWORD) == 302
    # The audit log has one event per name (the caps are higher), all from 127.0.0.2.
    failed = Event.objects.filter(action="auth.sign_in_failed")
    assert {e.extra["ip"] for e in failed} == {"127.0.0.2"}


# Review 2026-12 (attack at national scale, docs/reviews/2026-12-attack-scale.md): what a
# client can make the documented site do, seen from an upstream that records what nginx
# passes on.

@dataclass
class _Echo:
    port: int
    seen: list[dict[str, str]] = field(default_factory=list)


@pytest.fixture
def echo_nginx(tmp_path: Path) -> Iterator[tuple[_Echo, int, int]]:
    """nginx with the documented site in front of a recording upstream: (upstream,
    HTTP port, HTTPS port)."""
    import http.server
    import threading

    _require_nginx()
    echo = _Echo(_free_port())

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            echo.seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", echo.port), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    http_port, https_port = _free_port(), _free_port()
    try:
        with _running(tmp_path, upstream=f"127.0.0.1:{echo.port}", http_port=http_port,
                      https_port=https_port):
            yield echo, http_port, https_port
    finally:
        server.shutdown()



def test_a_client_cannot_make_the_http_site_redirect_elsewhere(
        echo_nginx: tuple[_Echo, int, int]) -> None:
    """Finding 3: ``return 301 https://$host…`` sent any client to the host it named."""
    _echo, http_port, _https = echo_nginx
    connection = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
    connection.request("GET", "/accounts/login/?next=/", headers={"Host": "evil.example"})
    response = connection.getresponse()
    assert response.status == 301
    assert response.getheader("Location") == "https://amanat.example.ir/accounts/login/?next=/"
    assert "nginx/" not in (response.getheader("Server") or "")  # no version given away


def test_proxy_headers_a_client_writes_do_not_reach_the_app(
        echo_nginx: tuple[_Echo, int, int]) -> None:
    """Finding 4: nginx passed a client's own X-Real-IP, Forwarded, X-Forwarded-Host and
    -Port to the app, on the trusted proxy's connection (the app reads none of them
    today: defence in depth against the next reader)."""
    echo, _http, https_port = echo_nginx
    client = WebClient("127.0.0.1", https_port, "127.0.0.2", headers={
        "X-Real-IP": "192.0.2.7", "Forwarded": "for=192.0.2.7;proto=https",
        "X-Forwarded-Host": "evil.example", "X-Forwarded-Port": "1",
        "X-Forwarded-Proto": "https", "X-Forwarded-For": "192.0.2.7"})
    assert client.request("GET", "/")[0] == 200
    seen = echo.seen[-1]
    for name in ("x-real-ip", "forwarded", "x-forwarded-host", "x-forwarded-port"):
        assert name not in seen, (name, seen)
    assert seen["x-forwarded-for"] == "192.0.2.7, 127.0.0.2"  # nginx's entry last
    assert seen["x-forwarded-proto"] == "https"


def test_only_tls_1_2_and_later(echo_nginx: tuple[_Echo, int, int]) -> None:
    _echo, _http, https_port = echo_nginx
    for version, accepted in [(ssl.TLSVersion.TLSv1_1, False), (ssl.TLSVersion.TLSv1_2, True),
                              (ssl.TLSVersion.TLSv1_3, True)]:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        context.set_ciphers("ALL:@SECLEVEL=0")
        context.minimum_version = context.maximum_version = version
        try:
            with socket.create_connection(("127.0.0.1", https_port), timeout=10) as raw, \
                    context.wrap_socket(raw):
                handshake = True
        except (ssl.SSLError, OSError):
            handshake = False
        assert handshake is accepted, version


def test_static_files_are_served_by_nginx_not_the_app(
        echo_nginx: tuple[_Echo, int, int], tmp_path: Path) -> None:
    """The issue's layout: nginx serves /static/ from the collected folder itself; the
    app is never asked, for a file there or for one that is not."""
    echo, _http, https_port = echo_nginx
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "probe.css").write_text("body{direction:rtl}")
    client = WebClient("127.0.0.1", https_port, "127.0.0.2")
    status, body = client.request("GET", "/static/css/probe.css")[:2]
    assert (status, body) == (200, "body{direction:rtl}")
    assert client.request("GET", "/static/css/missing.css")[0] == 404
    assert echo.seen == []  # none of it reached the app
    assert client.request("GET", "/accounts/login/")[0] == 200
    assert len(echo.seen) == 1  # everything else does
    # Out of the folder: nginx's own configuration (beside it here) is never sent.
    for path in ("/static/../nginx.conf", "/static/..%2fnginx.conf", "/static//../nginx.conf"):
        status, body = client.request("GET", path)
        assert "worker_processes" not in body, path


def test_a_browser_form_through_nginx_on_its_own_port_passes_the_origin_check(
        nginx: int, governor: User, settings: Any) -> None:
    """A browser sends ``Origin: https://name:port``; Django compares it with the Host
    nginx passes on. The site's ``Host $host`` dropped the port, and every sign-in through
    an nginx on any port but 443 was 403 (user review 2026-12-user-scale, finding 4);
    ``$http_host`` keeps it."""
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    browser = _through_nginx(nginx, "127.0.0.4")
    browser.headers["Origin"] = f"https://127.0.0.1:{nginx}"
    assert browser.sign_in(governor.username, PASSWORD) == 302
