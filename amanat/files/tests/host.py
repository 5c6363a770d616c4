"""One app "host" for test_hosts.py: run as its own process (``python -m
amanat.files.tests.host STEP ...``) with its own ``AMANAT_VAR_DIR`` against the test's
PostgreSQL database.  Each step prints one JSON line."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from typing import Any

import django
from django_tasks import task

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@task()
def record_run(log: str, number: int, first_run_pause: float = 0.0) -> int:
    """A task whose every run leaves a line (appends of one short line are atomic); its
    first run takes ``first_run_pause`` seconds (a worker can be killed during it)."""
    with open(log, encoding="utf-8") as previous:
        first = not any(line.split()[0] == str(number) for line in previous if line.strip())
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"{number} {os.environ.get('AMANAT_TEST_HOST', '?')} {os.getpid()}\n")
    time.sleep(first_run_pause if first and first_run_pause else 0.1)
    return number


def _client(username: str) -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from amanat.accounts.testing import sign_in

    return sign_in(Client(HTTP_HOST="127.0.0.1"), get_user_model().objects.get(
        username=username))


def upload(args: argparse.Namespace) -> dict[str, Any]:
    """Attach a file to a case through its page, as the signed-in governor would."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from amanat.incidents.models import Evidence

    data = PNG + args.marker.encode()
    response = _client(args.username).post(
        reverse("incidents:case_evidence", args=[args.case]),
        {"evidence": SimpleUploadedFile("photo.png", data, content_type="image/png"),
         "note": "from " + os.environ["AMANAT_TEST_HOST"]})
    item = Evidence.objects.filter(sha256=hashlib.sha256(data).hexdigest()).first()
    return {"status": response.status_code, "evidence": item.pk if item else None,
            "sha256": hashlib.sha256(data).hexdigest()}


def download(args: argparse.Namespace) -> dict[str, Any]:
    from django.urls import reverse

    response = _client(args.username).post(reverse("incidents:evidence",
                                                   args=[args.evidence]))
    body = b"".join(response.streaming_content) if response.status_code == 200 else b""
    return {"status": response.status_code, "sha256": hashlib.sha256(body).hexdigest()}


def enqueue(args: argparse.Namespace) -> dict[str, Any]:
    # By its module's name (this file runs as __main__), so that the workers find it.
    from amanat.files.tests.host import record_run as task_by_name

    ids = [str(task_by_name.enqueue(args.log, n, args.pause).id) for n in range(args.count)]
    return {"ids": ids}


def login(args: argparse.Namespace) -> dict[str, Any]:
    """Sign in with the password only, through the sign-in page: the session cookie."""
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    client = Client(HTTP_HOST="127.0.0.1")
    response = client.post(reverse("login"), {"username": args.username,
                                              "password": args.password})
    cookie = client.cookies.get(settings.SESSION_COOKIE_NAME)
    return {"status": response.status_code, "location": response.get("Location", ""),
            "cookie": cookie.value if cookie else ""}


def get(args: argparse.Namespace) -> dict[str, Any]:
    """A page with a session cookie made elsewhere: its status and redirect."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = args.cookie
    response = client.get(args.path)
    return {"status": response.status_code, "location": response.get("Location", "")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("step", choices=["upload", "download", "enqueue", "login", "get"])
    parser.add_argument("--password", default="")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--path", default="")
    parser.add_argument("--username", default="")
    parser.add_argument("--case", type=int, default=0)
    parser.add_argument("--evidence", type=int, default=0)
    parser.add_argument("--marker", default="")
    parser.add_argument("--log", default="")
    parser.add_argument("--count", type=int, default=0)
    parser.add_argument("--pause", type=float, default=0.0)
    args = parser.parse_args()
    django.setup()
    steps = {"upload": upload, "download": download, "enqueue": enqueue, "login": login,
             "get": get}
    result = steps[args.step](args)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
