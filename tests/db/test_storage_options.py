"""Each table's storage options on a migrated database are the ones its model declares.

alembic check compares columns, keys and indexes but not these, so without this test a model
option could lack its migration, or a migration set one that no model declares.
"""

from typing import Any

from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Table, inspect

from intentsync.db.base import Base
from intentsync.db.engine import Database
from intentsync.db.migrate import alembic_config
from intentsync.db.models import AccountScore

TABLES: list[Table] = list(Base.metadata.sorted_tables)


def _declared(table: Table, dialect: str) -> dict[str, Any]:
    """The model's options in the shape SQLAlchemy's inspector reflects them."""
    if dialect == "sqlite":
        rowid = table.dialect_options["sqlite"]["with_rowid"]
        return {} if rowid else {"sqlite_with_rowid": False}
    options = table.dialect_options["postgresql"]["with"]
    return {"postgresql_with": {k: str(v) for k, v in options.items()}} if options else {}


def _stored(database: Database, name: str) -> dict[str, Any]:
    return inspect(database.engine).get_table_options(name)  # a fresh inspector: no cache


def _assert_storage_as_declared(database: Database) -> None:
    dialect = database.engine.dialect.name
    stored = {t.name: _stored(database, t.name) for t in TABLES}
    assert stored == {t.name: _declared(t, dialect) for t in TABLES}


def test_every_table_has_the_storage_options_its_model_declares(database):
    _assert_storage_as_declared(database)
    assert any(_declared(t, database.engine.dialect.name) for t in TABLES)  # not vacuous


def test_explanations_keep_half_of_each_page_free_for_the_next_runs_rewrite():
    table = AccountScore.__table__
    assert isinstance(table, Table)
    assert _declared(table, "postgresql") == {"postgresql_with": {"fillfactor": "50"}}


def test_a_downgrade_below_0018_gives_the_explanations_their_default_back(lone_ws):
    database = lone_ws.db
    config = alembic_config(database.url)
    command.downgrade(config, "0017")
    try:
        with database.engine.connect() as conn:
            assert MigrationContext.configure(conn).get_current_revision() == "0017"
        assert _stored(database, "account_scores") == {}
    finally:
        command.upgrade(config, "head")
    _assert_storage_as_declared(database)
