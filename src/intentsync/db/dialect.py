"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], index_elements: list[str]
) -> None:
    """Insert rows, skipping those that hit the given unique key, in one round trip."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).on_conflict_do_nothing(index_elements=index_elements)
    session.execute(stmt, list(rows))
