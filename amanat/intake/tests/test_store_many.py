"""``intake.reports.store_many``: the group-commit writer's one INSERT per table for a
batch of reports, the same rows, keys and audit chain as storing them one by one."""

from __future__ import annotations

import pytest
from django.db import transaction

from amanat.audit.models import Event
from amanat.audit.services import audit_chain_problem
from amanat.incidents import evidence, services
from amanat.incidents.models import Report
from amanat.intake import reports
from amanat.intake.tests.conftest import World

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n"


def _prepared(world: World, n: int, client_key: str | None = None) -> services.PreparedReport:
    return services.report_prepare(
        channel="api", category=world.category("vote_buying"), text=f"گزارش شماره {n}",
        station=world.gharchak_station, actor=world.personas.inspector,
        client_key=client_key or f"device:{n}",
    )


def test_reports_stored_together_are_chained_and_keyed_like_one_by_one(world: World) -> None:
    services.report_receive(channel="web", category=world.category("vote_buying"),
                            text="پیش از دسته", station=world.gharchak_station,
                            actor=world.personas.inspector)
    batch = [_prepared(world, n) for n in range(5)]
    reports.store_many([reports.ready(item) for item in batch])
    stored = {r.reference: r for r in Report.objects.filter(channel="api")}
    assert sorted(stored) == sorted(item.report.reference for item in batch)
    for item in batch:
        assert item.report.pk == stored[item.report.reference].pk
        assert item.event.object_id == str(item.report.pk)
    events = Event.objects.filter(action="incidents.report.receive").order_by("seq")
    assert [e.object_id for e in events][1:] == [str(item.report.pk) for item in batch]
    assert audit_chain_problem() is None


def test_reports_that_cannot_go_together_are_refused_whole(world: World) -> None:
    services.report_store(_prepared(world, 1, client_key="device:taken"))
    batch = [_prepared(world, 2), _prepared(world, 3, client_key="device:taken")]
    with pytest.raises(reports.NotStoredTogether), transaction.atomic():
        reports.store_many([reports.ready(item) for item in batch])
    assert Report.objects.count() == 1  # the caller's savepoint undid the partial insert
    with_file = services.report_prepare(
        channel="api", category=world.category("vote_buying"), text="با پیوست",
        station=world.gharchak_station, evidence=[evidence.check_bytes(PDF, "proof.pdf")])
    with pytest.raises(reports.NotStoredTogether):
        reports.store_many([reports.ready(with_file)])
    assert Report.objects.count() == 1 and audit_chain_problem() is None


def test_a_retry_of_a_stored_key_gets_the_stored_report(world: World) -> None:
    """The one-by-one path (the ORM's, after a batch fell apart): a key stored already
    answers with its report, not a second one."""
    first = services.report_store(_prepared(world, 1, client_key="device:again"))
    again = services.report_store(_prepared(world, 2, client_key="device:again"))
    assert first.created and not again.created
    assert again.report.pk == first.report.pk
    assert Report.objects.count() == 1 and audit_chain_problem() is None
