"""Stations 0004 moves the token <-> station binding out of accounts with its rows."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0004_failure_window"), ("stations", "0003_canonical_station_codes")]
AFTER = [("accounts", "0005_token_stations_moved"), ("stations", "0004_token_stations")]


@pytest.mark.django_db(transaction=True)
def test_the_bindings_move_to_stations_and_back() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    user = old.get_model("auth", "User").objects.create(username="device")
    election = old.get_model("elections", "Election").objects.create(
        name="e", slug="e", election_day=datetime.date(2026, 6, 19))
    county = old.get_model("geo", "AdminUnit").objects.create(
        kind="county", code="2310", name="c", path="/1/")
    station = old.get_model("stations", "Station").objects.create(
        election=election, county=county, code="0001", name="s", unit_path="/1/")
    token = old.get_model("accounts", "ApiToken").objects.create(
        user=user, name="tablet", token_hash="x" * 64, expires_at=when)
    token.stations.add(station)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    rows = new.get_model("stations", "TokenStation").objects.values_list("token_id", "station_id")
    assert list(rows) == [(token.pk, station.pk)]

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    back = executor.loader.project_state(BEFORE).apps.get_model("accounts", "ApiToken")
    assert list(back.objects.get(pk=token.pk).stations.values_list("pk", flat=True)) == [
        station.pk]
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
