"""Long work started from a page shows its progress and says when it has finished
(issue 18): the atlas recompute after new tier thresholds is the first such work."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from amanat.accounts.testing import in_language, sign_in
from amanat.atlas.tests.conftest import AtlasWorld
from amanat.audit.models import Event
from amanat.core import jobs
from amanat.core.models import Job, JobStatus

pytestmark = pytest.mark.django_db

THRESHOLDS = {"tier1_min": "70", "tier2_min": "50", "tier3_min": "10"}


def _client(user: Any) -> Client:
    client = sign_in(Client(), user)
    client.get("/")
    return client


def test_recompute_started_from_a_page_is_followed_to_its_end(
    atlas_world: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(personas.admin)
    # The task has not run yet: the page says the work waits and polls for its state.
    response = client.post(reverse("atlas:thresholds"), THRESHOLDS)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("site:job",
                                                                          args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200 and job.status == JobStatus.QUEUED
    assert b'hx-trigger="every 2s"' in page.content
    # The task runs (the worker): the job is done with the counts and a link to the atlas.
    job.delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("atlas:thresholds"), THRESHOLDS)
    job = Job.objects.get()
    assert job.status == JobStatus.DONE and job.started_at and job.finished_at
    status = client.get(reverse("site:job_status", args=[job.pk]))
    body = status.content.decode()
    assert 'data-testid="job-done"' in body and "hx-trigger" not in body
    assert reverse("atlas:national") in body and "no-store" in status["Cache-Control"]
    # Persian by default, counts in Persian digits.
    assert "کار تمام شد" in body and "۳ حوزه" in body
    listing = client.get(reverse("site:jobs"))
    assert job.title in listing.content.decode()


def test_the_closing_message_is_in_the_starters_language(
    atlas_world: AtlasWorld, personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(personas.admin)
    in_language(client, "en")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("atlas:thresholds"), THRESHOLDS)
    job = Job.objects.get()
    assert job.language == "en" and "stations" in job.message


def test_another_users_job_is_not_found_and_the_attempt_recorded(
    atlas_world: AtlasWorld, personas: Any
) -> None:
    _client(personas.admin).post(reverse("atlas:thresholds"), THRESHOLDS)
    job = Job.objects.get()
    other = _client(personas.gharchak_governor)
    assert other.get(reverse("site:job", args=[job.pk])).status_code == 404
    assert other.get(reverse("site:job_status", args=[job.pk])).status_code == 404
    assert job.title not in other.get(reverse("site:jobs")).content.decode()
    assert Event.objects.filter(action="access.denied", object_type="core.job").exists()
    # An id that is no job's is simply not found.
    assert other.get(reverse("site:job", args=["not-a-uuid"])).status_code == 404
    assert other.get(reverse("site:job", args=[uuid.uuid4()])).status_code == 404
    # Signed out: the sign-in page.
    assert Client().get(reverse("site:job", args=[job.pk])).status_code == 302


def test_progress_and_estimate_while_running(personas: Any) -> None:
    job = jobs.job_create(kind="test.work", title="Work", user_id=personas.admin.pk)
    seen: list[str] = []
    client = _client(personas.admin)

    def work(report: jobs.Report) -> str:
        report(25, 100)
        seen.append(client.get(reverse("site:job_status", args=[job.pk])).content.decode())
        return "done"

    jobs.job_run(job.pk, work)
    # A quarter done: the bar says so, with the count in Persian digits and an estimate.
    assert 'value="25"' in seen[0] and "۲۵" in seen[0] and "۱۰۰" in seen[0]


def test_failed_work_says_so(personas: Any) -> None:
    job = jobs.job_create(kind="test.work", title="Work", user_id=personas.admin.pk)

    def work(report: jobs.Report) -> str:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        jobs.job_run(job.pk, work)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    page = _client(personas.admin).get(reverse("site:job", args=[job.pk])).content.decode()
    assert 'data-testid="job-failed"' in page and "boom" not in page


def test_prune_forgets_old_finished_jobs(personas: Any) -> None:
    old = jobs.job_create(kind="test.work", title="Old", user_id=personas.admin.pk)
    jobs.job_run(old.pk, lambda report: "ok")
    Job.objects.filter(pk=old.pk).update(created_at="2020-01-01T00:00:00Z")
    running = jobs.job_create(kind="test.work", title="Running", user_id=personas.admin.pk)
    # Still alive (a sign of life just now): kept however old; a dead one is closed
    # (core/tests/test_stale_jobs.py).
    Job.objects.filter(pk=running.pk).update(created_at="2020-01-01T00:00:00Z",
                                             status=JobStatus.RUNNING, beat_at=timezone.now())
    call_command("prune")
    assert list(Job.objects.values_list("title", flat=True)) == ["Running"]
