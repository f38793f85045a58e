"""Each table's storage options on a migrated database are the ones its model declares.

alembic check compares columns, keys and indexes but not these, so without this test a model
option could lack its migration, or a migration set one that no model declares.
"""

from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, text

from intentsync.db.base import Base
from intentsync.db.engine import is_sqlite
from intentsync.db.migrate import alembic_config
from intentsync.db.models import AccountScore

TABLES: list[Table] = list(Base.metadata.sorted_tables)


def _declared_postgresql(table: Table) -> dict[str, str]:
    options: dict[str, Any] = table.dialect_options["postgresql"]["with"] or {}
    return {name: str(value) for name, value in options.items()}


def _stored_postgresql(database: Any) -> dict[str, dict[str, str]]:
    query = text(
        "SELECT c.relname, c.reloptions FROM pg_class AS c"
        " JOIN pg_namespace AS n ON n.oid = c.relnamespace"
        " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
    )
    with database.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {name: dict(option.split("=", 1) for option in options or []) for name, options in rows}


def _stored_without_rowid(database: Any) -> set[str]:
    query = text("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
    with database.engine.connect() as conn:
        rows = conn.execute(query).all()
    return {name for name, sql in rows if "WITHOUT ROWID" in sql.upper()}


def _assert_storage_as_declared(database: Any) -> None:
    if is_sqlite(database.url):
        declared = {t.name for t in TABLES if t.dialect_options["sqlite"]["with_rowid"] is False}
        assert _stored_without_rowid(database) == declared
        assert "signal_daily" in declared  # the roll-up is stored as its key
        return
    stored = _stored_postgresql(database)
    assert {t.name: stored.get(t.name) for t in TABLES} == {
        t.name: _declared_postgresql(t) for t in TABLES
    }


def test_every_table_has_the_storage_options_its_model_declares(database):
    _assert_storage_as_declared(database)


def test_explanations_keep_half_of_each_page_free_for_the_next_runs_rewrite():
    table = AccountScore.__table__
    assert isinstance(table, Table)
    assert _declared_postgresql(table) == {"fillfactor": "50"}


def test_a_downgrade_below_0018_gives_the_explanations_their_default_back(lone_ws):
    database = lone_ws.db
    config = alembic_config(database.url)
    command.downgrade(config, "0017")
    try:
        with database.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0017"
        if not is_sqlite(database.url):  # SQLite has no such option: 0018 does nothing there
            assert _stored_postgresql(database)["account_scores"] == {}
    finally:
        command.upgrade(config, "head")
    _assert_storage_as_declared(database)
