"""Rows read by position from one declaration, so a reordered column cannot swap two fields.

A hot read path builds its wire dicts by unpacking result rows by position: reading fields by
name, or looping over a table of converters per value, costs more than the query. Here one
table of (wire name, column, converter) drives both the SELECT list and the unpacking: the
function that turns a row into its dict is generated from the same table, once, so it runs
as fast as one written by hand and cannot disagree with the SELECT.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Text, func
from sqlalchemy.orm import QueryableAttribute

RowToWire = Callable[[Sequence[Any]], dict[str, Any]]


@dataclass(frozen=True)
class WireColumn:
    """One selected column: its wire name (None: read for the server, not sent) and converter."""

    wire: str | None
    column: ColumnElement[Any] | QueryableAttribute[Any]
    convert: Callable[[Any], Any] | None = None


def stored_json(column: QueryableAttribute[Any], empty: str) -> ColumnElement[Any]:
    """A JSON column's stored text, `empty` when it is missing or JSON null.

    The database settles the missing case, so each value can go out through orjson.Fragment
    itself, with no Python function per value.
    """
    text = func.coalesce(func.nullif(column.cast(Text), "null"), empty)
    label: ColumnElement[Any] = text.label(column.key)
    return label


class RowShape:
    """The SELECT list of a read and the generated function building each row's wire dict."""

    def __init__(self, name: str, fields: Sequence[WireColumn]) -> None:
        wire = [f.wire for f in fields if f.wire is not None]
        if len(set(wire)) != len(wire):
            raise ValueError(f"{name}: a wire name appears twice")
        self.fields = tuple(fields)
        self.columns = tuple(f.column for f in fields)
        self.wire_names = tuple(wire)
        self.to_wire: RowToWire = _generate(name, self.fields)


def _generate(name: str, fields: tuple[WireColumn, ...]) -> RowToWire:
    """`def to_wire(row): (v0, v1, ...) = row; return {"a": v0, "b": c1(v1), ...}`, compiled.

    The unpacking fails on a row of any other length, so a row from another SELECT is refused.
    """
    names = [f"v{i}" if f.wire is not None else "_" for i, f in enumerate(fields)]
    namespace: dict[str, Any] = {}
    items = []
    for i, field in enumerate(fields):
        if field.wire is None:
            continue
        value = f"v{i}"
        if field.convert is not None:
            namespace[f"c{i}"] = field.convert
            value = f"c{i}({value})"
        items.append(f"{field.wire!r}: {value}")
    source = (
        f"def to_wire(row):\n    ({', '.join(names)},) = row\n    return {{{', '.join(items)}}}\n"
    )
    exec(compile(source, f"<row shape {name}>", "exec"), namespace)
    function: RowToWire = namespace["to_wire"]
    return function
