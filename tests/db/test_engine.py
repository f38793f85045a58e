"""Connections come configured as the README says, on each database."""

from sqlalchemy import text


def test_connections_are_configured_for_their_database(database):
    with database.transaction(write=True) as session:
        if session.get_bind().dialect.name == "postgresql":
            # A write plans each statement for its values, whatever the server's statistics.
            assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        else:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    with database.transaction(write=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Reads keep the plan cache: its page plans hold up without statistics.
            assert session.execute(text("SHOW plan_cache_mode")).scalar() == "auto"
