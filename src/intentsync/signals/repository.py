"""SQL for signal events and their daily roll-up."""

from collections.abc import Collection, Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from intentsync.db.dialect import upsert_accumulate
from intentsync.db.models import SignalDaily, SignalEvent

_EVENTS = cast(Table, SignalEvent.__table__)


def existing_keys(
    session: Session, *, team_id: int, source: str, keys: Collection[str]
) -> set[str]:
    if not keys:
        return set()
    rows = session.execute(
        select(SignalEvent.natural_key).where(
            SignalEvent.team_id == team_id,
            SignalEvent.source == source,
            SignalEvent.natural_key.in_(list(keys)),
        )
    )
    return {row[0] for row in rows}


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.connection().execute(_EVENTS.insert(), list(rows))


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
