"""All SQL of idempotency keys: every change is conditional on the claim's token."""

from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intentsync.db.models import IdempotencyKey

T = IdempotencyKey
TABLE = cast(Table, IdempotencyKey.__table__)


def insert_claim(session: Session, row: dict[str, Any]) -> bool:
    """Insert a claim unless the team already has the key; True when this one was inserted."""
    module: Any = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stmt = (
        module.insert(TABLE)
        .on_conflict_do_nothing(index_elements=["team_id", "key"])
        .returning(TABLE.c.token)
    )
    # RETURNING, since drivers need not count the rows an INSERT wrote.
    return session.connection().execute(stmt, row).first() is not None


def find(session: Session, *, team_id: int, key: str) -> Any:
    """The key's row as stored (a Row with the table's columns), or None."""
    return session.execute(select(TABLE).where(T.team_id == team_id, T.key == key)).first()


def replace_claim(session: Session, *, old_token: str, row: dict[str, Any]) -> bool:
    """Take the key over from the run holding old_token; False when someone else moved first."""
    stmt = (
        update(T)
        .where(T.team_id == row["team_id"], T.key == row["key"], T.token == old_token)
        .values(row)
    )
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


def finish_claim(
    session: Session, *, team_id: int, key: str, token: str, values: dict[str, Any]
) -> bool:
    """Record the answer of the run holding token; False when its claim was taken over."""
    stmt = (
        update(T)
        .where(T.team_id == team_id, T.key == key, T.token == token, T.state == "running")
        .values(state="done", **values)
    )
    result: CursorResult[Any] = session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


def delete_claim(session: Session, *, team_id: int, key: str, token: str) -> None:
    session.execute(
        delete(T).where(T.team_id == team_id, T.key == key, T.token == token, T.state == "running")
    )


def delete_expired(session: Session, *, now_ms: int) -> None:
    session.execute(delete(T).where(T.expires_ms <= now_ms))
