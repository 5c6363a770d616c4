"""The auditor's pages: filter the log, download it, read the signed checkpoints."""

from __future__ import annotations

import tempfile

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from amanat.accounts import policy
from amanat.accounts.access import can, can_nationally
from amanat.audit import selectors
from amanat.audit.display import describe_events
from amanat.audit.forms import EventFilterForm
from amanat.audit.models import Checkpoint
from amanat.audit.services import audit_export

EVENTS_PER_PAGE = 50


def _require(request: HttpRequest, action: str) -> None:
    if not can(request.user, action, "audit.event", None):
        raise Http404("not found")


@require_GET
def event_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    form = EventFilterForm(request.GET or None)
    events = selectors.events_for_user(request.user)
    if form.is_valid():
        events = selectors.filter_events(events, form.cleaned_data)
    elif form.is_bound:
        events = events.none()
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/event_list.html", {
        "form": form,
        "page": page,
        "rows": describe_events(page.object_list, opens=lambda label: can(
            request.user, policy.VIEW, label, None)),
        "query": query.urlencode(),
        "can_export": can_nationally(request.user, policy.EXPORT, "audit.event"),
    })


@require_POST
def export(request: HttpRequest) -> FileResponse:
    """The whole log as JSON Lines (or NIST 1500-101 JSON); the download is itself audited,
    so it is a POST (a GET, a link from anywhere, must not write)."""
    if not can_nationally(request.user, policy.EXPORT, "audit.event"):
        raise Http404("not found")
    fmt = "nist" if request.GET.get("format") == "nist" else "jsonl"
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    with open(spool.fileno(), "w", encoding="utf-8", closefd=False) as out:
        audit_export(out=out, fmt=fmt, actor=request.user)
    spool.seek(0)
    name = "amanat-audit-log.nist.json" if fmt == "nist" else "amanat-audit-log.jsonl"
    return FileResponse(spool, as_attachment=True, filename=name,
                        content_type="application/json")


@require_GET
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    _require(request, policy.VIEW)
    checkpoints = Checkpoint.objects.order_by("-size")
    return render(request, "audit/checkpoint_list.html", {"checkpoints": checkpoints})


@require_GET
def checkpoint_text(request: HttpRequest, checkpoint_id: int) -> HttpResponse:
    checkpoint = selectors.get_checkpoint_for_user(request.user, checkpoint_id)
    response = HttpResponse(checkpoint.text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="checkpoint-{checkpoint.size}.txt"'
    return response
