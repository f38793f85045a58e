"""SQL for API keys."""

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from intentsync.db.models import ApiKey


def find_active(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_ms.is_(None))
    )


def revoke_for_user(session: Session, *, user_id: int, at_ms: int) -> None:
    session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_ms.is_(None))
        .values(revoked_ms=at_ms)
    )


def add(session: Session, key: ApiKey) -> None:
    session.add(key)
    session.flush()
