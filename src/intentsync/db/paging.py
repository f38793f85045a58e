"""One page of a list query, shared by every paginated repository."""

from typing import TypeVarTuple

from sqlalchemy import BigInteger, ColumnElement, Integer, Select, SmallInteger
from sqlalchemy.orm import InstrumentedAttribute

from intentsync.kit.pagination import PageRequest

Ts = TypeVarTuple("Ts")


def largest_id(id_column: ColumnElement[int] | InstrumentedAttribute[int]) -> int:
    """The largest value the id column's declared type holds (PostgreSQL enforces it)."""
    kind = id_column.type
    if isinstance(kind, BigInteger):
        return 2**63 - 1
    if isinstance(kind, SmallInteger):
        return 2**15 - 1
    if isinstance(kind, Integer):
        return 2**31 - 1
    raise TypeError(f"page ids must be an integer column, not {kind!r}")


def one_page(
    query: Select[*Ts],
    *,
    id_column: ColumnElement[int] | InstrumentedAttribute[int],
    changed_column: ColumnElement[int] | InstrumentedAttribute[int],
    page: PageRequest,
) -> Select[*Ts]:
    """Creation order, filtered by lastSync, one row past the limit to tell if more follow."""
    if page.changed_after_ms is not None:
        query = query.where(changed_column > page.changed_after_ms)
    if page.after_id is not None:
        # No row lies past the column's range, and PostgreSQL refuses a larger bound value: a
        # key beyond it (never in a cursor we hand out) reads as the end of the walk.
        query = query.where(id_column > min(page.after_id, largest_id(id_column)))
    query = query.order_by(id_column).limit(page.limit + 1)
    if page.offset:
        query = query.offset(page.offset)
    return query
