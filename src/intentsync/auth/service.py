"""API key rules: one active key per user, shown once, stored only as a hash."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from intentsync.auth import keys, repository
from intentsync.db.models import ApiKey
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import NotFound, Unauthorized
from intentsync.teams.service import find_user

MISSING_KEY = "X-Api-Key header is required"
INVALID_KEY = "Invalid API key"


@dataclass(frozen=True)
class Principal:
    team_id: int
    user_id: int


def presented_key(raw_key: str | None) -> str:
    """The key a request carries; a missing one is refused before any database work."""
    if raw_key is None or not raw_key.strip():
        raise Unauthorized(MISSING_KEY)
    return raw_key.strip()


def authenticate(session: Session, raw_key: str | None) -> Principal:
    found = repository.find_active_owner(session, keys.hash_key(presented_key(raw_key)))
    if found is None:
        raise Unauthorized(INVALID_KEY)
    return Principal(team_id=found[0], user_id=found[1])


def generate_key(session: Session, *, email: str) -> str:
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
        ),
    )
    return key
