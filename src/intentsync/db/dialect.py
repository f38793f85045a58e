"""The few statements whose spelling differs between SQLite and PostgreSQL."""

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, ColumnElement, Dialect, Table, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def in_bound_list(column: ColumnElement[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """column IN a list bound as one parameter, so the SQL is the same for any list length.

    An expanding IN renders its SQL again on every call, which costs more than the lookup.
    """
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=postgresql.ARRAY(column.type)))
    values = func.json_each(bindparam(name, type_=JSON)).table_valued("value")
    return column.in_(select(values.c.value))


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
    connection = session.connection()
    stmt = _accumulating_upsert(
        connection.dialect.name, model, tuple(index_elements), tuple(add), tuple(keep_max)
    )
    connection.execute(stmt, list(rows))  # Core: no ORM bulk bookkeeping


@functools.cache
def _accumulating_upsert(
    dialect: str,
    model: Any,
    index_elements: tuple[str, ...],
    add: tuple[str, ...],
    keep_max: tuple[str, ...],
) -> Any:
    """Built once per shape: ingest upserts every batch, and building costs more than running."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    larger = func.greatest if dialect == "postgresql" else func.max
    stmt = module.insert(model)
    table = model.__table__
    values = {c: table.c[c] + stmt.excluded[c] for c in add}
    values.update({c: larger(table.c[c], stmt.excluded[c]) for c in keep_max})
    return stmt.on_conflict_do_update(index_elements=list(index_elements), set_=values)


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


_PlainInsert = tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]
_plain_inserts: dict[tuple[str, str, tuple[str, ...]], _PlainInsert] = {}


def _plain_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _PlainInsert:
    """The SQL, parameter order and value converters of an INSERT of these columns, built once."""
    key = (dialect.name, table.name, columns)
    found = _plain_inserts.get(key)
    if found is None:
        compiled = (
            table.insert().values({c: bindparam(c) for c in columns}).compile(dialect=dialect)
        )
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(columns):
            raise ValueError(f"cannot bind {columns} positionally for {table.name}")
        converters = tuple(
            table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in order
        )
        found = _plain_inserts[key] = (compiled.string, order, converters)
    return found


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all carry the same columns, in one executemany.

    On SQLite the rows are bound positionally through each column type's converter: the
    generic per-row parameter assembly of a Core executemany costs about as much as SQLite's
    own insert. Other databases keep the Core statement, which batches rows into multi-row
    VALUES.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError("insert_rows needs the same columns in every row")
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(table.insert(), list(rows))
        return
    sql, order, converters = _plain_insert(connection.dialect, table, columns)
    values_of = operator.itemgetter(*order)
    converted = [(i, convert) for i, convert in enumerate(converters) if convert is not None]
    params: list[tuple[Any, ...]] = []
    for row in rows:
        values = values_of(row) if len(order) > 1 else (values_of(row),)
        if converted:
            changed = list(values)
            for i, convert in converted:
                changed[i] = convert(changed[i])
            values = tuple(changed)
        params.append(values)
    connection.exec_driver_sql(sql, params)
