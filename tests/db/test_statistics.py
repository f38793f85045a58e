"""On PostgreSQL the keeper analyzes tables that grew, so lookups keep using the right index."""

import time

import pytest
from sqlalchemy import text

from intentsync.db.statistics import StatisticsKeeper, analyze_stale_tables, autovacuum_is_on
from tests.factories import account


def last_analyzed(database, table):
    with database.engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT coalesce(last_analyze, last_autoanalyze) FROM pg_stat_user_tables "
                "WHERE relname = :t"
            ),
            {"t": table},
        ).scalar()


def test_keeper_runs_only_on_postgresql_without_autovacuum(database):
    keeper = StatisticsKeeper(database.engine, interval_seconds=0.05)
    expected = database.engine.dialect.name == "postgresql" and not autovacuum_is_on(
        database.engine
    )
    try:
        assert keeper.start() is expected
    finally:
        keeper.stop()


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_grown_tables_are_analyzed(ws, database):
    """PostgreSQL only: SQLite plans these lookups well without statistics."""
    for start in range(0, 700, 100):
        ws.push(*[account(i) for i in range(start, start + 100)])
    with database.engine.connect() as conn:
        conn.execute(text("SELECT pg_stat_force_next_flush()"))
    # statistics counters reach pg_stat_user_tables asynchronously; wait for them
    for _ in range(50):
        with database.engine.connect() as conn:
            pending = conn.execute(
                text(
                    "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relname = 'accounts'"
                )
            ).scalar()
        if pending and pending >= 700:
            break
        time.sleep(0.1)
    assert "accounts" in analyze_stale_tables(database.engine)
    assert last_analyzed(database, "accounts") is not None
    assert "accounts" not in analyze_stale_tables(database.engine)
