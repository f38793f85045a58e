"""SQL for signal events and their daily roll-up."""

import functools
from collections.abc import Collection, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, case, func, select, text, tuple_, update
from sqlalchemy.orm import Session

from intentsync.db.dialect import in_bound_list, insert_rows, upsert_accumulate
from intentsync.db.models import SignalDaily, SignalEvent, SignalFoldMark, SignalVolume, Team
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


# PostgreSQL: every (source, key) pair of a batch in one lookup, the pairs sent as two arrays.
_EXISTING_PAIRS = text(
    "SELECT e.source, e.natural_key FROM signal_events AS e"
    " JOIN unnest(CAST(:sources AS TEXT[]), CAST(:keys AS TEXT[])) AS p(source, natural_key)"
    " ON e.source = p.source AND e.natural_key = p.natural_key"
    " WHERE e.team_id = :team_id"
)


def existing_pairs(
    session: Session, *, team_id: int, keys_by_source: Mapping[str, Collection[str]]
) -> set[tuple[str, str]]:
    """The (source, natural key) pairs the team already holds, in one round trip on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        return {
            (source, key)
            for source, keys in keys_by_source.items()
            for key in existing_keys(session, team_id=team_id, source=source, keys=keys)
        }
    sources = [source for source, keys in keys_by_source.items() for _ in keys]
    keys = [key for source_keys in keys_by_source.values() for key in source_keys]
    if not keys:
        return set()
    rows = connection.execute(
        _EXISTING_PAIRS, {"team_id": team_id, "sources": sources, "keys": keys}
    )
    return {(row[0], row[1]) for row in rows}


def insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    insert_rows(session, _EVENTS, rows)


def add_to_daily(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Fold new events into the roll-up: quantities add, the Bombora score keeps its maximum.

    The team's daily volume per source is kept in the same statement batch, so the two never
    disagree: every roll-up write goes through here.
    """
    upsert_accumulate(
        session,
        SignalDaily,
        rows,
        ["team_id", "account_id", "source", "type", "day", "detail"],
        add=["quantity"],
        keep_max=["value"],
    )
    upsert_accumulate(
        session,
        SignalVolume,
        volume_rows(rows),
        ["team_id", "day", "source"],
        add=["quantity"],
        keep_max=[],
    )


def volume_rows(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Roll-up rows summed per team, day and source; derived visitor rows are not signals."""
    totals: dict[tuple[int, int, str], float] = {}
    for row in rows:
        if row["type"] != VISITOR_TYPE:
            key = (row["team_id"], row["day"], row["source"])
            totals[key] = totals.get(key, 0.0) + row["quantity"]
    return [
        {"team_id": team, "day": day, "source": source, "quantity": quantity}
        for (team, day, source), quantity in sorted(totals.items())
    ]


def volume_by_day(session: Session, *, team_id: int, from_day: int) -> Sequence[Any]:
    """(day, source, summed quantity) from from_day on."""
    query = select(SignalVolume.day, SignalVolume.source, SignalVolume.quantity).where(
        SignalVolume.team_id == team_id, SignalVolume.day >= from_day
    )
    return session.connection().execute(query).all()


def fold_mark(session: Session, *, team_id: int) -> int:
    """The id of the team's last event folded into the roll-up; 0 before the first."""
    query = select(SignalFoldMark.event_id).where(SignalFoldMark.team_id == team_id)
    return int(session.connection().execute(query).scalar() or 0)


def set_fold_mark(session: Session, *, team_id: int, event_id: int) -> None:
    """Called under the team write lock, so the update-else-insert cannot race."""
    moved = session.connection().execute(
        update(SignalFoldMark).where(SignalFoldMark.team_id == team_id).values(event_id=event_id)
    )
    if moved.rowcount == 0:
        insert_rows(
            session,
            cast(Table, SignalFoldMark.__table__),
            [{"team_id": team_id, "event_id": event_id}],
        )


def events_after(session: Session, *, team_id: int, after_id: int, limit: int) -> Sequence[Any]:
    """(id, account_id, source, type, day, quantity, attributes) of events after after_id."""
    query = (
        select(
            _EVENTS.c.id,
            _EVENTS.c.account_id,
            _EVENTS.c.source,
            _EVENTS.c.type,
            _EVENTS.c.day,
            _EVENTS.c.quantity,
            _EVENTS.c.attributes,
        )
        .where(_EVENTS.c.team_id == team_id, _EVENTS.c.id > after_id)
        .order_by(_EVENTS.c.id)
        .limit(limit)
    )
    return session.connection().execute(query).all()


def unfolded_volume(
    session: Session, *, team_id: int, after_id: int, from_day: int
) -> Sequence[Any]:
    """(day, source, summed quantity) of events after after_id, from from_day on."""
    query = (
        select(_EVENTS.c.day, _EVENTS.c.source, func.sum(_EVENTS.c.quantity))
        .where(
            _EVENTS.c.team_id == team_id,
            _EVENTS.c.id > after_id,
            _EVENTS.c.day >= from_day,
        )
        .group_by(_EVENTS.c.day, _EVENTS.c.source)
    )
    return session.connection().execute(query).all()


def _mark_of(team_id: Any) -> Any:
    """The fold mark of team_id (a column or a value) as a scalar; 0 before the first fold."""
    return func.coalesce(
        select(SignalFoldMark.event_id)
        .where(SignalFoldMark.team_id == team_id)
        .correlate_except(SignalFoldMark)
        .scalar_subquery(),
        0,
    )


def _first_after_mark(team_id: Any, dialect: str) -> Any:
    """created_ms of the team's first event past its mark, else NULL: one index seek.

    On PostgreSQL, a keyset step on (team_id, id): the first row after (team, mark) in that
    index is the team's first unfolded event if it is the team's at all. With the team as an
    equality and `ORDER BY id`, its generic plans walked the primary key from the mark
    instead, through every newer event of every team. SQLite seeks only the first column of a
    row value, so there the equality form is the one that seeks (team_id, id) exactly.
    """
    events = _EVENTS.c
    mark = _mark_of(team_id)
    if dialect == "postgresql":
        query = (
            select(case((events.team_id == team_id, events.created_ms), else_=None))
            .where(tuple_(events.team_id, events.id) > tuple_(team_id, mark))
            .order_by(events.team_id, events.id)
        )
    else:
        query = (
            select(events.created_ms)
            .where(events.team_id == team_id, events.id > mark)
            .order_by(events.id)
        )
    return query.correlate_except(_EVENTS).limit(1).scalar_subquery()


def has_events_after_mark(session: Session, *, team_id: int) -> bool:
    connection = session.connection()
    query = select(_first_after_mark(team_id, connection.dialect.name))
    return connection.execute(query).scalar() is not None


def teams_with_events_after_mark(session: Session) -> list[int]:
    connection = session.connection()
    first = _first_after_mark(Team.id, connection.dialect.name)
    rows = connection.execute(select(Team.id).where(first.is_not(None)).order_by(Team.id))
    return [int(row[0]) for row in rows]


def oldest_event_after_mark_ms(session: Session) -> int | None:
    """Stamps grow with ids under the team lock, so each team's first event is its oldest."""
    connection = session.connection()
    first = _first_after_mark(Team.id, connection.dialect.name)
    per_team = select(first.label("oldest")).select_from(Team).subquery()
    value = connection.execute(select(func.min(per_team.c.oldest))).scalar()
    return None if value is None else int(value)
