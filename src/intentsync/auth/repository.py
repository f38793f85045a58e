"""SQL for API keys."""

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import ApiKey

_OWNER = select(ApiKey.team_id, ApiKey.user_id).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_ms.is_(None)
)


def find_active_owner(session: Session, key_hash: str) -> tuple[int, int] | None:
    """(team_id, user_id) of an unrevoked key; built once, as it runs on every request."""
    row = session.connection().execute(_OWNER, {"key_hash": key_hash}).first()
    return None if row is None else (row[0], row[1])


def revoke_for_user(session: Session, *, user_id: int, at_ms: int) -> None:
    session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_ms.is_(None))
        .values(revoked_ms=at_ms)
    )


def add(session: Session, key: ApiKey) -> None:
    session.add(key)
    session.flush()
