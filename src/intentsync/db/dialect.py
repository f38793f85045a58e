"""The few statements whose spelling differs between SQLite and PostgreSQL."""

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Dialect,
    Float,
    String,
    Table,
    any_,
    bindparam,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intentsync.db.engine import dump_json_all


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
    if connection.dialect.name == "postgresql":
        # One statement for the batch: a key may then come only once, so repeats fold first
        # as the row-by-row upsert would have summed them.
        rows = _folded(rows, index_elements, add, keep_max)
        bound = bind_rows(connection.dialect, model.__table__, rows)
        assert bound.sql is not None
        sql = bound.sql + _accumulate_clause(tuple(index_elements), tuple(add), tuple(keep_max))
        connection.exec_driver_sql(sql, tuple(bound.early))
        return
    stmt = _accumulating_upsert(
        connection.dialect.name, model, tuple(index_elements), tuple(add), tuple(keep_max)
    )
    connection.execute(stmt, list(rows))  # Core: no ORM bulk bookkeeping


def insert_unnest(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], tail: str = ""
) -> Any:
    """PostgreSQL: rows in one INSERT ... SELECT FROM unnest(), `tail` (ON CONFLICT, RETURNING)
    appended; the target table is aliased t. Returns the driver result."""
    connection = session.connection()
    bound = bind_rows(connection.dialect, table, rows)
    if not bound.columnar or bound.sql is None:
        raise ValueError("insert_unnest is for PostgreSQL")
    return connection.exec_driver_sql(bound.sql + tail, tuple(bound.early))


def _folded(
    rows: Sequence[dict[str, Any]],
    index_elements: Sequence[str],
    add: Sequence[str],
    keep_max: Sequence[str],
) -> Sequence[dict[str, Any]]:
    """Rows with one row per key: later repeats add to or raise the first, as upserts would."""
    first: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        key = tuple(row[c] for c in index_elements)
        kept = first.get(key)
        if kept is None:
            first[key] = row
            continue
        merged = {**kept}
        for c in add:
            merged[c] = kept[c] + row[c]
        for c in keep_max:
            merged[c] = max(kept[c], row[c])
        first[key] = merged
    return rows if len(first) == len(rows) else list(first.values())


@functools.cache
def _accumulate_clause(
    index_elements: tuple[str, ...], add: tuple[str, ...], keep_max: tuple[str, ...]
) -> str:
    """ON CONFLICT for the unnest() insert: add to some columns, keep the larger of others."""
    sets = [f'"{c}" = t."{c}" + EXCLUDED."{c}"' for c in add]
    sets += [f'"{c}" = greatest(t."{c}", EXCLUDED."{c}")' for c in keep_max]
    return _on_conflict(index_elements, sets)


def _on_conflict(index_elements: Sequence[str], sets: Sequence[str]) -> str:
    """ON CONFLICT (index_elements) with these SET items, or DO NOTHING without any."""
    keys = ", ".join(f'"{c}"' for c in index_elements)
    if not sets:
        return f" ON CONFLICT ({keys}) DO NOTHING"
    return f" ON CONFLICT ({keys}) DO UPDATE SET {', '.join(sets)}"


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


_Converter = Callable[[Any], Any] | None
_ColumnConverter = Callable[[list[Any]], list[Any]] | None
_PlainInsert = tuple[str, tuple[_ColumnConverter, ...], tuple[_Converter, ...]]
_plain_inserts: dict[tuple[str, str, tuple[str, ...]], _PlainInsert] = {}


def _column_converter(impl: Any, convert: _Converter) -> _ColumnConverter:
    """Convert one column's values for the driver; JSON goes through orjson without a frame."""
    if isinstance(impl, JSON):
        return dump_json_all
    if convert is None:
        return None
    return lambda values: list(map(convert, values))


def _plain_insert(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> _PlainInsert:
    """The positional INSERT of these columns, in this order, and their converters; built once."""
    key = (dialect.name, table.name, columns)
    found = _plain_inserts.get(key)
    if found is None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        impls = [table.c[c].type.dialect_impl(dialect) for c in columns]
        value_converters = tuple(impl.bind_processor(dialect) for impl in impls)
        column_converters = tuple(
            _column_converter(impl, convert)
            for impl, convert in zip(impls, value_converters, strict=True)
        )
        found = _plain_inserts[key] = (sql, column_converters, value_converters)
    return found


def _array_type(dialect: Dialect, column: Column[Any]) -> str:
    """The PostgreSQL array type one column's values travel in through unnest().

    Text of any declared length travels as text[]: an explicit cast to varchar(n) would cut a
    long value short, while the INSERT's own assignment cast refuses it, as a plain INSERT does.
    JSON travels as text[] too, each element cast by _unnested (measured: casting the whole
    text[] to jsonb[] took twice as long as casting its elements one by one).
    """
    return f"{_element_type(dialect, column)}[]"


def _element_type(dialect: Dialect, column: Column[Any]) -> str:
    impl = column.type.dialect_impl(dialect)
    return "TEXT" if isinstance(impl, String | JSON) else str(impl.compile(dialect=dialect))


def _unnested(dialect: Dialect, column: Column[Any], name: str) -> str:
    """The value of an unnest() column named `name`, as the table's column takes it."""
    impl = column.type.dialect_impl(dialect)
    if isinstance(impl, JSON):
        return f"CAST({name} AS {impl.compile(dialect=dialect)})"
    return name


def _single(dialect: Dialect, column: Column[Any]) -> str:
    """A `late` value: one parameter for every row, as the column takes it."""
    return _unnested(dialect, column, f"CAST(%s AS {_element_type(dialect, column)})")


def _unnest_insert(
    dialect: Dialect, table: Table, columns: tuple[str, ...], late: tuple[str, ...]
) -> _PlainInsert:
    """One INSERT for any number of rows: each column is one array parameter, unnested.

    The text is the same for every batch size, so psycopg prepares it on the server after a
    few executions; the `late` columns are single values repeated on every row.
    """
    key = (dialect.name, table.name, (*columns, "|", *late))
    found = _plain_inserts.get(key)
    if found is None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns + late)
        scalars = "".join(f", {_single(dialect, table.c[c])}" for c in late)
        # %b: psycopg sends the arrays in binary, about ten times cheaper to build than text.
        arrays = ", ".join(f"CAST(%b AS {_array_type(dialect, table.c[c])})" for c in columns)
        fields = [f"c{i}" for i in range(len(columns))]
        values = ", ".join(
            _unnested(dialect, table.c[c], f"u.{field}")
            for c, field in zip(columns, fields, strict=True)
        )
        into = f"INSERT INTO {quote(table.name)} AS t ({names})"
        sql = f"{into} SELECT {values}{scalars} FROM unnest({arrays}) AS u({', '.join(fields)})"
        impls = [table.c[c].type.dialect_impl(dialect) for c in columns + late]
        value_converters = tuple(impl.bind_processor(dialect) for impl in impls)
        column_converters = tuple(
            _array_converter(impl, convert)
            for impl, convert in zip(impls, value_converters, strict=True)
        )
        found = _plain_inserts[key] = (sql, column_converters, value_converters)
    return found


def _array_converter(impl: Any, convert: _Converter) -> _ColumnConverter:
    """Convert one column's values into the array unnest() takes."""
    return _floats if isinstance(impl, Float) else _column_converter(impl, convert)


def _floats(values: list[Any]) -> list[Any]:
    """A float column's values as floats: psycopg sends one array of one element type."""
    return [value if value is None else float(value) for value in values]


@functools.cache
def _omitted_defaults(table: Table, given: frozenset[str]) -> tuple[Column[Any], ...]:
    """The omitted columns that take the model's Python-side default; resolved once per set.

    Core fills these on PostgreSQL; the positional SQLite insert must fill them itself, or
    SQLite refuses the rows (NOT NULL) that PostgreSQL stores. Columns with only a server
    default, nullable ones and the autoincrement key are left to the database. Rows that omit
    a column nothing can fill, or name one the table lacks, are refused on both databases.
    """
    unknown = sorted(given - set(table.c.keys()))
    if unknown:
        raise ValueError(f"{table.name} has no column {', '.join(unknown)}")
    filled: list[Column[Any]] = []
    lacking: list[str] = []
    for column in table.c:
        if column.key in given:
            continue
        default = column.default
        if default is not None:
            if not (default.is_scalar or default.is_callable):
                raise ValueError(
                    f"{table.name}.{column.key} has a SQL default; rows must carry the value"
                )
            filled.append(column)
        elif not (
            column.nullable
            or column.server_default is not None
            or column is table.autoincrement_column
        ):
            lacking.append(column.key)
    if lacking:
        raise ValueError(f"rows for {table.name} lack {', '.join(lacking)}, which have no default")
    return tuple(filled)


def _default_values(column: Column[Any], count: int) -> list[Any]:
    """A column's Python-side default for `count` rows; a callable runs once per row, as in Core."""
    default: Any = column.default
    if default.is_scalar:
        return [default.arg] * count
    return [default.arg(None) for _ in range(count)]


@dataclass(frozen=True)
class BoundRows:
    """Rows made ready for one INSERT before the transaction that writes them.

    The columns in `late` (stamps known only inside the transaction) get one value for every
    row when the rows are inserted. The rest are already converted through each column type's
    converter, omitted columns taking the model's Python-side defaults: the generic per-row
    parameter assembly of a Core executemany costs about as much as SQLite's own insert. On
    SQLite they are bound positionally for one executemany; on PostgreSQL they are kept as one
    list per column, sent as arrays to a single INSERT ... SELECT FROM unnest(...), one
    statement and one round trip for the whole batch instead of one statement per row.
    """

    table: Table
    sql: str | None
    early: list[Any]
    late: tuple[str, ...]
    late_converters: tuple[_Converter, ...] = ()
    columnar: bool = False  # PostgreSQL: `early` holds one list per column, for unnest()


def bind_rows(
    dialect: Dialect,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    late: tuple[str, ...] = (),
) -> BoundRows:
    """Bind rows that all carry the same columns; the `late` columns are left for insert_bound."""
    if not rows:
        return BoundRows(table, None, [], late)
    first = rows[0].keys()
    if any(row.keys() != first for row in rows):
        raise ValueError("insert_rows needs the same columns in every row")
    early = tuple(c for c in first if c not in late)
    filled = _omitted_defaults(table, frozenset(early + late))
    bound = early + tuple(c.key for c in filled)
    columnar = dialect.name == "postgresql"
    if columnar:
        sql, column_converters, value_converters = _unnest_insert(dialect, table, bound, late)
    elif dialect.name == "sqlite":
        sql, column_converters, value_converters = _plain_insert(dialect, table, bound + late)
    else:
        return BoundRows(table, None, [{c: row[c] for c in early} for row in rows], late)
    # Column by column: each converter runs over a whole column instead of once per value.
    columns: list[list[Any]] = [[row[c] for row in rows] for c in early]
    columns += [_default_values(c, len(rows)) for c in filled]
    for i, convert in enumerate(column_converters[: len(bound)]):
        if convert is not None:
            columns[i] = convert(columns[i])
    if columnar:
        return BoundRows(table, sql, columns, late, value_converters[len(bound) :], columnar)
    return BoundRows(
        table, sql, list(zip(*columns, strict=True)), late, value_converters[len(bound) :]
    )


def insert_bound(
    session: Session,
    bound: BoundRows,
    late_values: tuple[Any, ...] = (),
    *,
    only: Sequence[int] | None = None,
) -> None:
    """Insert the bound rows (or those at the `only` positions) in one executemany."""
    if len(late_values) != len(bound.late):
        raise ValueError(f"insert_bound needs one value for each of {bound.late}")
    if bound.columnar:
        _insert_columns(session, bound, late_values, only)
        return
    chosen = bound.early if only is None else [bound.early[i] for i in only]
    if not chosen:
        return
    connection = session.connection()
    if bound.sql is None:
        late = dict(zip(bound.late, late_values, strict=True))
        connection.execute(bound.table.insert(), [{**row, **late} for row in chosen])
        return
    late_params = tuple(
        value if convert is None else convert(value)
        for value, convert in zip(late_values, bound.late_converters, strict=True)
    )
    connection.exec_driver_sql(bound.sql, [row + late_params for row in chosen])


def _insert_columns(
    session: Session, bound: BoundRows, late_values: tuple[Any, ...], only: Sequence[int] | None
) -> None:
    """PostgreSQL: the chosen rows in one unnest() INSERT, late values and arrays as parameters."""
    assert bound.sql is not None
    columns = bound.early
    if only is not None:
        columns = [[column[i] for i in only] for column in columns]
    if not columns or not columns[0]:
        return
    late_params = tuple(
        value if convert is None else convert(value)
        for value, convert in zip(late_values, bound.late_converters, strict=True)
    )
    # A tuple, not a list: one execution whose parameters are the arrays.
    session.connection().exec_driver_sql(bound.sql, (*late_params, *columns))


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows that all carry the same columns, in one executemany."""
    if rows:
        insert_bound(session, bind_rows(session.get_bind().dialect, table, rows))


_UnnestUpdate = tuple[str, tuple[_ColumnConverter, ...]]
_unnest_updates: dict[tuple[str, str, str, tuple[str, ...]], _UnnestUpdate] = {}


def _unnest_update(
    dialect: Dialect, table: Table, key: str, columns: tuple[str, ...]
) -> _UnnestUpdate:
    """UPDATE ... FROM unnest(): one statement, and one text for any batch size; built once."""
    cache_key = (dialect.name, table.name, key, columns)
    found = _unnest_updates.get(cache_key)
    if found is None:
        quote = dialect.identifier_preparer.quote
        names = (key, *columns)
        # %b: the arrays travel in binary, as in _unnest_insert.
        arrays = ", ".join(f"CAST(%b AS {_array_type(dialect, table.c[c])})" for c in names)
        sets = ", ".join(
            f"{quote(c)} = {_unnested(dialect, table.c[c], f'u.{quote(c)}')}" for c in columns
        )
        sql = (
            f"UPDATE {quote(table.name)} AS t SET {sets} FROM unnest({arrays}) AS u("
            f"{', '.join(quote(c) for c in names)}) WHERE t.{quote(key)} = u.{quote(key)}"
        )
        impls = [table.c[c].type.dialect_impl(dialect) for c in names]
        converters = tuple(_array_converter(impl, impl.bind_processor(dialect)) for impl in impls)
        found = _unnest_updates[cache_key] = (sql, converters)
    return found


def update_unnest(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, key: str, given_as: str
) -> None:
    """PostgreSQL: set each row's other values on the table row whose `key` is its `given_as`.

    One statement for the batch instead of one per row. Every row carries the same fields, each
    the name of a column; nothing else is set (no defaults), as in an UPDATE naming its columns.
    A key given twice is refused: which of its rows would win is undefined.
    """
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        raise ValueError("update_unnest is for PostgreSQL")
    first = rows[0].keys()
    if given_as not in first or any(row.keys() != first for row in rows):
        raise ValueError(f"update_unnest needs '{given_as}' and the same fields in every row")
    columns = tuple(c for c in first if c != given_as)
    unknown = sorted(set(columns) - set(table.c.keys()))
    if unknown:
        raise ValueError(f"update_unnest: {table.name} has no column {', '.join(unknown)}")
    if not columns or key in columns:
        raise ValueError(f"update_unnest needs columns to set other than the key '{key}'")
    sql, converters = _unnest_update(connection.dialect, table, key, columns)
    values = [[row[c] for row in rows] for c in (given_as, *columns)]
    if len(set(values[0])) != len(values[0]):
        raise ValueError(f"update_unnest was given one {table.name}.{key} twice")
    for i, convert in enumerate(converters):
        if convert is not None:
            values[i] = convert(values[i])
    connection.exec_driver_sql(sql, tuple(values))


@functools.cache
def replace_clause(index_elements: tuple[str, ...], update: tuple[str, ...]) -> str:
    """ON CONFLICT for the unnest() insert: overwrite the given columns with the new row's."""
    return _on_conflict(index_elements, [f'"{c}" = EXCLUDED."{c}"' for c in update])
