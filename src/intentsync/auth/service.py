"""Who may call: API keys (one active per user, shown once, stored hashed) and console sign-in."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from intentsync.auth import keys, passwords, repository
from intentsync.db.models import ApiKey, ConsoleSession, User
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import AppError, Conflict, NotFound, TooManyRequests, Unauthorized
from intentsync.teams.service import (
    ADMIN,
    find_user,
    get_user,
    require_user,
    store_password_hash,
)

MISSING_KEY = "X-Api-Key header is required"
INVALID_KEY = "Invalid API key"


@dataclass(frozen=True)
class Principal:
    team_id: int
    user_id: int
    key_id: int | None = None  # the key that was checked, for its last-use time


def presented_key(raw_key: str | None) -> str:
    """The key a request carries; a missing one is refused before any database work."""
    if raw_key is None or not raw_key.strip():
        raise Unauthorized(MISSING_KEY)
    return raw_key.strip()


def authenticate(session: Session, raw_key: str | None) -> Principal:
    found = repository.find_active_owner(session, keys.hash_key(presented_key(raw_key)))
    if found is None:
        raise Unauthorized(INVALID_KEY)
    return Principal(team_id=found[0], user_id=found[1], key_id=found[2])


def record_key_uses(session: Session, uses: Mapping[int, int]) -> None:
    """Store when keys were last used ({key id: ms}); a later time never goes back."""
    repository.mark_used(session, uses)


@dataclass(frozen=True)
class KeyRow:
    """A team user with their newest API key, as the console lists them."""

    user_id: int
    email: str
    role: str
    key_prefix: str | None
    created_ms: int | None
    last_used_ms: int | None
    revoked_ms: int | None

    @property
    def active(self) -> bool:
        return self.key_prefix is not None and self.revoked_ms is None


MAX_LISTED_USERS = 1000


def team_keys(session: Session, *, team_id: int) -> list[KeyRow]:
    """Each user of the team (up to MAX_LISTED_USERS) with their newest key, if any."""
    return [
        KeyRow(row[0], row[1], row[2], row[4], row[5], row[6], row[7])
        for row in repository.team_keys(session, team_id=team_id, limit=MAX_LISTED_USERS)
    ]


def _team_user(session: Session, *, team_id: int, user_id: int) -> User:
    user = get_user(session, user_id=user_id)
    if user is None or user.team_id != team_id:
        raise NotFound(f"No user with id {user_id} in this team")
    return user


ALREADY_ISSUED = (
    "This key was already issued from this form; it is shown only once — "
    "issue a new one if you did not copy it"
)


def new_issue_nonce() -> str:
    """A one-time token for an issue-key form, so sending that form again issues nothing."""
    return secrets.token_urlsafe(24)


def issue_key(
    session: Session, *, team_id: int, user_id: int, nonce: str | None = None
) -> tuple[str, str]:
    """(email, new key) for a user of this team; their previous key stops working.

    With the nonce of the form that asked, a second request from the same form (a reload, a
    double click) is refused and the key issued the first time stays the active one.
    """
    user = _team_user(session, team_id=team_id, user_id=user_id)
    repository.lock_user(session, user_id=user.id)
    if nonce is not None and repository.nonce_used(session, team_id=team_id, nonce=nonce):
        raise Conflict(ALREADY_ISSUED)
    return user.email, generate_key(session, email=user.email, nonce=nonce)


def revoke_key(session: Session, *, team_id: int, user_id: int) -> str:
    """Revoke a team user's active key at once; returns their email."""
    user = _team_user(session, team_id=team_id, user_id=user_id)
    if not repository.revoke_for_user(session, user_id=user.id, at_ms=now_ms()):
        raise Conflict(f"{user.email} has no active API key to revoke")
    return user.email


def generate_key(session: Session, *, email: str, nonce: str | None = None) -> str:
    """Issue a new key for the user, revoking the previous one in the same transaction."""
    user = find_user(session, email=email)
    if user is None:
        raise NotFound(f"No user with email '{email}'")
    at = now_ms()
    repository.revoke_for_user(session, user_id=user.id, at_ms=at)
    key = keys.new_key()
    repository.add(
        session,
        ApiKey(
            team_id=user.team_id,
            user_id=user.id,
            key_hash=keys.hash_key(key),
            key_prefix=keys.display_prefix(key),
            created_ms=at,
            issue_nonce=nonce,
        ),
    )
    return key


# --- console sign-in -------------------------------------------------------------------------

SESSION_LIFETIME_MS = 7 * 24 * 3600 * 1000
THROTTLE_WINDOW_MS = 15 * 60 * 1000
# Guesses at one email from one address; from one address at any emails; at one email from
# anywhere. The last is high so that a stranger cannot lock a user out, only slow guessing.
MAX_FAILURES_PER_EMAIL_AND_ADDRESS = 5
MAX_FAILURES_PER_ADDRESS = 20
MAX_FAILURES_PER_EMAIL = 50
WRONG_CREDENTIALS = "Wrong email or password"


@dataclass(frozen=True)
class Viewer:
    """Who a console request acts for: checked on every request, never trusted from the form."""

    user_id: int
    team_id: int
    email: str
    role: str
    csrf_token: str

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN


@dataclass(frozen=True)
class PasswordCheck:
    """What the slow half of a sign-in found: the user the password is right for, or None."""

    email: str
    address: str
    user_id: int | None


@dataclass(frozen=True)
class SignedIn:
    """A sign-in's outcome: the new session's cookie token and viewer, or why it was refused."""

    token: str | None = None
    viewer: Viewer | None = None
    refusal: AppError | None = None


def set_password(session: Session, *, email: str, password: str) -> None:
    """Store an argon2id hash; every browser signed in as the user is signed out."""
    user = require_user(session, email=email)
    store_password_hash(session, user_id=user.id, password_hash=passwords.hash_password(password))
    repository.delete_user_sessions(session, user_id=user.id)


def remove_password(session: Session, *, team_id: int, user_id: int, by_user_id: int) -> str:
    """Take a user's console access away (their API key still works); returns their email."""
    user = _team_user(session, team_id=team_id, user_id=user_id)
    if user.id == by_user_id:
        raise Conflict("You cannot remove your own password; ask another admin to do it")
    store_password_hash(session, user_id=user.id, password_hash=None)
    repository.delete_user_sessions(session, user_id=user.id)
    return user.email


def _throttled(session: Session, *, email: str, address: str, at: int) -> TooManyRequests | None:
    pair, by_address, by_email, oldest = repository.count_sign_in_failures(
        session, email=email, address=address, since_ms=at - THROTTLE_WINDOW_MS
    )
    if (
        pair < MAX_FAILURES_PER_EMAIL_AND_ADDRESS
        and by_address < MAX_FAILURES_PER_ADDRESS
        and by_email < MAX_FAILURES_PER_EMAIL
    ):
        return None
    wait_ms = (oldest or at) + THROTTLE_WINDOW_MS - at
    minutes = max(1, -(-wait_ms // 60_000))
    return TooManyRequests(
        f"Too many failed sign-ins; try again in {minutes} minute(s)",
        headers={"Retry-After": str(max(1, wait_ms // 1000))},
    )


def check_password(session: Session, *, email: str, password: str, address: str) -> PasswordCheck:
    """The slow half of a sign-in, in a read transaction: argon2 holds no write lock."""
    clean = email.strip().lower()[:320]
    throttled = _throttled(session, email=clean, address=address, at=now_ms())
    if throttled is not None:  # refused before the password costs any work
        raise throttled
    user = find_user(session, email=clean)
    # verify does the same work for an unknown email or a user without a password.
    right = passwords.verify(None if user is None else user.password_hash, password)
    return PasswordCheck(clean, address, user.id if right and user is not None else None)


def finish_sign_in(session: Session, check: PasswordCheck) -> SignedIn:
    """The quick half, in a write transaction: count failures again under a lock, then record
    this one or open the session, so parallel guesses cannot slip past the limit."""
    at = now_ms()
    repository.lock_sign_ins(session, email=check.email)
    throttled = _throttled(session, email=check.email, address=check.address, at=at)
    if throttled is not None:
        return SignedIn(refusal=throttled)
    user = None if check.user_id is None else get_user(session, user_id=check.user_id)
    if user is None or user.password_hash is None:
        repository.add_sign_in_failure(session, email=check.email, address=check.address, at_ms=at)
        return SignedIn(refusal=Unauthorized(WRONG_CREDENTIALS))
    repository.clear_sign_in_failures(
        session, email=check.email, address=check.address, before_ms=at - THROTTLE_WINDOW_MS
    )
    repository.delete_expired_sessions(session, now_ms=at)
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    repository.add_console_session(
        session,
        ConsoleSession(
            token_hash=keys.hash_key(token),
            user_id=user.id,
            team_id=user.team_id,
            csrf_token=csrf,
            created_ms=at,
            expires_ms=at + SESSION_LIFETIME_MS,
        ),
    )
    return SignedIn(token, Viewer(user.id, user.team_id, user.email, user.role, csrf))


def viewer_for(session: Session, token: str | None) -> Viewer | None:
    """The signed-in user of a session cookie, or None for a missing, unknown or expired one."""
    if not token or len(token) > 128:
        return None
    found = repository.find_console_session(
        session, token_hash=keys.hash_key(token), now_ms=now_ms()
    )
    if found is None:
        return None
    row, user = found
    if user.password_hash is None:  # the password was removed: no console access
        return None
    return Viewer(user.id, user.team_id, user.email, user.role, row.csrf_token)


def sign_out(session: Session, token: str | None) -> None:
    if token:
        repository.delete_console_session(session, token_hash=keys.hash_key(token))
