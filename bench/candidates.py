"""Benchmark: candidates at national scale (issue 13).

In a fresh temporary SQLite file (WAL): the real geography, the example election loaded
today (registration open until tonight), the law's constituencies, and ``--candidates``
(default 300,000) candidacies spread over every county, in every state, inserted with
``core.bulk.insert_rows``. Then, each against a naive ORM baseline in the same run:

1. **The staff candidate list** (``/candidates/``) filtered by county, state and text, as a
   national administrator through Django's test Client (server time, no network):
   ``--repeat`` requests of each of ~20 filter combinations after a warm-up; p50/p95 and
   the query count of every page (constant: the same for every filter). Baselines: the
   same pages with the list's selector replaced by the naive queryset (no
   ``select_related``: the county, constituency and contest of each row cost a query
   each), and by the previous selector (``previous``: before the trigram index, every
   text search tested each row's ``search_text``).
2. **A batch of inquiry answers for 10,000 candidates** (``review_services.
   inquiry_answers_apply``: checks, one bulk update, one audit entry). Baseline: the
   per-inquiry service (``inquiry_answer``: a transaction, a save and an audit entry per
   answer) on ``--naive-rows`` other inquiries, extrapolated to 10,000.
3. **The public registration endpoint at 50 requests per second for a minute**, against
   ``amanat serve`` (gunicorn) on this file over loopback HTTP (``bench_registration_http``):
   each registrant a browser on its own connection and address (GET the form, POST it,
   GET the confirmation, POST it with the texted code, read from the file SMS backend),
   registrations started open-loop so the requests are due at ``--rate`` per second for
   ``--duration`` seconds on ``--clients`` threads; afterwards every registration that was
   answered with its redirect must be in the database (nothing lost). Reported: requests,
   achieved rate, latency p50/p95/max (and per step), lateness, stored, lost.
   ``--in-process``: the two POSTs through the test Client instead (server time only).

    .venv/bin/python bench/candidates.py [--candidates 300000] [--repeat 5]
        [--rate 50] [--duration 60] [--db KEPT.sqlite3] [--skip list,answers,registration]

Prints JSON. The machine is shared: compare with the baselines of the same run.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_LIST_P95_MS = 150.0
TARGET_ANSWERS_S = 5.0
ANSWERS = 10_000


def setup_django(db_path: Path) -> None:
    os.environ.pop("DATABASE_URL", None)
    os.environ["AMANAT_SQLITE_PATH"] = str(db_path)
    os.environ["AMANAT_ALLOWED_HOSTS"] = "testserver"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amanat.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.AMANAT_SMS_BACKEND = "amanat.core.notify.MemoryBackend"
    call_command("migrate", verbosity=0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)], 1)


def national_id(n: int) -> str:
    first = f"{n:09d}"
    total = sum(int(d) * (10 - i) for i, d in enumerate(first))
    rest = total % 11
    return first + str(rest if rest < 2 else 11 - rest)


FIRST = ["علی", "مریم", "رضا", "زهرا", "حسین", "فاطمه", "محمد", "نرگس", "مهدی", "لیلا"]
LAST = ["احمدی", "کریمی", "حسینی", "رضایی", "موسوی", "صادقی", "افشار", "باقری", "نوری",
        "جعفری", "رحیمی", "اکبری", "شریفی", "قاسمی", "یزدانی", "امیری", "نظری", "صفری"]


def prepare(total: int) -> dict[str, Any]:
    from django.utils import timezone

    from amanat.candidates.models import Candidacy, State
    from amanat.candidates.services import constituencies_load
    from amanat.core.bulk import insert_rows
    from amanat.elections.demo import seed_example_election
    from amanat.geo.models import AdminUnit, Constituency, Kind
    from amanat.geo.services import geo_import
    from amanat.lib.persian import search_key

    started = time.perf_counter()
    geo_import()
    election = seed_example_election()
    constituencies_load(election=election)
    contest = election.contests.get(kind="city_council")
    counties = list(AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("code"))
    seats: dict[int, int] = {}
    for c in Constituency.objects.filter(kind="city").exclude(unit_path="").order_by("code"):
        for county in counties:
            if c.unit_path.startswith(county.path):
                seats.setdefault(county.pk, c.pk)
                break
    fallback = next(iter(seats.values()))
    states = [State.REGISTERED] * 5 + [State.UNDER_REVIEW] * 3 + [
        State.PRE_REGISTERED, State.QUALIFIED, State.DISQUALIFIED]
    now = timezone.now()
    fields = ["reference", "election_id", "contest_id", "constituency_id", "county_id",
              "unit_path", "state", "channel", "national_id", "first_name", "last_name",
              "father_name", "gender", "birth_date", "education", "occupation",
              "residence_years", "address", "mobile", "search_text", "created_at",
              "updated_at"]

    def rows() -> Iterator[list[Any]]:
        for i in range(total):
            county = counties[i % len(counties)]
            first, last = FIRST[i % len(FIRST)], LAST[(i // 7) % len(LAST)]
            nid, ref = national_id(200_000_000 + i), f"B{i:09d}"
            yield [ref, election.pk, contest.pk, seats.get(county.pk, fallback), county.pk,
                   county.path, states[i % len(states)], "online" if i % 2 else "walk_in",
                   nid, first, f"{last}{i % 97}", "", "male" if i % 2 else "female",
                   datetime.date(1970 + i % 30, 1 + i % 12, 1 + i % 28), 5, "", 5, "",
                   f"09{i:09d}"[:11], search_key(f"{first} {last}{i % 97} {nid} {ref}"),
                   now - datetime.timedelta(seconds=i), now]

    insert_rows(Candidacy, fields, rows())
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"election": election, "contest": contest, "counties": counties,
            "prepare_s": round(time.perf_counter() - started, 1)}


def reopen(total: int) -> dict[str, Any]:
    """The world of a kept ``--db`` file (prepared by an earlier run)."""
    from amanat.candidates.models import Candidacy
    from amanat.elections.models import Election
    from amanat.geo.models import AdminUnit, Kind

    election = Election.objects.order_by("pk").first()
    assert election is not None
    found = Candidacy.objects.filter(reference__startswith="B").count()
    assert found == total, f"the kept file holds {found} candidates, not {total}"
    return {"election": election, "contest": election.contests.get(kind="city_council"),
            "counties": list(AdminUnit.objects.filter(kind=Kind.COUNTY).order_by("code")),
            "prepare_s": 0.0}


def admin_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.models import Membership, Role
    from amanat.accounts.testing import sign_in
    from amanat.geo.models import AdminUnit, Kind

    user, _ = get_user_model().objects.get_or_create(username="bench_admin")
    Membership.objects.get_or_create(user=user, role=Role.NATIONAL_ADMIN,
                                     unit=AdminUnit.objects.get(kind=Kind.COUNTRY))
    client = Client()
    sign_in(client, user)
    client.get("/")
    return client, user


def list_pages(counties: list[Any]) -> list[str]:
    from amanat.geo.models import AdminUnit
    from amanat.lib.persian import search_key

    tehran = AdminUnit.objects.filter(kind="county", name_key=search_key("تهران")).first()
    big = tehran.pk if tehran else counties[0].pk
    small, mid = counties[-1].pk, counties[len(counties) // 2].pk
    return [
        "", "page=20", "state=registered", "state=under_review&page=5", "q=احمدی",
        "q=B000012345", "q=علی", f"county={big}", f"county={big}&state=registered",
        f"county={big}&q=کریمی", f"county={big}&state=qualified&q=رضا",
        f"county={mid}&state=disqualified", f"county={small}", f"county={small}&q=مریم",
        f"county={mid}&q=نوری5", "state=pre_registered&q=حسینی", "q=zzzz",
        f"county={big}&page=3", f"county={mid}&state=under_review",
        "state=qualified&q=" + national_id(200_100_000)[:6],
    ]


def measure(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def queries_of(fn: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def _patched_page(make_qs: Callable[..., Any]) -> Callable[..., Any]:
    """A ``selectors.candidacy_page`` that pages ``make_qs(...)`` with Django's Paginator."""
    from django.core.paginator import Paginator

    def page(user: Any, *, election: Any, number: Any, per_page: int, county: Any = None,
             state: str = "", text: str = "", **_ignored: Any) -> Any:
        qs = make_qs(user, election=election, county=county, state=state, text=text)
        return Paginator(qs, per_page).get_page(number)

    return page


@contextlib.contextmanager
def list_variant(make_qs: Callable[..., Any]) -> Iterator[None]:
    from amanat.candidates import selectors

    original = selectors.candidacy_page
    selectors.candidacy_page = _patched_page(make_qs)
    try:
        yield
    finally:
        selectors.candidacy_page = original


def naive_list() -> Any:
    """The list as a first version would write it: the filtered queryset, no
    ``select_related`` (each row's county, constituency and contest is a query)."""
    from django.db.models import Q

    from amanat.candidates.models import Candidacy
    from amanat.lib.persian import search_key

    def naive(user: Any, *, election: Any, county: Any = None, state: str = "",
              text: str = "") -> Any:
        qs = Candidacy.objects.filter(election=election)
        if county is not None:
            qs = qs.filter(county__path__startswith=county.path)
        if state:
            qs = qs.filter(state=state)
        if text:
            key = search_key(text)
            qs = qs.filter(Q(first_name__icontains=key) | Q(last_name__icontains=key)
                           | Q(national_id__icontains=key) | Q(reference__icontains=key))
        return qs.order_by("-created_at", "-pk")

    return list_variant(naive)


def previous_list() -> Any:
    """The list before the trigram index (branch candperf, migration 0003): every text
    search tests each row's ``search_text`` with ``instr``, all columns of the row and
    of its constituency, county and contest read."""
    from django.db.models import Value
    from django.db.models.functions import StrIndex
    from django.db.models.lookups import GreaterThan

    from amanat.candidates import selectors
    from amanat.geo.paths import under
    from amanat.lib.persian import search_key

    def previous(user: Any, *, election: Any, county: Any = None, state: str = "",
                 text: str = "") -> Any:
        qs = selectors.scoped_candidacies(user).filter(election=election)
        if county is not None:
            qs = qs.filter(under("unit_path", county.path))
        if state:
            qs = qs.filter(state=state)
        key = search_key(text) if text else ""
        if key:
            qs = qs.filter(GreaterThan(StrIndex("search_text", Value(key)), 0))
        return qs.select_related("constituency", "county", "contest").order_by(
            "-created_at", "-pk")

    return list_variant(previous)


def bench_list(repeat: int, counties: list[Any]) -> dict[str, Any]:
    """Each page measured with each variant in turn (interleaved: on a shared machine the
    load changes within a run, and every variant then meets the same load)."""
    client, _user = admin_client()
    pages = list_pages(counties)
    variants: dict[str, Callable[[], Any]] = {
        "list": contextlib.nullcontext, "previous": previous_list, "naive": naive_list}
    times: dict[str, list[float]] = {label: [] for label in variants}
    counts: dict[str, list[int]] = {label: [] for label in variants}
    for query in pages:
        url = "/candidates/?" + query

        def get(url: str = url) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        for label, variant in variants.items():
            with variant():
                counts[label].append(queries_of(get))
                times[label].extend(measure(get, repeat))
    result: dict[str, Any] = {}
    for label in variants:
        result[label] = {"requests": len(times[label]), "p50_ms": pct(times[label], 0.5),
                         "p95_ms": pct(times[label], 0.95),
                         "max_ms": round(max(times[label]), 1),
                         "queries_min": min(counts[label]), "queries_max": max(counts[label])}
    result["target_p95_ms"] = TARGET_LIST_P95_MS
    result["meets_target"] = result["list"]["p95_ms"] < TARGET_LIST_P95_MS
    return result


def bench_answers(election: Any, counties: list[Any], naive_rows: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from amanat.accounts.models import Membership, Role
    from amanat.candidates import review_services as services
    from amanat.candidates.models import Candidacy, Inquiry, InquiryAnswer, State
    from amanat.geo.models import AdminUnit, Kind

    country = AdminUnit.objects.get(kind=Kind.COUNTRY)
    board, _ = get_user_model().objects.get_or_create(username="bench_board")
    Membership.objects.get_or_create(user=board, role=Role.SUPERVISION_BOARD, unit=country)
    Membership.objects.get_or_create(user=board, role=Role.GOVERNOR, unit=country)
    people = list(Candidacy.objects.filter(election=election,
                                           state__in=[State.REGISTERED, State.UNDER_REVIEW])
                  .order_by("pk")[: ANSWERS + naive_rows])
    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    services.inquiry_batch_send(actor=board, election=election, unit=country, kind="police",
                                candidacies=people, due=tomorrow)
    rows = [services.AnswerRow(line=i + 2, reference=p.reference, kind="police",
                               answer="adverse" if i % 50 == 0 else "clear",
                               adverse_reference=f"P-{i}" if i % 50 == 0 else "")
            for i, p in enumerate(people[:ANSWERS])]
    start = time.perf_counter()
    result = services.inquiry_answers_apply(actor=board, election=election,
                                            paths=[country.path], rows=rows)
    bulk_s = time.perf_counter() - start
    assert not result.errors and result.applied == ANSWERS, result.errors[:3]
    stored = Inquiry.objects.filter(candidacy__in=people[:ANSWERS]).exclude(
        answer=InquiryAnswer.PENDING).count()
    naive = list(Inquiry.objects.filter(candidacy__in=people[ANSWERS:], kind="police"))
    start = time.perf_counter()
    for inquiry in naive:
        services.inquiry_answer(actor=board, inquiry=inquiry, answer="clear")
    naive_s = time.perf_counter() - start
    per_row = naive_s / max(1, len(naive))
    return {"rows": ANSWERS, "bulk_s": round(bulk_s, 2), "stored": stored,
            "naive_rows": len(naive), "naive_s": round(naive_s, 2),
            "naive_extrapolated_s": round(per_row * ANSWERS, 1),
            "speedup": round(per_row * ANSWERS / bulk_s, 1),
            "target_s": TARGET_ANSWERS_S, "meets_target": bulk_s < TARGET_ANSWERS_S}


def run_offset() -> int:
    """Where this run's registrants are numbered from: a kept ``--db`` holds the earlier
    runs' people (one national ID registers once), numbers and addresses (a few codes an
    hour each); a run a minute later starts 100,000 further on."""
    return int(time.time()) // 60 % 1000 * 100_000


def bench_registration(election: Any, rate: float, duration: float) -> dict[str, Any]:
    from http.cookies import SimpleCookie

    from django.test import Client

    from amanat.candidates.models import Candidacy
    from amanat.core import notify
    from amanat.geo.models import AdminUnit, Constituency, Kind
    from amanat.lib.persian import search_key

    contest = election.contests.get(kind="city_council")
    county = AdminUnit.objects.get(kind=Kind.COUNTY, name_key=search_key("قرچک"))
    seat = Constituency.objects.filter(kind="city", unit_path__startswith=county.path).first()
    assert seat is not None
    before = Candidacy.objects.count()
    interval = 1.0 / rate
    latencies, lateness, refused = [], [], 0
    cpu: list[float] = []  # this process's CPU per request: the server's, in-process
    done: list[str] = []
    sent, index = 0, 0
    begin = time.perf_counter()
    pending: list[tuple[SimpleCookie, str, str]] = []
    first = run_offset()
    client = Client()
    client.get("/candidates/register/")  # the handler's middleware loaded once, up front
    while True:
        due = begin + sent * interval
        if due - begin >= duration:
            break
        now = time.perf_counter()
        if now < due:
            time.sleep(due - now)
        lateness.append(max(0.0, time.perf_counter() - due) * 1000)
        start = time.perf_counter()
        cpu_start = time.process_time()
        # Alternate the two steps: start a new registration, finish the oldest started.
        if sent % 2 == 0 or not pending:
            # Each registrant with its own cookies (its session) and its own address
            # (198.18.0.0/15, the benchmarking range: the public form limits codes per
            # client address), on one handler: a new test Client per registrant would
            # load the middleware (WhiteNoise indexes every static file) in the measured
            # request.
            cookies: SimpleCookie = SimpleCookie()
            address = f"198.18.{(first + index) // 250 % 256}.{(first + index) % 250 + 1}"
            client.cookies = cookies
            nid = national_id(700_000_000 + first + index)
            index += 1
            response = client.post("/candidates/register/", {
                "contest": contest.pk, "county": county.pk, "national_id": nid,
                "mobile": f"0935{(first + index) % 10**7:07d}"}, REMOTE_ADDR=address)
            if response.status_code == 302 and notify.outbox:
                found = re.search(r"(\d{6})", notify.outbox[-1].text)
                pending.append((client.cookies, address, found.group(1) if found else ""))
                notify.outbox.clear()
            else:
                refused += 1
        else:
            client.cookies, address, code = pending.pop(0)
            response = client.post("/candidates/register/confirm/", {
                "code": code, "constituency": seat.pk, "first_name": "داوطلب",
                "last_name": f"آزمون{sent}", "father_name": "پدر", "gender": "male",
                "birth_date": "1360/05/10", "education": "5", "residence_years": "10",
                "occupation": "", "address": "", "truthful": "on"}, REMOTE_ADDR=address)
            if response.status_code == 302:
                done.append(code)
            else:
                refused += 1
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - cpu_start) * 1000)
        sent += 1
    elapsed = time.perf_counter() - begin
    stored = Candidacy.objects.count() - before
    return {"target_rate": rate, "duration_s": round(elapsed, 1), "requests": sent,
            "achieved_rate": round(sent / elapsed, 1), "p50_ms": pct(latencies, 0.5),
            "p95_ms": pct(latencies, 0.95), "max_ms": round(max(latencies), 1),
            "late_p95_ms": pct(lateness, 0.95),
            "cpu_ms_per_request_p50": pct(cpu, 0.5),
            "cpu_ms_per_registration": round(sum(cpu) / max(len(done), 1), 1),
            "registrations_completed": len(done),
            "stored": stored, "refused": refused, "lost": len(done) - stored,
            "unfinished_at_end": len(pending)}


# --- registration over HTTP against a served app -----------------------------------------


class FileSmsBackend:
    """The served app's SMS gateway in this benchmark: each message appended as one line
    (``to<TAB>text``) to ``$AMANAT_BENCH_SMS_FILE``, delivered in the request (like the
    memory backend), so the client reads its code as a registrant reads the text."""

    background = False

    def send(self, message: Any) -> str:
        line = f"{message.to}\t{message.text}\n".encode()
        fd = os.open(os.environ["AMANAT_BENCH_SMS_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
        try:
            os.write(fd, line)  # one write of a short line: atomic with O_APPEND
        finally:
            os.close(fd)
        return "filed"


class Browser:
    """One registrant's browser: a keep-alive HTTP/1.1 connection and its cookies."""

    def __init__(self, port: int, address: str) -> None:
        import http.client

        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.address = address

    def request(self, method: str, path: str, form: dict[str, Any] | None = None
                ) -> tuple[int, str]:
        from urllib.parse import urlencode

        headers = {"Host": "127.0.0.1", "X-Forwarded-For": self.address,
                   "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def close(self) -> None:
        self.conn.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found.group(1) if found else ""


class Codes:
    """The texted codes, read from the benchmark's SMS file by mobile number."""

    def __init__(self, path: Path) -> None:
        import threading

        self.path, self.offset, self.found = path, 0, {}  # type: ignore[var-annotated]
        self.lock = threading.Lock()

    def of(self, mobile: str) -> str:
        with self.lock:
            if mobile not in self.found and self.path.exists():
                with self.path.open("rb") as f:
                    f.seek(self.offset)
                    data = f.read()
                complete = data[: data.rfind(b"\n") + 1]
                self.offset += len(complete)
                for line in complete.decode().splitlines():
                    to, _, text = line.partition("\t")
                    digits = re.search(r"(\d{6})", text)
                    if digits:
                        self.found[to] = digits.group(1)
            return str(self.found.pop(mobile, ""))


def group_cpu_s(pgid: int) -> float:
    """CPU seconds (user and system) of every process in the process group ``pgid`` (the
    served app: gunicorn's master and its workers), with their reaped children's."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # after the name: state, ppid, pgrp, ... utime (12th), stime, cutime, cstime
        if int(fields[2]) == pgid:
            total += sum(int(value) for value in fields[11:15])
    return total / tick


def bench_registration_http(election: Any, db_path: Path, rate: float, duration: float,
                            workers: int, threads: int, clients: int) -> dict[str, Any]:
    """Registrants' browsers against ``amanat serve`` (gunicorn) over loopback HTTP.

    Each registration is the four requests of a browser: GET the form, POST it (a code is
    texted), GET the confirmation form, POST it with the code. Registrations start paced
    open-loop so that the requests arrive at ``rate`` per second for ``duration``
    seconds, each from its own client address (``X-Forwarded-For`` from a trusted proxy,
    as behind the production reverse proxy), on ``clients`` concurrent threads.
    """
    import socket
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    from amanat.candidates.models import Candidacy
    from amanat.geo.models import AdminUnit, Constituency, Kind
    from amanat.lib.persian import search_key

    contest = election.contests.get(kind="city_council")
    county = AdminUnit.objects.get(kind=Kind.COUNTY, name_key=search_key("قرچک"))
    seat = Constituency.objects.filter(kind="city", unit_path__startswith=county.path).first()
    assert seat is not None
    before = Candidacy.objects.count()
    connections.close_all()  # the server is the writer from here on
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    work = Path(tempfile.mkdtemp(prefix="amanat-bench-reg-"))
    sms = work / "sms.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AMANAT_SQLITE_PATH": str(db_path),
           "AMANAT_ALLOWED_HOSTS": "127.0.0.1", "AMANAT_TRUSTED_PROXIES": "127.0.0.1",
           "AMANAT_SMS_BACKEND": "bench.candidates.FileSmsBackend",
           "AMANAT_BENCH_SMS_FILE": str(sms), "AMANAT_VAR_DIR": str(work)}
    log = (work / "server.log").open("ab")
    server = subprocess.Popen(
        [sys.executable, "-m", "amanat.cli", "serve", "--port", str(port), "--no-worker",
         "--workers", str(workers), "--threads", str(threads)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=ROOT)
    codes = Codes(sms)
    first = run_offset()
    steps = ("form", "start", "confirm_form", "confirm")
    latencies: dict[str, list[float]] = {step: [] for step in steps}
    lateness: list[float] = []
    done: list[str] = []
    failed: list[str] = []

    def register(index: int, due: float) -> None:
        lateness.append(max(0.0, time.perf_counter() - due) * 1000)
        n = first + index
        browser = Browser(port, f"198.18.{n // 250 % 256}.{n % 250 + 1}")
        nid, mobile = national_id(700_000_000 + n), f"0935{n % 10**7:07d}"
        try:
            for step in steps:
                start = time.perf_counter()
                if step == "form":
                    status, html = browser.request("GET", "/candidates/register/")
                    ok = status == 200
                elif step == "start":
                    status, html = browser.request("POST", "/candidates/register/", {
                        "csrfmiddlewaretoken": csrf_of(html), "contest": contest.pk,
                        "county": county.pk, "national_id": nid, "mobile": mobile})
                    ok = status == 302
                elif step == "confirm_form":
                    status, html = browser.request("GET", "/candidates/register/confirm/")
                    ok = status == 200
                else:
                    status, html = browser.request("POST", "/candidates/register/confirm/", {
                        "csrfmiddlewaretoken": csrf_of(html), "code": codes.of(mobile),
                        "constituency": seat.pk, "first_name": "داوطلب",
                        "last_name": f"آزمون{index}", "father_name": "پدر",
                        "gender": "male", "birth_date": "1360/05/10", "education": "5",
                        "residence_years": "10", "occupation": "", "address": "",
                        "truthful": "on"})
                    ok = status == 302
                latencies[step].append((time.perf_counter() - start) * 1000)
                if not ok:
                    found = re.search(r'class="[^"]*(?:invalid-feedback|errorlist|alert-danger)'
                                      r'[^"]*"[^>]*>(.{0,200})', html, re.S)
                    failed.append(f"{step}: {status} {found.group(1) if found else ''}")
                    return
            done.append(nid)
        except OSError as error:
            failed.append(repr(error))
        finally:
            browser.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: see {work / 'server.log'}")
            with contextlib.suppress(OSError):
                Browser(port, "198.18.255.1").request("GET", "/candidates/register/")
                break
            time.sleep(0.3)
        interval = len(steps) / rate
        # The served app's CPU while it serves the run (the machine is shared: seconds of
        # CPU per request compare across runs where wall times do not).
        server_cpu = group_cpu_s(server.pid)
        client_cpu = time.process_time()
        begin = time.perf_counter()
        started = 0
        with ThreadPoolExecutor(max_workers=clients) as pool:
            while started * interval < duration:
                due = begin + started * interval
                now = time.perf_counter()
                if now < due:
                    time.sleep(due - now)
                pool.submit(register, started, due)
                started += 1
        elapsed = time.perf_counter() - begin
        server_cpu = group_cpu_s(server.pid) - server_cpu
        client_cpu = time.process_time() - client_cpu
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
        log.close()
    stored = Candidacy.objects.filter(national_id__in=done).count()
    requests = sum(len(v) for v in latencies.values())
    every = [ms for values in latencies.values() for ms in values]
    return {"served_by": f"amanat serve: {workers} workers x {threads} threads, SQLite WAL",
            "clients": clients, "target_rate": rate, "duration_s": round(elapsed, 1),
            "registrations_started": started, "requests": requests,
            "achieved_rate": round(requests / elapsed, 1),
            "p50_ms": pct(every, 0.5) if every else None,
            "p95_ms": pct(every, 0.95) if every else None,
            "max_ms": round(max(every), 1) if every else None,
            "per_step_p50_p95_ms": {step: [pct(v, 0.5), pct(v, 0.95)]
                                    for step, v in latencies.items() if v},
            "late_p95_ms": pct(lateness, 0.95),
            "server_cpu_s": round(server_cpu, 2),
            "server_cpu_ms_per_request": round(server_cpu * 1000 / max(requests, 1), 1),
            "server_cpu_ms_per_registration": round(server_cpu * 1000 / max(len(done), 1), 1),
            "bench_client_cpu_s": round(client_cpu, 2),
            "registrations_completed": len(done), "stored": stored,
            "lost": len(done) - stored, "failed": len(failed),
            "failures": sorted(set(failed))[:5],
            "candidacies_added": Candidacy.objects.count() - before}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--candidates", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--naive-rows", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--in-process", action="store_true",
                        help="registration through the test Client in this process "
                             "(server time only) instead of over HTTP")
    parser.add_argument("--workers", type=int, default=4, help="amanat serve --workers")
    parser.add_argument("--threads", type=int, default=4, help="amanat serve --threads")
    parser.add_argument("--clients", type=int, default=32,
                        help="concurrent registrants' browsers (threads)")
    parser.add_argument("--skip", default="", help="comma list: list,answers,registration")
    parser.add_argument("--db", type=Path, default=None,
                        help="keep the prepared SQLite file here and reuse it when it exists "
                             "(to iterate on one part: --skip answers,registration)")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory(prefix="amanat-bench-") as tmp:
        db_path = args.db or Path(tmp) / "candidates.sqlite3"
        reuse = db_path.exists()
        setup_django(db_path)
        world = reopen(args.candidates) if reuse else prepare(args.candidates)
        out: dict[str, Any] = {"candidates": args.candidates, "prepare_s": world["prepare_s"],
                               "cpus": os.cpu_count(),
                               "note": "machine shared with other engineers"}
        # Each part is also printed to stderr as it ends (a long run shows progress).
        if "answers" not in skip:
            out["answers"] = bench_answers(world["election"], world["counties"],
                                           args.naive_rows)
            print(json.dumps(out["answers"]), file=sys.stderr, flush=True)
        if "registration" not in skip:
            if args.in_process:
                out["registration"] = bench_registration(world["election"], args.rate,
                                                         args.duration)
            else:
                out["registration"] = bench_registration_http(
                    world["election"], db_path, args.rate, args.duration, args.workers,
                    args.threads, args.clients)
            print(json.dumps(out["registration"]), file=sys.stderr, flush=True)
        if "list" not in skip:
            out["list"] = bench_list(args.repeat, world["counties"])
    print(json.dumps(out, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
