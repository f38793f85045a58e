"""rows of an account name its team with it: one (team_id, account_id) key per row

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The tables whose rows belong to one account; SQLite rebuilds each, as it cannot alter keys.
TABLES = (
    "account_scores",
    "score_history",
    "segment_members",
    "signal_daily",
    "signal_events",
    "stage_transitions",
)
# Kept on rebuild: SQLite stores the roll-up as its key (see models.SignalDaily).
TABLE_OPTIONS = {"signal_daily": {"sqlite_with_rowid": False}}


def _crossing(table: str) -> int:
    """Rows whose team is not their account's team: the new key would refuse them."""
    query = sa.text(
        f"SELECT COUNT(*) FROM {table} AS r JOIN accounts AS a ON a.id = r.account_id"
        " WHERE a.team_id <> r.team_id"
    )
    return int(op.get_bind().execute(query).scalar_one())


def upgrade() -> None:
    crossing = {table: n for table in TABLES if (n := _crossing(table))}
    if crossing:
        counts = ", ".join(f"{n} in {table}" for table, n in crossing.items())
        raise RuntimeError(
            f"rows name an account of another team ({counts}); nothing was changed. "
            "Such rows were never written by intentsync: find where they came from, "
            "delete them, then upgrade again"
        )
    op.drop_index("ix_accounts_team_id", table_name="accounts")
    op.create_index("ix_accounts_team_id", "accounts", ["team_id", "id"], unique=True)
    for table in TABLES:
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch:
            batch.drop_constraint(f"fk_{table}_team_id_teams", type_="foreignkey")
            batch.drop_constraint(f"fk_{table}_account_id_accounts", type_="foreignkey")
            batch.create_foreign_key(
                f"fk_{table}_team_id_accounts",
                "accounts",
                ["team_id", "account_id"],
                ["team_id", "id"],
                ondelete="CASCADE",
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, table_kwargs=TABLE_OPTIONS.get(table, {})) as batch:
            batch.drop_constraint(f"fk_{table}_team_id_accounts", type_="foreignkey")
            batch.create_foreign_key(
                f"fk_{table}_team_id_teams", "teams", ["team_id"], ["id"], ondelete="CASCADE"
            )
            batch.create_foreign_key(
                f"fk_{table}_account_id_accounts",
                "accounts",
                ["account_id"],
                ["id"],
                ondelete="CASCADE",
            )
    op.drop_index("ix_accounts_team_id", table_name="accounts")
    op.create_index("ix_accounts_team_id", "accounts", ["team_id", "id"], unique=False)
