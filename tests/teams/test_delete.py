"""Deleting a team takes every row it owns and nothing of other teams."""

import pytest
from sqlalchemy import func, select

from intentsync.db.models import Account, ApiKey, SyncClock, User
from intentsync.kit.errors import NotFound
from intentsync.teams.service import delete_team, find_team
from tests.factories import account, create_workspace


def _owned(ws) -> list[int]:
    with ws.db.transaction(write=False) as session:
        return [
            session.scalar(select(func.count()).select_from(m).where(m.team_id == ws.team_id)) or 0
            for m in (Account, ApiKey, SyncClock, User)
        ]


def test_a_deleted_team_takes_its_rows_and_key_with_it(app, database):
    doomed, kept = create_workspace(app, database), create_workspace(app, database)
    for ws in (doomed, kept):
        ws.push(account(f"{ws.team_id}-1", domain=f"t{ws.team_id}.example"))
    kept_before = _owned(kept)
    with database.transaction() as session:
        delete_team(session, team_id=doomed.team_id)
    assert _owned(doomed) == [0, 0, 0, 0]
    assert _owned(kept) == kept_before
    assert doomed.get("/accounts").status_code == 401
    with database.transaction(write=False) as session:
        assert find_team(session, team_id=doomed.team_id) is None
    doomed.close()
    kept.close()


def test_an_unknown_team_is_not_found(database):
    with database.transaction() as session, pytest.raises(NotFound, match="No team with id"):
        delete_team(session, team_id=987_654)
