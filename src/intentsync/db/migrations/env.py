"""Alembic environment: one schema for SQLite (batch mode) and PostgreSQL."""

from alembic import context
from sqlalchemy import create_engine, pool

from intentsync.db import models  # noqa: F401  (registers every table)
from intentsync.db.base import Base
from intentsync.db.engine import is_sqlite, normalise_url

config = context.config
QUEUE_PREFIX = "procrastinate_"  # the job queue's own tables (revision 0013), not our models


def include_object(
    obj: object, name: str | None, kind: str, reflected: bool, _compare: object
) -> bool:
    """Autogenerate compares our models only; the queue's tables belong to procrastinate."""
    table = getattr(obj, "table", None) if kind in ("index", "column") else obj
    table_name = getattr(table, "name", name) or ""
    return not (reflected and table_name.startswith(QUEUE_PREFIX))


url = normalise_url(config.get_main_option("sqlalchemy.url") or "")


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=is_sqlite(url),
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
