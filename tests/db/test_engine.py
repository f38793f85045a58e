"""Connections come configured as the README says, on each database."""

from sqlalchemy import text


def test_connections_are_configured_for_their_database(database):
    with database.transaction(write=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            # Each statement is planned for its values, whatever the server's statistics.
            assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        else:
            assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
