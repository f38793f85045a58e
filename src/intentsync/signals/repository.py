"""SQL for signal events and their daily roll-up."""

import functools
from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, func, select
from sqlalchemy.orm import Session

from intentsync.db.dialect import in_bound_list, insert_rows, upsert_accumulate
from intentsync.db.models import SignalDaily, SignalEvent
from intentsync.signals.types import VISITOR_TYPE

_EVENTS = cast(Table, SignalEvent.__table__)


@functools.cache
def _existing_keys_query(dialect: str) -> Select[str]:
    return select(_EVENTS.c.natural_key).where(
        _EVENTS.c.team_id == bindparam("team_id"),
        _EVENTS.c.source == bindparam("source"),
        in_bound_list(_EVENTS.c.natural_key, "keys", dialect),
    )


def existing_keys(
    session: Session, *, team_id: int, source: str, keys: Collection[str]
) -> set[str]:
    if not keys:
        return set()
    connection = session.connection()
    rows = connection.execute(
        _existing_keys_query(connection.dialect.name),
        {"team_id": team_id, "source": source, "keys": list(keys)},
    )
    return {row[0] for row in rows}


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, _EVENTS, rows)


def add_to_daily(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Fold new events into the roll-up: quantities add, the Bombora score keeps its maximum."""
    upsert_accumulate(
        session,
        SignalDaily,
        rows,
        ["team_id", "account_id", "source", "type", "day", "detail"],
        add=["quantity"],
        keep_max=["value"],
    )


def volume_by_day(session: Session, *, team_id: int, from_day: int) -> Sequence[Any]:
    """(day, source, summed quantity) from from_day on; derived visitor rows are not signals."""
    query = (
        select(SignalDaily.day, SignalDaily.source, func.sum(SignalDaily.quantity))
        .where(
            SignalDaily.team_id == team_id,
            SignalDaily.day >= from_day,
            SignalDaily.type != VISITOR_TYPE,
        )
        .group_by(SignalDaily.day, SignalDaily.source)
    )
    return session.connection().execute(query).all()
