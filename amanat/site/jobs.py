"""The pages of long work started from other pages (amanat.core.jobs): how far it is, the
time left, and where the result is once it has finished."""

from __future__ import annotations

import math

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from amanat.accounts import access
from amanat.core import jobs
from amanat.core.models import Job

RECENT = 20


def _context(job: Job) -> dict[str, object]:
    percent = None
    if job.total:
        percent = min(100, round(100 * job.done / job.total))
    left = jobs.seconds_left(job)
    # Whole minutes, at least one: a countdown in seconds would only jitter.
    minutes = None if left is None else max(1, math.ceil(left / 60))
    # A job whose worker died stays "running": after a while without a sign of life the
    # page says so and stops waiting (core.jobs.job_stale).
    stale = jobs.job_stale(job)
    return {"job": job, "percent": percent, "minutes_left": None if stale else minutes,
            "stale": stale}


def job_page(request: HttpRequest, pk: str) -> HttpResponse:
    job = access.get_job_for_user(request.user, pk)
    return render(request, "site/job.html", _context(job))


def job_status(request: HttpRequest, pk: str) -> HttpResponse:
    """The state fragment the job page polls (htmx) until the work has finished."""
    job = access.get_job_for_user(request.user, pk)
    return render(request, "site/_job_status.html", _context(job))


def my_jobs(request: HttpRequest) -> HttpResponse:
    recent = Job.objects.filter(user=access.signed_in(request.user))[:RECENT]
    return render(request, "site/jobs.html", {"jobs": recent})
