"""A row that belongs to an account names the account's own team, enforced by one key."""

from typing import Any, cast

import pytest
from alembic import command
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, Boolean, Float, ForeignKeyConstraint, Integer, Table, func, select
from sqlalchemy.exc import IntegrityError

from intentsync.db.base import Base
from intentsync.db.migrate import alembic_config
from intentsync.db.models import Account
from intentsync.teams.service import create_team, delete_team
from tests.factories import account, create_workspace

ACCOUNTS = cast(Table, Account.__table__)
# account_id may be NULL here (ON DELETE SET NULL keeps the deal or activity when its account
# goes); one key over both columns would clear team_id with it, so the team has its own key.
NULLABLE = {"deal_accounts", "sales_activities"}
KEYED = {
    "account_scores",
    "score_history",
    "segment_members",
    "signal_daily",
    "signal_events",
    "stage_transitions",
}


def _keys_on_account(table: Table) -> list[ForeignKeyConstraint]:
    return [
        fk
        for fk in table.foreign_key_constraints
        if fk.referred_table is ACCOUNTS and "account_id" in fk.column_keys
    ]


def _account_tables() -> list[Table]:
    return [t for t in Base.metadata.sorted_tables if "account_id" in t.c and _keys_on_account(t)]


def test_every_table_of_account_rows_keys_team_and_account_together():
    tables = _account_tables()
    checked = set()
    for table in tables:
        if table.name in NULLABLE:
            assert table.c.account_id.nullable, f"{table.name}: listed as nullable but is not"
            continue
        assert not table.c.account_id.nullable, table.name
        (key,) = _keys_on_account(table)
        assert key.column_keys == ["team_id", "account_id"], table.name
        assert [e.target_fullname for e in key.elements] == ["accounts.team_id", "accounts.id"]
        assert key.ondelete == "CASCADE", table.name
        # No second key on the team: the one key already says the team exists.
        assert [fk for fk in table.foreign_key_constraints if fk.column_keys == ["team_id"]] == []
        checked.add(table.name)
    assert checked == KEYED
    assert {t.name for t in tables} - checked == NULLABLE
    unique = [i for i in ACCOUNTS.indexes if [c.name for c in i.columns] == ["team_id", "id"]]
    assert [i.unique for i in unique] == [True]


def _filler(table: Table, **given: Any) -> dict[str, Any]:
    """A row with a plain value in every required column the caller did not give."""
    row = dict(given)
    for column in table.columns:
        if column.name in row or column.nullable or column.autoincrement is True:
            continue
        if column.primary_key and isinstance(column.type, Integer) and column.name == "id":
            continue
        if isinstance(column.type, JSON):
            row[column.name] = {}
        elif isinstance(column.type, Boolean):
            row[column.name] = False
        elif isinstance(column.type, Integer | Float):
            row[column.name] = 1
        else:
            row[column.name] = f"x{len(row)}"
    return row


@pytest.mark.parametrize("name", sorted(KEYED))
def test_a_row_naming_another_teams_account_is_refused_and_goes_with_its_team(name, app, database):
    mine, other = create_workspace(app, database), create_workspace(app, database)
    mine.push(account(f"{mine.team_id}-k", domain=f"k{mine.team_id}.example"))
    table = Base.metadata.tables[name]
    with database.transaction(write=False) as session:
        account_id = session.scalar(select(ACCOUNTS.c.id).where(ACCOUNTS.c.team_id == mine.team_id))
    extra: dict[str, Any] = {}
    if "segment_pk" in table.c:
        segments = Base.metadata.tables["segments"]
        with database.transaction() as session:
            extra["segment_pk"] = (
                session.connection()
                .execute(
                    segments.insert().returning(segments.c.id),
                    _filler(segments, team_id=mine.team_id, segment_id=f"s{mine.team_id}"),
                )
                .scalar_one()
            )

    def count() -> int:
        with database.transaction(write=False) as session:
            query = select(func.count()).select_from(table).where(table.c.account_id == account_id)
            return int(session.scalar(query) or 0)

    with pytest.raises(IntegrityError), database.transaction() as session:
        session.connection().execute(
            table.insert(), _filler(table, team_id=other.team_id, account_id=account_id, **extra)
        )
    assert count() == 0
    with database.transaction() as session:
        session.connection().execute(
            table.insert(), _filler(table, team_id=mine.team_id, account_id=account_id, **extra)
        )
    assert count() == 1
    with database.transaction() as session:
        delete_team(session, team_id=mine.team_id)
    assert count() == 0
    mine.close()
    other.close()


def test_the_upgrade_refuses_rows_that_cross_teams_and_changes_nothing(lone_ws):
    ws = lone_ws
    ws.push(account("crossing-1", domain="crossing.example"))
    config = alembic_config(ws.db.url)
    command.downgrade(config, "0016")
    try:
        with ws.db.transaction() as session:
            other = create_team(session, name="Other team").id
            account_id = session.scalar(
                select(ACCOUNTS.c.id).where(ACCOUNTS.c.team_id == ws.team_id)
            )
            table = Base.metadata.tables["score_history"]
            session.connection().execute(
                table.insert(), _filler(table, team_id=other, account_id=account_id)
            )
        with pytest.raises(RuntimeError, match=r"1 in score_history\); nothing was changed"):
            command.upgrade(config, "head")
        with ws.db.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(table)) == 1
            assert MigrationContext.configure(session.connection()).get_current_revision() == "0016"
    finally:
        with ws.db.transaction() as session:
            session.connection().execute(Base.metadata.tables["score_history"].delete())
        command.upgrade(config, "head")
