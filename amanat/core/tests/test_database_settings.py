"""How ``DATABASE_URL`` and the ``AMANAT_DB_*`` variables become Django's database
settings (amanat/settings.py, docs/decisions/0005-connection-pooling.md), and the
pool size ``amanat serve`` refuses."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from amanat.settings import _postgres

URL = "postgres://amanat:secret@db1:5432,db2:5433/amanat?target_session_attrs=read-write"


def test_a_url_listing_hosts_keeps_them_all_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMANAT_DB_POOL", raising=False)
    config = _postgres(URL)
    assert config["HOST"] == "db1,db2"
    assert config["PORT"] == "5432,5433"
    assert (config["NAME"], config["USER"], config["PASSWORD"]) == ("amanat", "amanat", "secret")
    assert config["OPTIONS"]["target_session_attrs"] == "read-write"
    assert config["OPTIONS"]["connect_timeout"] == 5
    assert config["CONN_MAX_AGE"] == 60  # no pool: one kept connection per thread
    assert "pool" not in config["OPTIONS"]


def test_one_host_as_before(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AMANAT_DB_POOL", raising=False)
    config = _postgres("postgres://amanat@127.0.0.1:6543/amanat")
    assert (config["HOST"], config["PORT"]) == ("127.0.0.1", 6543)
    assert config["CONN_HEALTH_CHECKS"] is True
    assert config["DISABLE_SERVER_SIDE_CURSORS"] is False


def test_the_pool_replaces_kept_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMANAT_DB_POOL", "14")
    monkeypatch.setenv("AMANAT_DB_POOL_TIMEOUT", "3")
    config = _postgres(URL)
    assert config["CONN_MAX_AGE"] == 0  # Django refuses a pool with kept connections
    pool: dict[str, Any] = config["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"]) == (2, 14, 3.0)


def test_behind_pgbouncer_no_server_side_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMANAT_DB_PGBOUNCER", "1")
    assert _postgres(URL)["DISABLE_SERVER_SIDE_CURSORS"] is True


def test_serve_refuses_a_pool_no_larger_than_its_threads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AMANAT_DB_POOL", "12")
    with pytest.raises(CommandError, match="AMANAT_DB_POOL"):
        call_command("serve", "--threads", "12", "--port", "1")


def test_a_vanished_host_is_given_up_in_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    """``tcp_user_timeout`` and keepalives (attack review 2, finding 2; the namespace
    test in test_vanished_host.py shows what they change)."""
    monkeypatch.delenv("AMANAT_DB_TCP_TIMEOUT", raising=False)
    options = _postgres(URL)["OPTIONS"]
    assert options["tcp_user_timeout"] == 10_000
    assert (options["keepalives"], options["keepalives_idle"], options["keepalives_interval"],
            options["keepalives_count"]) == (1, 10, 3, 3)
    monkeypatch.setenv("AMANAT_DB_TCP_TIMEOUT", "0")  # TCP's own defaults
    assert "tcp_user_timeout" not in _postgres(URL)["OPTIONS"]
