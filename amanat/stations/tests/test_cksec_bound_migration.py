"""Stations 0007 marks every token bound now, or ever (an ``api_token.bind`` audit entry),
as of the bound kind (attack review 2026-12 F4)."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from amanat.audit.services import audit_record

BEFORE = [("stations", "0006_station_staffed")]
AFTER = [("stations", "0007_bound_token")]


@pytest.mark.django_db(transaction=True)
def test_tokens_bound_now_or_ever_are_marked() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    when = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
    user = old.get_model("auth", "User").objects.create(username="device")
    election = old.get_model("elections", "Election").objects.create(
        name="e", slug="e", election_day=datetime.date(2026, 6, 19))
    county = old.get_model("geo", "AdminUnit").objects.create(
        kind="county", code="2310", name="c", path="/1/")
    station = old.get_model("stations", "Station").objects.create(
        election=election, county=county, code="0001", name="s", unit_path="/1/")
    tokens = old.get_model("accounts", "ApiToken").objects
    bound = tokens.create(user=user, name="tablet", token_hash="a" * 64, expires_at=when)
    emptied = tokens.create(user=user, name="old tablet", token_hash="b" * 64, expires_at=when)
    script = tokens.create(user=user, name="script", token_hash="c" * 64, expires_at=when)
    old.get_model("stations", "TokenStation").objects.create(token=bound, station=station)
    audit_record(action="api_token.bind", actor=None, object_type="accounts.apitoken",
                 object_id=str(emptied.pk), after={"stations": [station.pk]})

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    marked = set(new.get_model("stations", "BoundToken").objects
                 .values_list("token_id", flat=True))
    assert marked == {bound.pk, emptied.pk} and script.pk not in marked
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
