"""amanat.intake.sql: the hot path's plain SQL stores and reads what the ORM would."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from amanat.core.models import IdempotencyRecord
from amanat.intake import sql


@pytest.mark.django_db
def test_insert_and_fetch_round_trip_as_the_orm(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="u1")
    record = IdempotencyRecord(user=user, route="POST /x", key="k", request_hash="h",
                               status_code=0, response_body={"a": ["ب", 1]})
    assert sql.insert(record, skip_conflicts=True)
    stored = IdempotencyRecord.objects.get(pk=record.pk)
    assert stored.response_body == {"a": ["ب", 1]} and stored.created_at is not None
    fetched = sql.fetch_first(IdempotencyRecord,
                              "SELECT * FROM core_idempotencyrecord WHERE id = %s", [record.pk])
    assert fetched is not None and fetched.created_at == stored.created_at
    assert fetched.response_body == stored.response_body
    # The same (user, route, key) again: not inserted, no exception, nothing changed.
    again = IdempotencyRecord(user=user, route="POST /x", key="k", request_hash="other",
                              status_code=0, response_body={})
    assert not sql.insert(again, skip_conflicts=True)
    assert IdempotencyRecord.objects.get().request_hash == "h"


@pytest.mark.django_db
def test_fetch_refuses_a_select_missing_columns() -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        sql.fetch(IdempotencyRecord, "SELECT id FROM core_idempotencyrecord")


@pytest.mark.django_db
def test_fetch_joined_gives_each_model_its_own_columns(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="joined")
    record = IdempotencyRecord.objects.create(user=user, route="POST /x", key="k",
                                              request_hash="h", status_code=201,
                                              response_body={"a": 1})
    [(fetched, owner)] = sql.fetch_joined(
        (IdempotencyRecord, django_user_model),
        "SELECT r.*, u.* FROM core_idempotencyrecord r JOIN auth_user u ON u.id = r.user_id"
        " WHERE r.id = %s", [record.pk])
    assert (fetched.pk, fetched.response_body, fetched.created_at) == (
        record.pk, {"a": 1}, IdempotencyRecord.objects.get().created_at)
    assert (owner.pk, owner.username, owner.is_active) == (user.pk, "joined", True)
    with pytest.raises(ValueError, match="columns"):
        sql.fetch_joined((IdempotencyRecord,), "SELECT r.*, 1 AS extra"
                         " FROM core_idempotencyrecord r")


@pytest.mark.django_db
def test_insert_refuses_a_model_with_save_receivers(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="u2")

    def receiver(**kwargs: Any) -> None:
        pass

    post_save.connect(receiver, sender=IdempotencyRecord)
    try:
        with pytest.raises(ValueError, match="receivers"):
            sql.insert(IdempotencyRecord(user=user, route="r", key="k", request_hash="h",
                                         status_code=0, response_body={}))
    finally:
        post_save.disconnect(receiver, sender=IdempotencyRecord)
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_insert_many_stores_every_row_and_matches_keys_by_a_unique_field(
    django_user_model: Any,
) -> None:
    user = django_user_model.objects.create_user(username="u3")
    taken = IdempotencyRecord.objects.create(user=user, route="POST /x", key="k1",
                                             request_hash="first", status_code=201,
                                             response_body={})
    records = [IdempotencyRecord(user=user, route="POST /x", key=f"k{n}", request_hash=f"h{n}",
                                 status_code=201, response_body={"n": n}) for n in range(1, 5)]
    # k1 is taken: three of four rows go in, with one statement and no exception.
    assert sql.insert_many(records, match="request_hash", skip_conflicts=True) == 3
    stored = {r.key: r for r in IdempotencyRecord.objects.all()}
    assert stored["k1"].request_hash == "first" and stored["k1"].pk == taken.pk
    for record in records[1:]:
        assert record.pk == stored[record.key].pk  # each instance got its own row's key
        assert stored[record.key].response_body == record.response_body
    assert records[0].pk is None
    with pytest.raises(ValueError, match="one model"):
        sql.insert_many([records[0], user])


@pytest.mark.django_db
def test_insert_many_gives_every_instance_its_own_key_without_conflicts(
    django_user_model: Any,
) -> None:
    """All rows in: each instance gets its row's key (on SQLite from the statement's last
    rowid, with no RETURNING; the rows were numbered in the order sent)."""
    user = django_user_model.objects.create_user(username="u4")
    IdempotencyRecord.objects.create(user=user, route="POST /x", key="before",
                                     request_hash="b", status_code=201, response_body={})
    records = [IdempotencyRecord(user=user, route="POST /x", key=f"n{n}", request_hash=f"r{n}",
                                 status_code=201, response_body={"n": n}) for n in range(5)]
    assert sql.insert_many(records, match="request_hash", skip_conflicts=True) == 5
    stored = dict(IdempotencyRecord.objects.values_list("request_hash", "pk"))
    assert [record.pk for record in records] == [stored[f"r{n}"] for n in range(5)]
    assert all(not record._state.adding for record in records)
    # Without ``match``, only the count (no RETURNING anywhere).
    more = [IdempotencyRecord(user=user, route="POST /x", key=key, request_hash=key,
                              status_code=201, response_body={}) for key in ("n0", "m1")]
    assert sql.insert_many(more, skip_conflicts=True) == 1


@pytest.mark.django_db
def test_logged_queries_are_recorded_as_django_records_them(django_user_model: Any) -> None:
    """One path whether or not queries are logged: the driver's cursor, and the
    statement recorded in ``connection.queries`` (what query-counting tests read)."""
    django_user_model.objects.create_user(username="logged")
    with CaptureQueriesContext(connection) as logged:
        found = sql.fetch(django_user_model, "SELECT * FROM auth_user WHERE username = %s",
                          ["logged"])
        with pytest.raises(DatabaseError), transaction.atomic():
            sql.execute("SELECT * FROM no_such_table WHERE id = %s", [1])
    assert [user.username for user in found] == ["logged"]
    statements = [query["sql"] for query in logged.captured_queries]
    assert "SELECT * FROM auth_user WHERE username = 'logged'" in statements
    assert any("no_such_table" in (text or "") for text in statements)
    assert all(float(query["time"]) >= 0 for query in logged.captured_queries)
