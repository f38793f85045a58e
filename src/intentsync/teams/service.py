"""Teams, users and the team write lock that orders change stamps."""

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from intentsync.db.models import Team, User
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import BadRequest, Conflict, NotFound
from intentsync.teams import repository

_STAMP_KEY = "intentsync.change_ms"


@event.listens_for(Session, "after_transaction_end")
def _forget_stamp(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_STAMP_KEY, None)


def create_team(session: Session, *, name: str) -> Team:
    if not name.strip():
        raise BadRequest("Team name should not be empty")
    return repository.add_team(session, name=name.strip(), at_ms=now_ms())


def require_team(session: Session, *, team_id: int) -> Team:
    """The team, or a 404 naming the id: commands check it before any work."""
    team = repository.get_team(session, team_id)
    if team is None:
        raise NotFound(f"No team with id {team_id}")
    return team


def delete_team(session: Session, *, team_id: int) -> None:
    """Remove a team with everything it holds: users, keys, accounts, signals, runs."""
    require_team(session, team_id=team_id)
    repository.delete_team(session, team_id)


def find_team(session: Session, *, team_id: int) -> Team | None:
    return repository.get_team(session, team_id)


def team_ids(session: Session) -> list[int]:
    return repository.team_ids(session)


def teams_with_users(session: Session) -> list[tuple[int, str, list[str]]]:
    return repository.teams_with_users(session)


def has_teams(session: Session) -> bool:
    return repository.count_teams(session) > 0


def find_user(session: Session, *, email: str) -> User | None:
    """The user with this email, compared trimmed and lower-cased as it is stored."""
    return repository.find_user_by_email(session, email.strip().lower())


ADMIN = "admin"
MEMBER = "member"
ROLES = (ADMIN, MEMBER)


def require_role(role: str) -> str:
    clean = role.strip().lower()
    if clean not in ROLES:
        raise BadRequest(f"Unknown role '{role}'; use one of: {', '.join(ROLES)}")
    return clean


def create_user(session: Session, *, team_id: int, email: str, role: str | None = None) -> User:
    """A new user; without a role the team's first user is its admin and later ones members."""
    clean = email.strip().lower()
    if "@" not in clean or clean.startswith("@") or clean.endswith("@"):
        raise BadRequest(f"'{email}' is not an email address")
    require_team(session, team_id=team_id)
    if repository.find_user_by_email(session, clean) is not None:
        raise Conflict(f"A user with email '{clean}' already exists")
    if role is None:
        role = MEMBER if repository.count_users(session, team_id) else ADMIN
    return repository.add_user(
        session, team_id=team_id, email=clean, role=require_role(role), at_ms=now_ms()
    )


def require_user(session: Session, *, email: str) -> User:
    user = find_user(session, email=email)
    if user is None:
        raise NotFound(f"No user with email '{email.strip().lower()}'")
    return user


def get_user(session: Session, *, user_id: int) -> User | None:
    return repository.get_user(session, user_id)


def team_users(session: Session, *, team_id: int) -> list[User]:
    return repository.team_users(session, team_id)


def store_password_hash(session: Session, *, user_id: int, password_hash: str | None) -> None:
    repository.set_password_hash(session, user_id=user_id, password_hash=password_hash)


def change_role(
    session: Session, *, team_id: int, user_id: int, role: str, by_user_id: int | None
) -> User:
    """Set a user's role; a team always keeps at least one admin.

    by_user_id is the team user acting (None for an operator at the command line): an admin
    cannot change their own role, so nobody locks themselves out of settings by a slip.
    """
    user = repository.get_user(session, user_id)
    if user is None or user.team_id != team_id:
        raise NotFound(f"No user with id {user_id} in this team")
    if user.id == by_user_id:
        raise Conflict("You cannot change your own role; ask another admin to do it")
    clean = require_role(role)
    if clean != ADMIN:
        # Locked before counting: two admins demoting each other at once would otherwise
        # both see two admins, and the team would be left with none.
        admins = repository.lock_admins(session, team_id)
        if admins == [user_id]:
            raise Conflict(f"{user.email} is the team's only admin; make another user admin first")
    repository.set_role(session, user_id=user_id, role=clean)
    user.role = clean
    return user


def change_stamp(session: Session, *, team_id: int) -> int:
    """Lock the team for writing and return the stamp every change in this transaction gets.

    Taken before a write reads what it will change, so concurrent writers of one team queue
    here and stamps increase in commit order; a reader that saw stamp S has seen every
    change stamped S or earlier.
    """
    cached = session.info.get(_STAMP_KEY)
    if cached is not None and cached[0] == team_id:
        return int(cached[1])
    stamp = repository.tick_clock(session, team_id=team_id, now=now_ms())
    session.info[_STAMP_KEY] = (team_id, stamp)
    return stamp


def sync_watermark(session: Session, *, team_id: int) -> int:
    """Latest committed stamp visible in this snapshot: safe to hand out as syncTimestamp."""
    return repository.read_clock(session, team_id=team_id)
