#!/usr/bin/env python3
"""A throwaway Kannel for tests and benchmarks: bearerbox, smsbox and Kannel's fake SMS
centre (``fakesmsc`` from kannel-extras) on free local ports.

``KannelHarness(get_url=..., secret=...)`` writes deploy/kannel/kannel.conf.template into
a temporary folder, starts bearerbox, the receiving fakesmsc (it prints every message
bearerbox sends to the SMS centre) and smsbox, and waits until bearerbox's status says
the fake SMS centre is online and smsbox is connected.  ``inject`` sends messages as if
from phones (a short-lived fakesmsc on the second fake connection); ``received`` reads
what reached the fake SMS centre.  ``stop`` ends the processes it started, by their ids.

scripts/with-kannel runs a command with one running (``python3 scripts/kannel.py run
CMD...``): the sendsms URL, user and password exported as AMANAT_KANNEL_*; incoming
messages go to ``$AMANAT_KANNEL_GET_URL`` (default http://127.0.0.1:8000/api/v1/sms/kannel)
with ``$AMANAT_KANNEL_SECRET``.  Exits 3 when Kannel is not installed.
"""

from __future__ import annotations

import os
import random
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "kannel" / "kannel.conf.template"
BEARERBOX = shutil.which("bearerbox") or "/usr/sbin/bearerbox"
SMSBOX = shutil.which("smsbox") or "/usr/sbin/smsbox"
FAKESMSC = shutil.which("fakesmsc") or "/usr/lib/kannel/test/fakesmsc"


def installed() -> bool:
    return all(os.access(path, os.X_OK) for path in (BEARERBOX, SMSBOX, FAKESMSC))


def free_port(taken: set[int] | None = None) -> int:
    """A free local port; within ``$AMANAT_KANNEL_PORT_RANGE`` (e.g. 13100-13199) when
    set, for machines whose users share out port ranges."""
    span = os.environ.get("AMANAT_KANNEL_PORT_RANGE", "")
    candidates = [0]
    if span:
        low, high = (int(part) for part in span.split("-"))
        candidates = [p for p in range(low, high + 1) if p not in (taken or set())]
        random.shuffle(candidates)
    for candidate in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = sock.getsockname()[1]
            return port
    raise RuntimeError(f"no free port in {span}")


@dataclass(frozen=True)
class Received:
    """One message that reached the fake SMS centre."""

    sender: str
    to: str
    text: str


def _decode(kind: str, data: str) -> str:
    # fakesmsc URL-encodes binary and UCS-2 data with "+" for a space (0x20) byte.
    if kind == "ucs-2":
        return urllib.parse.unquote_to_bytes(data.replace("+", " ")).decode(
            "utf-16-be", "replace")
    if kind in ("data", "udh-data"):
        return urllib.parse.unquote_to_bytes(data.replace("+", " ")).decode(
            "utf-8", "replace")
    return data


def _part_text(data: bytes) -> str:
    """A concatenated message's bytes: UCS-2 when they look like it (every high byte
    that of ASCII, Arabic script or punctuation such as the ZWNJ), else plain text."""
    high = data[0::2]
    if len(data) % 2 == 0 and high and all(b in (0x00, 0x06, 0x20, 0xFB, 0xFE) for b in high):
        return data.decode("utf-16-be", "replace")
    return data.decode("utf-8", "replace")


def parse_fakesmsc(output: str) -> list[Received]:
    """fakesmsc's log lines ``Got message N: <from to type data>``.

    A long message comes in parts (``from to udh UDH data DATA``, the UDH's concatenation
    element naming the message, the part count and the part's number): its parts are
    put together into one message, listed where its first part came.  fakesmsc does not
    say a part's coding; Amanat sends every text that is not ASCII as UCS-2, so a part's
    ``data`` that looks like UCS-2 is read as UCS-2 (``_part_text``).
    """
    found: list[Received | None] = []
    pieces: dict[tuple[str, str, int], dict[int, bytes]] = {}
    slots: dict[tuple[str, str, int], tuple[int, int, str]] = {}
    for line in output.splitlines():
        if "Got message" not in line or ": <" not in line:
            continue
        body = line.split(": <", 1)[1].rstrip().removesuffix(">")
        parts = body.split(" ", 3)
        if len(parts) != 4:
            continue
        if parts[2] != "udh":
            found.append(Received(parts[0], parts[1], _decode(parts[2], parts[3])))
            continue
        udh_text, _kind, data = [*parts[3].split(" ", 2), "", ""][:3]
        udh = urllib.parse.unquote_to_bytes(udh_text.replace("+", " "))
        if len(udh) < 6 or udh[1] != 0x00:  # not an 8-bit concatenation element
            found.append(Received(parts[0], parts[1], _part_text(
                urllib.parse.unquote_to_bytes(data.replace("+", " ")))))
            continue
        key = (parts[0], parts[1], udh[3])
        total, number = udh[4], udh[5]
        if key not in pieces or number in pieces[key]:  # a new message with this reference
            pieces[key] = {}
            slots[key] = (len(found), total, data)
            found.append(None)
        pieces[key][number] = urllib.parse.unquote_to_bytes(data.replace("+", " "))
        if len(pieces[key]) == total:
            joined = b"".join(pieces[key][n] for n in sorted(pieces[key]))
            found[slots[key][0]] = Received(parts[0], parts[1], _part_text(joined))
    return [message for message in found if message is not None]


class KannelHarness:
    def __init__(self, *, get_url: str, secret: str = "", workdir: Path | None = None
                 ) -> None:
        self.get_url = get_url
        self.secret = secret or secrets.token_urlsafe(24)
        self._own_dir = workdir is None
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="amanat-kannel-"))
        self.ports: dict[str, int] = {}
        self._choose_ports()
        self.admin_password = secrets.token_urlsafe(12)
        self.user = "amanat"
        self.sender = "30001234"
        self.password = secrets.token_urlsafe(12)
        self.processes: list[subprocess.Popen[bytes]] = []
        self.receiver_log = self.dir / "fakesmsc.out"

    def _choose_ports(self) -> None:
        taken: set[int] = set()
        for name in ("admin_port", "smsbox_port", "fake_port", "inject_port",
                     "sendsms_port"):
            self.ports[name] = free_port(taken)
            taken.add(self.ports[name])

    @property
    def sendsms_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['sendsms_port']}/cgi-bin/sendsms"

    def env(self) -> dict[str, str]:
        return {"AMANAT_KANNEL_SENDSMS_URL": self.sendsms_url,
                "AMANAT_KANNEL_USER": self.user, "AMANAT_KANNEL_PASSWORD": self.password,
                "AMANAT_KANNEL_SECRET": self.secret,
                "AMANAT_SMS_BACKEND": "amanat.core.notify.KannelBackend"}

    def _write_config(self) -> Path:
        text = string.Template(TEMPLATE.read_text()).substitute(
            **self.ports, admin_password=self.admin_password, log_dir=str(self.dir),
            sendsms_user=self.user, sendsms_password=self.password,
            get_url=self.get_url, secret=self.secret, sender=self.sender)
        path = self.dir / "kannel.conf"
        path.write_text(text)
        return path

    def _start(self, args: list[str], log_name: str) -> subprocess.Popen[bytes]:
        with open(self.dir / log_name, "wb") as out:
            process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, cwd=self.dir)
        self.processes.append(process)
        return process

    def status(self) -> str:
        url = (f"http://127.0.0.1:{self.ports['admin_port']}/status.txt?"
               f"password={self.admin_password}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                text: str = answer.read().decode("utf-8", "replace")
                return text
        except OSError:
            return ""

    def _wait(self, ready: object, what: str, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if callable(ready) and ready():
                return
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"Kannel: {process.args!r} exited while waiting "
                                       f"for {what}; logs in {self.dir}")
            time.sleep(0.1)
        raise RuntimeError(f"Kannel: timed out waiting for {what}; logs in {self.dir}")

    def start(self, attempts: int = 3) -> KannelHarness:
        """Start bearerbox, the fake SMS centre and smsbox.  A free port is only free
        when it is chosen: another process (any outgoing connection takes one of the
        same ephemeral ports) may bind it before bearerbox does, which then exits with
        "Address already in use"; the harness then starts again on new ports."""
        for attempt in range(attempts):
            try:
                return self._start_once()
            except RuntimeError:
                log = self.dir / "bearerbox.log"
                clash = log.exists() and "Address already in use" in log.read_text(
                    errors="replace")
                self.stop_processes()
                if not clash or attempt == attempts - 1:
                    raise
                log.unlink()
                self._choose_ports()
        raise AssertionError("unreachable")

    def _start_once(self) -> KannelHarness:
        config = self._write_config()
        self._start([BEARERBOX, str(config)], "bearerbox.out")
        self._wait(lambda: "Status:" in self.status(), "bearerbox's admin port")
        self._start([FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["fake_port"]),
                     "-i", "0", "-m", "0", "0 0 text nop"], "fakesmsc.out")
        self._start([SMSBOX, str(config)], "smsbox.out")

        def ready() -> bool:
            status = self.status()
            fake_online = any(line.strip().startswith("fake") and "online" in line
                              for line in status.splitlines())
            return fake_online and "smsbox:" in status and _listening(
                self.ports["sendsms_port"])

        self._wait(ready, "the fake SMS centre and smsbox")
        return self

    def stop(self) -> None:
        self.stop_processes()
        if self._own_dir and not os.environ.get("AMANAT_KEEP_KANNEL_LOGS"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def stop_processes(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.processes.clear()

    def __enter__(self) -> KannelHarness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def received(self) -> list[Received]:
        try:
            output = self.receiver_log.read_bytes().decode("utf-8", "replace")
        except FileNotFoundError:
            return []
        return parse_fakesmsc(output)

    def wait_received(self, count: int, timeout: float = 20) -> list[Received]:
        """The messages received so far, once there are at least ``count``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.received()
            if len(found) >= count:
                return found
            time.sleep(0.05)
        return self.received()

    def inject(self, sender: str, to: str, text: str, *, ucs2: bool = False,
               count: int = 1, interval: float = 0, randomize: int = 0,
               timeout: float = 60) -> None:
        """Send ``count`` messages into bearerbox as the SMS centre would (from phones).

        ``ucs2``: as UCS-2 (how a phone sends Persian) rather than plain text.
        ``randomize``: fakesmsc's -z mask (1 sender, 4 the text's last word get random
        digits appended).
        """
        self.inject_many([(sender, to, text)], ucs2=ucs2, count=count, interval=interval,
                         randomize=randomize, timeout=timeout)

    def inject_many(self, messages: list[tuple[str, str, str]], *, ucs2: bool = False,
                    count: int = 1, interval: float = 0, randomize: int = 0,
                    timeout: float = 60) -> None:
        """``count`` messages, each one of ``messages`` (sender, to, text) chosen at
        random by fakesmsc: many phones from one fakesmsc (``inject`` sends one)."""
        lines = []
        for sender, to, text in messages:
            if ucs2:
                kind, data = "ucs2", urllib.parse.quote_from_bytes(text.encode("utf-16-be"))
            else:
                kind, data = "text", text
            lines.append(f"{sender} {to} {kind} {data}")
        name = f"inject-{secrets.token_hex(4)}.out"
        args = [FAKESMSC, "-H", "127.0.0.1", "-r", str(self.ports["inject_port"]),
                "-i", str(interval), "-m", str(count)]
        if randomize:
            args += ["-z", str(randomize)]
        with open(self.dir / name, "wb") as out:
            process = subprocess.Popen([*args, *lines], stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            # fakesmsc stays connected after its last message: end it once it said so.
            done = f"sent message {count}\n".encode()
            deadline = time.monotonic() + timeout
            while done not in (self.dir / name).read_bytes():
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"fakesmsc did not send {count} messages: "
                                       f"{(self.dir / name).read_text(errors='replace')}")
                time.sleep(0.02)
            # Let bearerbox read the last message off the socket before the close.
            time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "run":
        print("usage: scripts/kannel.py run CMD [ARG...]", file=sys.stderr)
        return 2
    if not installed():
        print("Kannel is not installed (bearerbox, smsbox, fakesmsc): nothing ran.\n"
              "Install it (Debian: apt-get install kannel kannel-extras).", file=sys.stderr)
        return 3
    harness = KannelHarness(
        get_url=os.environ.get("AMANAT_KANNEL_GET_URL",
                               "http://127.0.0.1:8000/api/v1/sms/kannel"),
        secret=os.environ.get("AMANAT_KANNEL_SECRET", ""))
    with harness:
        env = {**os.environ, **harness.env(), "AMANAT_KANNEL_DIR": str(harness.dir)}
        return subprocess.call(argv[1:], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
