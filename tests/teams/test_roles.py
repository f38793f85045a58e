"""Roles: a team always keeps an admin, even when two admins demote each other at once."""

import secrets
import threading

import pytest
from sqlalchemy import select

from intentsync.db.engine import Database
from intentsync.db.models import User
from intentsync.kit.errors import Conflict
from intentsync.teams.service import change_role, create_user, find_user
from tests.factories import Workspace


def _roles(database: Database, team_id: int) -> dict[int, str]:
    with database.transaction(write=False) as session:
        rows = session.execute(select(User.id, User.role).where(User.team_id == team_id))
        return {row.id: row.role for row in rows}


def _admins(database: Database, ws: Workspace) -> tuple[int, int]:
    with database.transaction() as session:
        first = find_user(session, email=ws.email)
        assert first is not None
        email = f"second-{secrets.token_hex(5)}@example.com"
        second = create_user(session, team_id=ws.team_id, email=email, role="admin")
        return first.id, second.id


def test_the_only_admin_cannot_step_down(database: Database, ws: Workspace) -> None:
    first, second = _admins(database, ws)
    with database.transaction() as session:
        demoted = change_role(
            session, team_id=ws.team_id, user_id=second, role="member", by_user_id=first
        )
        assert demoted.role == "member"
    with database.transaction() as session, pytest.raises(Conflict, match="only admin"):
        change_role(session, team_id=ws.team_id, user_id=first, role="member", by_user_id=None)
    with database.transaction() as session:  # a member stays a member without the check
        change_role(session, team_id=ws.team_id, user_id=second, role="member", by_user_id=first)
    assert _roles(database, ws.team_id) == {first: "admin", second: "member"}


def test_nobody_changes_their_own_role(database: Database, ws: Workspace) -> None:
    first, second = _admins(database, ws)
    with database.transaction() as session, pytest.raises(Conflict, match="your own role"):
        change_role(session, team_id=ws.team_id, user_id=first, role="member", by_user_id=first)
    assert _roles(database, ws.team_id) == {first: "admin", second: "admin"}


def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    database: Database, ws: Workspace
) -> None:
    first, second = _admins(database, ws)
    outcomes: dict[str, str] = {}
    demoted = threading.Event()
    release = threading.Event()

    def demote(name: str, user_id: int, by: int, *, hold: bool) -> None:
        try:
            with database.transaction() as session:
                change_role(
                    session, team_id=ws.team_id, user_id=user_id, role="member", by_user_id=by
                )
                if hold:  # the first demotion waits, uncommitted, while the second one starts
                    demoted.set()
                    assert release.wait(30)
            outcomes[name] = "demoted"
        except Conflict as exc:
            outcomes[name] = exc.custom_message
        finally:
            demoted.set()

    holder = threading.Thread(target=demote, args=("second", second, first), kwargs={"hold": True})
    holder.start()
    assert demoted.wait(30)
    other = threading.Thread(target=demote, args=("first", first, second), kwargs={"hold": False})
    other.start()
    # The second demotion waits for the first one's lock (PostgreSQL) or write turn (SQLite):
    # were it to count the admins now, it would still see two and go through.
    other.join(0.5)
    waited = other.is_alive()
    release.set()
    holder.join(30)
    other.join(30)
    assert waited
    assert outcomes == {
        "second": "demoted",
        "first": f"{ws.email} is the team's only admin; make another user admin first",
    }
    assert _roles(database, ws.team_id) == {first: "admin", second: "member"}
