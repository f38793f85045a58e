"""One page of a list query, shared by every paginated repository."""

from typing import TypeVarTuple

from sqlalchemy import BigInteger, ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute

from intentsync.kit.pagination import PageRequest

Ts = TypeVarTuple("Ts")
INT32_MAX = 2**31 - 1


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
        after_id = page.after_id
        if not isinstance(id_column.type, BigInteger):
            # No row lies past a 32-bit key, and PostgreSQL refuses a larger bound parameter.
            after_id = min(after_id, INT32_MAX)
        query = query.where(id_column > after_id)
    query = query.order_by(id_column).limit(page.limit + 1)
    if page.offset:
        query = query.offset(page.offset)
    return query
