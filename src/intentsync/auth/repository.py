"""SQL for API keys, console sessions and failed sign-ins."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import ApiKey, ConsoleSession, SignInFailure, User

_OWNER = select(ApiKey.team_id, ApiKey.user_id, ApiKey.id).where(
    ApiKey.key_hash == bindparam("key_hash"), ApiKey.revoked_ms.is_(None)
)


def find_active_owner(session: Session, key_hash: str) -> tuple[int, int, int] | None:
    """(team_id, user_id, key id) of an unrevoked key; built once, as it runs on every request."""
    row = session.connection().execute(_OWNER, {"key_hash": key_hash}).first()
    return None if row is None else (row[0], row[1], row[2])


_MARK_USED = (
    update(ApiKey)
    .where(
        ApiKey.id == bindparam("b_id"),
        or_(ApiKey.last_used_ms.is_(None), ApiKey.last_used_ms < bindparam("b_ms")),
    )
    .values(last_used_ms=bindparam("b_ms"))
)


def mark_used(session: Session, uses: Mapping[int, int]) -> None:
    """Move last_used_ms forward for many keys in one statement; it never moves back."""
    if uses:
        rows = [{"b_id": key_id, "b_ms": at} for key_id, at in sorted(uses.items())]
        session.connection().execute(_MARK_USED, rows)


def team_keys(session: Session, *, team_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Every user of the team with their newest key (active or not), in email order."""
    newest = (
        select(func.max(ApiKey.id).label("key_id"), ApiKey.user_id)
        .where(ApiKey.team_id == team_id)
        .group_by(ApiKey.user_id)
        .subquery()
    )
    query = (
        select(
            User.id,
            User.email,
            User.role,
            ApiKey.id,
            ApiKey.key_prefix,
            ApiKey.created_ms,
            ApiKey.last_used_ms,
            ApiKey.revoked_ms,
        )
        .outerjoin(newest, newest.c.user_id == User.id)
        .outerjoin(ApiKey, ApiKey.id == newest.c.key_id)
        .where(User.team_id == team_id)
        .order_by(User.email)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(query)]


def revoke_for_user(session: Session, *, user_id: int, at_ms: int) -> bool:
    """Revoke the user's active key; False when there was none."""
    done = session.execute(
        update(ApiKey)
        .where(ApiKey.user_id == user_id, ApiKey.revoked_ms.is_(None))
        .values(revoked_ms=at_ms)
        .returning(ApiKey.id)
    )
    return done.first() is not None


def lock_user(session: Session, *, user_id: int) -> None:
    """Queue key changes of one user (PostgreSQL; SQLite writers are already serial)."""
    session.execute(select(User.id).where(User.id == user_id).with_for_update())


def nonce_used(session: Session, *, team_id: int, nonce: str) -> bool:
    """Whether a key of the team was already issued from the form that carried this nonce."""
    found = session.execute(
        select(ApiKey.id).where(ApiKey.team_id == team_id, ApiKey.issue_nonce == nonce)
    )
    return found.first() is not None


def add(session: Session, key: ApiKey) -> None:
    session.add(key)
    session.flush()


def add_console_session(session: Session, row: ConsoleSession) -> None:
    session.add(row)
    session.flush()


def find_console_session(
    session: Session, *, token_hash: str, now_ms: int
) -> tuple[ConsoleSession, User] | None:
    row = session.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == token_hash, ConsoleSession.expires_ms > now_ms)
    ).first()
    return None if row is None else (row[0], row[1])


def delete_console_session(session: Session, *, token_hash: str) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.token_hash == token_hash))


def delete_user_sessions(session: Session, *, user_id: int) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.user_id == user_id))


def delete_expired_sessions(session: Session, *, now_ms: int) -> None:
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_ms <= now_ms))


def add_sign_in_failure(session: Session, *, email: str, address: str, at_ms: int) -> None:
    session.execute(insert(SignInFailure).values(email=email, address=address, at_ms=at_ms))


def lock_sign_ins(session: Session, *, email: str) -> None:
    """Serialise sign-ins for one email until commit; SQLite's write transactions already are."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("sign-in:" + email))))


def count_sign_in_failures(
    session: Session, *, email: str, address: str, since_ms: int
) -> tuple[int, int, int, int | None]:
    """Failures since since_ms: (this email from this address, from this address, at this
    email, the oldest of them)."""
    recent = SignInFailure.at_ms > since_ms
    by_email = select(func.count(), func.min(SignInFailure.at_ms)).where(
        SignInFailure.email == email, recent
    )
    by_address = select(func.count(), func.min(SignInFailure.at_ms)).where(
        SignInFailure.address == address, recent
    )
    pair = select(func.count()).where(
        SignInFailure.email == email, SignInFailure.address == address, recent
    )
    email_count, email_oldest = session.execute(by_email).one()
    address_count, address_oldest = session.execute(by_address).one()
    pair_count = session.execute(pair).scalar_one()
    oldest = [at for at in (email_oldest, address_oldest) if at is not None]
    return int(pair_count), int(address_count), int(email_count), min(oldest) if oldest else None


def clear_sign_in_failures(session: Session, *, email: str, address: str, before_ms: int) -> None:
    """After a right password: this pair's failures go, and everyone's expired ones."""
    session.execute(
        delete(SignInFailure).where(
            ((SignInFailure.email == email) & (SignInFailure.address == address))
            | (SignInFailure.at_ms < before_ms)
        )
    )
