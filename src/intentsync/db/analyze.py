"""Planner statistics on demand, for servers where nothing refreshes them by itself.

PostgreSQL's autovacuum normally keeps them fresh; SQLite never gathers them unasked, and its
planner reads whatever ANALYZE last left in sqlite_stat1.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from intentsync.db import models  # noqa: F401  (registers every table)
from intentsync.db.base import Base
from intentsync.kit.errors import BadRequest


def schema_tables() -> list[str]:
    return sorted(Base.metadata.tables)


def analyze_tables(session: Session, *, tables: Sequence[str] = ()) -> list[str]:
    """ANALYZE the given tables of our schema (all of them by default); return their names."""
    known = schema_tables()
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise BadRequest(f"no table named {', '.join(unknown)}; the tables are: {', '.join(known)}")
    chosen = sorted(set(tables)) if tables else known
    connection = session.connection()
    quote = connection.dialect.identifier_preparer.quote
    for table in chosen:
        connection.exec_driver_sql(f"ANALYZE {quote(table)}")
    return chosen
