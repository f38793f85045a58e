"""The few statements whose spelling differs between SQLite and PostgreSQL."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], index_elements: list[str]
) -> None:
    """Insert rows, skipping those that hit the given unique key, in one round trip."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).on_conflict_do_nothing(index_elements=index_elements)
    session.connection().execute(stmt, list(rows))  # Core: no ORM bulk bookkeeping


def upsert_accumulate(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    index_elements: list[str],
    *,
    add: Sequence[str],
    keep_max: Sequence[str],
) -> None:
    """Insert rows; on a key hit add to some columns and keep the larger of others."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    larger = func.greatest if dialect == "postgresql" else func.max
    stmt = module.insert(model)
    table = model.__table__
    values = {c: table.c[c] + stmt.excluded[c] for c in add}
    values.update({c: larger(table.c[c], stmt.excluded[c]) for c in keep_max})
    stmt = stmt.on_conflict_do_update(index_elements=index_elements, set_=values)
    session.connection().execute(stmt, list(rows))  # Core: no ORM bulk bookkeeping


def upsert_replace(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    index_elements: list[str],
    *,
    update: Sequence[str],
) -> None:
    """Insert rows; on a key hit overwrite the given columns with the new values."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model)
    stmt = stmt.on_conflict_do_update(
        index_elements=index_elements, set_={c: stmt.excluded[c] for c in update}
    )
    session.connection().execute(stmt, list(rows))  # Core: no ORM bulk bookkeeping
