"""SQL for API keys, console sessions and failed sign-ins."""

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import ApiKey, ConsoleSession, SignInFailure, User

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


def count_sign_in_failures(
    session: Session, *, email: str, address: str, since_ms: int
) -> tuple[int, int, int | None]:
    """(failures for the email, failures from the address, the oldest counted) since since_ms."""
    recent = SignInFailure.at_ms > since_ms
    by_email = select(func.count(), func.min(SignInFailure.at_ms)).where(
        SignInFailure.email == email, recent
    )
    by_address = select(func.count(), func.min(SignInFailure.at_ms)).where(
        SignInFailure.address == address, recent
    )
    email_count, email_oldest = session.execute(by_email).one()
    address_count, address_oldest = session.execute(by_address).one()
    oldest = [at for at in (email_oldest, address_oldest) if at is not None]
    return int(email_count), int(address_count), min(oldest) if oldest else None


def clear_sign_in_failures(session: Session, *, email: str, before_ms: int) -> None:
    session.execute(
        delete(SignInFailure).where(
            (SignInFailure.email == email) | (SignInFailure.at_ms < before_ms)
        )
    )
