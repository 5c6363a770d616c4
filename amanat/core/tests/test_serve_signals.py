"""``amanat serve`` runs gunicorn and the background task worker; SIGTERM (a service
manager's stop) ends both, and the worker does not outlive the server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

AMANAT = Path(sys.executable).with_name("amanat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    """Every process below ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_sigterm_stops_the_server_and_the_task_worker(tmp_path: Path) -> None:
    env = {**os.environ, "AMANAT_SQLITE_PATH": str(tmp_path / "serve.sqlite3"),
           "AMANAT_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    subprocess.run([str(AMANAT), "migrate", "--noinput"], env=env, check=True,
                   capture_output=True, timeout=300)
    port = _free_port()
    serve = subprocess.Popen([str(AMANAT), "serve", "--port", str(port), "--workers", "1",
                              "--threads", "2"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        children = _children(serve.pid)
        commands = " ".join(Path(f"/proc/{c}/cmdline").read_bytes().decode(errors="replace")
                            for c in children if _alive(c))
        assert "task_worker" in commands and "gunicorn" in commands
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=90)
        deadline = time.monotonic() + 30
        while any(_alive(c) for c in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [c for c in children if _alive(c)]
    finally:
        if serve.poll() is None:
            serve.kill()
        for child in _children(serve.pid):
            os.kill(child, signal.SIGKILL)
