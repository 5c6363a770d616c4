"""A job whose worker died stayed "running" for ever and its page polled for ever. Now a
job without a sign of life for ``core.jobs.STALE_AFTER`` is stale: its page says so and
stops polling, and the daily ``amanat prune`` closes it as failed; a job that reports in
time is left alone, and another person's job is still 404."""

from __future__ import annotations

import datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.core import jobs
from amanat.core.models import Job, JobStatus

pytestmark = pytest.mark.django_db


def _job(user: Any, *, beat_minutes_ago: float) -> Job:
    job = jobs.job_create(kind="test.work", title="Recount", user_id=user.pk, total=10)
    beat = timezone.now() - datetime.timedelta(minutes=beat_minutes_ago)
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, started_at=beat,
                                         beat_at=beat, done=3)
    return Job.objects.get(pk=job.pk)


def test_a_job_without_a_sign_of_life_is_said_stale_and_pruned(personas: Any) -> None:
    dead = _job(personas.admin, beat_minutes_ago=60)
    alive = _job(personas.admin, beat_minutes_ago=1)
    client = in_language(sign_in(Client(), personas.admin), "en")
    page = client.get(reverse("site:job_status", args=[dead.pk])).content.decode()
    assert 'data-testid="job-stale"' in page and "hx-trigger" not in page
    assert "has probably stopped" in page
    page = client.get(reverse("site:job_status", args=[alive.pk])).content.decode()
    assert 'data-testid="job-stale"' not in page and "hx-trigger" in page
    # The page reads; it writes nothing.
    assert Job.objects.get(pk=dead.pk).status == JobStatus.RUNNING
    # Someone else's job stays out of reach.
    other = sign_in(Client(), personas.gharchak_governor)
    assert other.get(reverse("site:job", args=[dead.pk])).status_code == 404
    call_command("prune", stdout=StringIO())
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.status == JobStatus.FAILED and dead.finished_at is not None
    assert "متوقف شد" in dead.message  # in the starter's language (Persian here)
    assert alive.status == JobStatus.RUNNING


def test_each_report_is_a_sign_of_life(personas: Any, settings: Any) -> None:
    settings.AMANAT_JOB_STALE_MINUTES = 5
    job = _job(personas.admin, beat_minutes_ago=60)
    assert jobs.job_stale(job)
    seen: list[bool] = []

    def work(report: jobs.Report) -> str:
        report(5, 10)
        seen.append(jobs.job_stale(Job.objects.get(pk=job.pk)))
        return "done"

    jobs.job_run(job.pk, work)
    assert seen == [False]
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and not jobs.job_stale(job)
