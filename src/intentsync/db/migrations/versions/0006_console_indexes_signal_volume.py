"""console reads: account indexes by score, stage and trend; per-team daily signal volume

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_accounts_team_score", "accounts", ["team_id", "account_score", "id"], unique=False
    )
    op.create_index(
        "ix_accounts_team_stage_score",
        "accounts",
        ["team_id", "journey_stage", "account_score", "id"],
        unique=False,
    )
    op.create_index(
        "ix_accounts_team_change_7d", "accounts", ["team_id", "score_change_7d", "id"], unique=False
    )
    op.create_table(
        "signal_volume",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_signal_volume_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", "day", "source", name=op.f("pk_signal_volume")),
    )
    # What was received before this version, summed as the ingest now sums it ('visitor' rows
    # count distinct visitors, not signals).
    op.execute(
        "INSERT INTO signal_volume (team_id, day, source, quantity) "
        "SELECT team_id, day, source, SUM(quantity) FROM signal_daily "
        "WHERE type <> 'visitor' GROUP BY team_id, day, source"
    )


def downgrade() -> None:
    op.drop_table("signal_volume")
    op.drop_index("ix_accounts_team_change_7d", table_name="accounts")
    op.drop_index("ix_accounts_team_stage_score", table_name="accounts")
    op.drop_index("ix_accounts_team_score", table_name="accounts")
