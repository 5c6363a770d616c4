"""The election-day tables checked against the audit log (opsverify): the latest
recorded runs of ``amanat operations-verify`` for the national administrators and the
auditors, who read the log, and a button that starts one (a task: a national day takes
about a minute).  Out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from amanat.accounts import access, policy
from amanat.elections.selectors import election_for_request
from amanat.operations import reconcile, tasks

VERIFY = "operations.verify"


def _require(request: HttpRequest, action: str) -> None:
    if not access.can_nationally(request.user, action, VERIFY):
        raise Http404("not found")


@require_GET
def verify_runs(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    election = election_for_request(request, required=True)
    return render(request, "operations/verify.html", {
        "election": election, "runs": reconcile.runs(election),
        "can_run": access.can_nationally(request.user, policy.CREATE, VERIFY)})


@require_POST
def verify_start(request: HttpRequest) -> HttpResponse:
    _require(request, policy.CREATE)
    election = election_for_request(request, required=True)
    user_id = int(request.user.pk or 0)
    if tasks.verify_pending(election.pk):
        # One pass at a time: each is a national read of about a minute on the task
        # worker that also delivers the day's alerts (attack att16c F3).
        messages.info(request, _("A check of this election is already waiting or running; "
                                 "its result is shown here when it is done."))
        return redirect("operations:verify")
    transaction.on_commit(lambda: tasks.operations_verify.enqueue(election.pk, user_id))
    messages.success(request, _("The check has started. Its result is recorded in the audit "
                                "log and shown here when it is done; reload the page."))
    return redirect("operations:verify")

