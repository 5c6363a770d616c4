"""The access logs the project writes keep no gateway secret, mobile number or message
(attack review 2026-12 F7): gunicorn's as ``amanat serve`` runs it, and the documented
nginx site's."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from amanat.accounts.tests.test_behind_nginx import WebClient, nginx  # noqa: F401
from amanat.core.logredact import redact_query, redact_request_line, redact_uri
from amanat.core.management.commands.serve import gunicorn_argv

SECRET = "s3cret-not-in-logs"
KANNEL = (f"/api/v1/sms/kannel?key={SECRET}&id=77&from=09130000009&to=3000"
          "&text=T1%232321-0001%23100")


def test_the_sms_endpoints_queries_are_dropped_and_numbers_elsewhere_masked() -> None:
    assert redact_request_line(f"GET {KANNEL} HTTP/1.1") \
        == "GET /api/v1/sms/kannel?[redacted] HTTP/1.1"
    assert redact_query("/api/v1/incidents/sms", "sig=abc") == "[redacted]"
    assert redact_uri("/stations/?q=%DB%B0%DB%B9%DB%B1%DB%B3%DB%B1%DB%B2%DB%B3%DB%B4%DB%B5"
                      "%DB%B6%DB%B7&page=2") == "/stations/?q=[redacted]&page=2"
    assert redact_uri("/people/?q=0912-345-6789&sort=name") \
        == "/people/?q=[redacted]&sort=name"
    assert redact_uri("/x/?password=p&token=t&refresh=30") \
        == "/x/?password=[redacted]&token=[redacted]&refresh=30"
    assert redact_uri("https://h/a?from=0913&x=1#f") == "https://h/a?from=[redacted]&x=1#f"
    assert redact_uri("/operations/?refresh=30") == "/operations/?refresh=30"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_served_access_log_has_no_secret_or_number(tmp_path: Path) -> None:
    """gunicorn started as ``amanat serve`` starts it; a Kannel call and a search with a
    phone number; its access log (stdout) must name neither."""
    port = _free_port()
    argv = gunicorn_argv(host="127.0.0.1", port=port, workers=1, threads=2)
    env = {**os.environ, "AMANAT_SQLITE_PATH": str(tmp_path / "db.sqlite3"),
           "AMANAT_KANNEL_SECRET": SECRET, "PYTHONPATH": str(Path.cwd())}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        try:
            for _ in range(300):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            for path in (KANNEL, "/stations/?q=09131234567&page=2"):
                with contextlib.suppress(Exception):  # any answer: the log is the point
                    urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30)
            time.sleep(0.5)
        finally:
            server.terminate()
            server.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert "/api/v1/sms/kannel?[redacted]" in text, text[-2000:]
    assert "q=[redacted]&page=2" in text
    assert SECRET not in text and "0913" not in text and "2321-0001" not in text


@pytest.mark.django_db(transaction=True)
def test_the_documented_nginx_site_logs_no_query(nginx: int, tmp_path: Path,  # noqa: F811
                                                  live_server: Any) -> None:
    client = WebClient("127.0.0.1", nginx, "127.0.0.1")
    client.request("GET", KANNEL)
    client.request("GET", "/stations/?q=09131234567")
    log = tmp_path / "amanat.access.log"
    for _ in range(50):  # nginx writes the line after the answer
        if log.exists() and log.read_text().count("\n") >= 2:
            break
        time.sleep(0.1)
    text = log.read_text()
    assert "/api/v1/sms/kannel " in text and "/stations/ " in text, text
    assert SECRET not in text and "0913" not in text and "?" not in text
