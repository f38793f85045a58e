"""SQL for teams, users and the per-team sync clock."""

from sqlalchemy import bindparam, case, delete, func, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from intentsync.db.models import SyncClock, Team, User


def add_team(session: Session, *, name: str, at_ms: int) -> Team:
    team = Team(name=name, created_ms=at_ms)
    session.add(team)
    session.flush()
    session.execute(insert(SyncClock).values(team_id=team.id, last_ms=at_ms))
    return team


def delete_team(session: Session, team_id: int) -> None:
    """Every row naming the team goes with it: each team_id foreign key cascades on delete."""
    session.execute(delete(Team).where(Team.id == team_id))


def get_team(session: Session, team_id: int) -> Team | None:
    return session.get(Team, team_id)


def count_teams(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Team)) or 0


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == email))


def add_user(session: Session, *, team_id: int, email: str, role: str, at_ms: int) -> User:
    user = User(team_id=team_id, email=email, role=role, created_ms=at_ms)
    session.add(user)
    session.flush()
    return user


_NOW: BindParameter[int] = bindparam("b_now")
_TICK = (
    update(SyncClock)
    .where(SyncClock.team_id == bindparam("b_team_id"))
    .values(last_ms=case((SyncClock.last_ms + 1 > _NOW, SyncClock.last_ms + 1), else_=_NOW))
    .returning(SyncClock.last_ms)
)


def tick_clock(session: Session, *, team_id: int, now: int) -> int:
    """Advance the team clock; the row lock it takes is held until commit."""
    stamped = session.connection().execute(_TICK, {"b_team_id": team_id, "b_now": now}).scalar_one()
    return int(stamped)


def read_clock(session: Session, *, team_id: int) -> int:
    value = session.scalar(select(SyncClock.last_ms).where(SyncClock.team_id == team_id))
    return int(value or 0)


def team_ids(session: Session) -> list[int]:
    return list(session.scalars(select(Team.id).order_by(Team.id)))


def teams_with_users(session: Session) -> list[tuple[int, str, list[str]]]:
    """Every team with its users' emails, for a person looking for an id they lost."""
    rows = session.execute(
        select(Team.id, Team.name, User.email)
        .outerjoin(User, User.team_id == Team.id)
        .order_by(Team.id, User.email)
    )
    found: dict[int, tuple[int, str, list[str]]] = {}
    for team_id, name, email in rows:
        entry = found.setdefault(team_id, (team_id, name, []))
        if email is not None:
            entry[2].append(email)
    return list(found.values())


def get_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def count_users(session: Session, team_id: int) -> int:
    return session.scalar(select(func.count()).where(User.team_id == team_id)) or 0


def team_users(session: Session, team_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.team_id == team_id).order_by(User.email)))


def lock_admins(session: Session, team_id: int) -> list[int]:
    """Ids of the team's admins, locked until commit (on PostgreSQL; SQLite writes are serial).

    Taken in id order, so two transactions changing roles queue here instead of deadlocking,
    and the one that waited reads the admins the other left (READ COMMITTED re-reads them).
    """
    query = (
        select(User.id)
        .where(User.team_id == team_id, User.role == "admin")
        .order_by(User.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def set_password_hash(session: Session, *, user_id: int, password_hash: str | None) -> None:
    session.execute(update(User).where(User.id == user_id).values(password_hash=password_hash))


def set_role(session: Session, *, user_id: int, role: str) -> None:
    session.execute(update(User).where(User.id == user_id).values(role=role))
