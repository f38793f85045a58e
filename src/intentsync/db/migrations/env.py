"""Alembic environment: one schema for SQLite (batch mode) and PostgreSQL."""

from alembic import context
from sqlalchemy import create_engine, pool

from intentsync.db import models  # noqa: F401  (registers every table)
from intentsync.db.base import Base
from intentsync.db.engine import is_sqlite, normalise_url

config = context.config
url = normalise_url(config.get_main_option("sqlalchemy.url") or "")


def run_migrations_offline() -> None:
    context.configure(
        url=url,
        target_metadata=Base.metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
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
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
