"""Benchmark: the SMS path end to end through Kannel and its fake SMS centre.

``--messages`` reports (``VB 2310-0042 …``, each from its own phone) are injected at
Kannel's fake SMS centre (fakesmsc, as fast as it sends); bearerbox passes them to
smsbox, smsbox calls Amanat's get-url (``amanat serve``: gunicorn and the task worker as
deployed, SQLite in a temporary folder), Amanat stores each raw message and its report,
and the task worker sends the Persian reply through sendsms back to the fake SMS centre.
Measured from the first message injected until every message is stored and every reply
has arrived; ``lost`` counts messages never stored, ``replies_lost`` replies never seen
at the fake SMS centre.

The baseline, in the same run: the same number of messages sent straight to the get-url
endpoint by ``--clients`` concurrent HTTP clients (no Kannel on the way in; the replies
still go out through Kannel), which is what Kannel's leg costs on top.

``--mode checkins`` (issue 16) measures the election-day check-in path instead: every
message is a turnout check-in ``T1#۲۳۱۰-NNNN#350`` (UCS-2, Persian digits) from the
registered phone of one of ``--stations`` stations' staff, so each one is checked against
staffing (phone and station), its window, the quality rules, stored as a check-in with
the station's day moved on (operations.sms), and answered in Persian.  ``lost`` then
counts messages that did not become a check-in.

    scripts/with-kannel is not needed: this starts its own Kannel (scripts/kannel.py).
    PYTHONPATH=$PWD .venv/bin/python bench/sms.py [--messages 500] [--clients 8]
    PYTHONPATH=$PWD .venv/bin/python bench/sms.py --mode checkins [--stations 200]

Prints JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import kannel  # noqa: E402  (scripts/kannel.py, after the path)

SECRET = "bench-secret"  # noqa: S105  (a throwaway gateway)


def setup_django(db_path: Path, harness: kannel.KannelHarness) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    os.environ.update(harness.env())
    os.environ["AMANAT_VAR_DIR"] = str(db_path.parent)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def prepare() -> None:
    """A county, a city and one station 2310-0042 of a current election."""
    import datetime

    from django.utils import timezone

    from amanat.elections.models import Election
    from amanat.stations.models import Station
    from conftest import make_unit

    iran = make_unit("country", "IR", "ایران")
    tehran = make_unit("province", "23", "تهران", iran)
    county = make_unit("county", "2310", "قرچک", tehran)
    district = make_unit("district", "231001", "مرکزی", county)
    city = make_unit("city", "231001001", "قرچک", district)
    election = Election.objects.create(
        name="انتخابات آزمایشی", slug="bench-1405",
        election_day=timezone.localdate() + datetime.timedelta(days=30))
    Station.objects.create(election=election, county=county, unit=city, unit_path=city.path,
                           code="0042", name="دبستان فردوسی")


KANNEL_PHONES, DIRECT_PHONES = "0912", "0913"


def prepare_checkins(stations: int) -> dict[str, list[tuple[str, str]]]:
    """``prepare`` plus, for each path, ``stations`` stations with a representative whose
    phone is registered, the default windows and the 10:00 turnout window open now.
    Returns each path's (phone, station code) pairs."""
    import datetime

    from django.utils import timezone

    from amanat.elections.models import Election
    from amanat.geo.models import AdminUnit
    from amanat.operations import services
    from amanat.operations.models import Window
    from amanat.staffing.models import Assignment, Person
    from amanat.stations.models import Station

    prepare()
    election = Election.objects.get(slug="bench-1405")
    county = AdminUnit.objects.get(kind="county", code="2310")
    city = AdminUnit.objects.get(kind="city", code="231001001")
    pairs: dict[str, list[tuple[str, str]]] = {KANNEL_PHONES: [], DIRECT_PHONES: []}
    number = 100
    for prefix in pairs:
        for _n in range(stations):
            number += 1
            code = f"{number:04d}"
            station = Station.objects.create(
                election=election, county=county, unit=city, unit_path=city.path, code=code,
                name=f"شعبه {code}", expected_voters=1000)
            phone = f"{prefix}{number:07d}"
            person = Person.objects.create(
                county=county, home_unit=city, unit_path=city.path,
                national_id=f"{number:010d}", first_name="نفر", last_name=code, mobile=phone)
            Assignment.objects.create(election=election, station=station, county=county,
                                      unit_path=city.path, post="representative", slot=1,
                                      person=person)
            pairs[prefix].append((phone, code))
    services.windows_default_create(election=election, actor=None)
    now = timezone.now()
    Window.objects.filter(election=election, code="T1").update(
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(hours=3))
    services.day_prepare(election=election)
    return pairs


def _checkins(prefix: str) -> int:
    from amanat.operations.models import Checkin

    return Checkin.objects.filter(sender__startswith=prefix).count()


def _checkin_text(code: str, voters: int) -> str:
    from amanat.lib.persian import to_persian_digits

    return to_persian_digits(f"T1#2310-{code}#{voters}")


def checkins_through_kannel(harness: kannel.KannelHarness, pairs: list[tuple[str, str]],
                            count: int, timeout: float) -> dict[str, Any]:
    start = time.monotonic()
    # fakesmsc picks one of the messages at random for each of the ``count``.
    messages = [(phone, "3000", _checkin_text(code, 300 + n % 50))
                for n, (phone, code) in enumerate(pairs)]
    threading.Thread(target=harness.inject_many, args=(messages,), daemon=True, kwargs={
        "ucs2": True, "count": count, "timeout": timeout}).start()
    result = _wait(count, KANNEL_PHONES, harness, timeout, start)
    made = _checkins(KANNEL_PHONES)
    return result | {"checkins": made, "lost": count - made}


def checkins_direct(server: Server, harness: kannel.KannelHarness,
                    pairs: list[tuple[str, str]], count: int, clients: int,
                    timeout: float) -> dict[str, Any]:
    url = f"http://127.0.0.1:{server.port}/api/v1/sms/kannel"

    def one(n: int) -> int:
        phone, code = pairs[n % len(pairs)]
        query = urllib.parse.urlencode({
            "key": SECRET, "id": f"checkin-{n}", "from": phone, "to": "3000",
            "text": _checkin_text(code, 300 + n % 50), "coding": "0", "charset": "UTF-8"})
        with urllib.request.urlopen(f"{url}?{query}", timeout=60) as answer:  # noqa: S310
            status: int = answer.status
            return status

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, range(count)))
    result = _wait(count, DIRECT_PHONES, harness, timeout, start)
    made = _checkins(DIRECT_PHONES)
    return result | {"clients": clients, "errors": sum(1 for s in statuses if s != 200),
                     "checkins": made, "lost": count - made}


def warm_up(server: Server, clients: int) -> None:
    """Calls without the secret (answered 401, nothing stored) so that every server
    worker has loaded Django before the first leg is timed."""
    url = f"http://127.0.0.1:{server.port}/api/v1/sms/kannel?key=wrong&id=w&from=0"

    def one(_n: int) -> None:
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(url, timeout=60).close()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(clients * 4)))


class Server:
    """``amanat serve`` (gunicorn and the task worker, as deployed) in its own session."""

    def __init__(self, port: int, log: Path, threads: int | None = None) -> None:
        self.port, self.log, self.threads = port, log, threads
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "amanat.cli", "serve", "--port", str(self.port),
                 *(["--threads", str(self.threads)] if self.threads else [])],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)}, cwd=ROOT)
        deadline = time.monotonic() + 90
        while not kannel._listening(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"amanat serve did not start: see {self.log}")
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def _stored(prefix: str) -> int:
    from amanat.core.models import InboundSms

    return InboundSms.objects.filter(sender__startswith=prefix).exclude(
        outcome=InboundSms.Outcome.PENDING).count()


def _replies(harness: kannel.KannelHarness, prefix: str) -> int:
    return sum(1 for m in harness.received() if m.to.startswith(prefix))


def _wait(count: int, prefix: str, harness: kannel.KannelHarness, timeout: float,
          start: float) -> dict[str, Any]:
    """Wait until every message is stored and answered; the seconds to each."""
    stored = replies = 0
    stored_at = answered_at = None
    while time.monotonic() - start < timeout:
        stored, replies = _stored(prefix), _replies(harness, prefix)
        now = time.monotonic()
        if stored >= count and stored_at is None:
            stored_at = now
        if replies >= count and answered_at is None:
            answered_at = now
        if stored_at and answered_at:
            break
        time.sleep(0.1)
    stored_s = (stored_at or time.monotonic()) - start
    answered_s = (answered_at or time.monotonic()) - start
    return {"messages": count, "stored_seconds": round(stored_s, 2),
            "stored_per_second": round(stored / stored_s, 1),
            "answered_seconds": round(answered_s, 2),
            "answered_per_second": round(replies / answered_s, 1),
            "lost": count - stored, "replies_lost": count - replies}


def through_kannel(harness: kannel.KannelHarness, count: int, timeout: float
                   ) -> dict[str, Any]:
    prefix = "0911"
    start = time.monotonic()
    # -z 1: fakesmsc appends random digits to the sender, one phone per message.
    threading.Thread(target=harness.inject, daemon=True, kwargs={
        "sender": prefix, "to": "3000", "text": "VB ۲۳۱۰-۰۰۴۲ گزارش آزمایشی",
        "ucs2": True, "count": count, "randomize": 1, "timeout": timeout}).start()
    return _wait(count, prefix, harness, timeout, start)


def direct(server: Server, harness: kannel.KannelHarness, count: int, clients: int,
           timeout: float) -> dict[str, Any]:
    prefix = "0933"
    url = f"http://127.0.0.1:{server.port}/api/v1/sms/kannel"

    def one(n: int) -> int:
        query = urllib.parse.urlencode({
            "key": SECRET, "id": f"direct-{n}", "from": f"{prefix}{n:07d}", "to": "3000",
            "text": "VB ۲۳۱۰-۰۰۴۲ گزارش آزمایشی", "coding": "0", "charset": "UTF-8"})
        with urllib.request.urlopen(f"{url}?{query}", timeout=60) as answer:  # noqa: S310
            status: int = answer.status
            return status

    start = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        statuses = list(pool.map(one, range(count)))
    result = _wait(count, prefix, harness, timeout, start)
    return result | {"clients": clients, "errors": sum(1 for s in statuses if s != 200)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--mode", choices=("reports", "checkins"), default="reports",
                        help="incident reports (default) or election-day check-ins")
    parser.add_argument("--stations", type=int, default=200,
                        help="checkins: stations (with one registered phone each) per path")
    parser.add_argument("--serve-threads", type=int, default=None,
                        help="request threads per server worker (default: amanat serve's)")
    args = parser.parse_args()
    if not kannel.installed():
        sys.exit("Kannel is not installed (apt-get install kannel kannel-extras)")
    with tempfile.TemporaryDirectory(prefix="amanat-bench-sms-") as tmp:
        port = kannel.free_port()
        harness = kannel.KannelHarness(
            get_url=f"http://127.0.0.1:{port}/api/v1/sms/kannel", secret=SECRET)
        setup_django(Path(tmp) / "sms.sqlite3", harness)
        if args.mode == "checkins":
            pairs = prepare_checkins(args.stations)
        else:
            prepare()
        with harness, Server(port, Path(tmp) / "serve.log", args.serve_threads) as server:
            if args.mode == "checkins":
                warm_up(server, args.clients)
                kannel_result = checkins_through_kannel(
                    harness, pairs[KANNEL_PHONES], args.messages, args.timeout)
                direct_result = checkins_direct(server, harness, pairs[DIRECT_PHONES],
                                                args.messages, args.clients, args.timeout)
            else:
                kannel_result = through_kannel(harness, args.messages, args.timeout)
                direct_result = direct(server, harness, args.messages, args.clients,
                                       args.timeout)
    print(json.dumps({
        "benchmark": "sms" if args.mode == "reports" else "sms-checkins",
        "load_average": round(os.getloadavg()[0], 1),
        "serve_threads": args.serve_threads,
        "kannel": kannel_result,
        "baseline_direct": direct_result,
        "kannel_vs_direct_stored": round(kannel_result["stored_per_second"]
                                         / max(direct_result["stored_per_second"], 0.1), 2),
    }, indent=2))


if __name__ == "__main__":
    main()
