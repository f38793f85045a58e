"""signal roll-ups folded by the scoring round: each team's last folded event

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signal_fold_marks",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_signal_fold_marks_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_signal_fold_marks")),
    )
    op.create_index("ix_signal_events_team_id", "signal_events", ["team_id", "id"], unique=False)
    # Every event stored so far was rolled up when it arrived.
    op.execute(
        "INSERT INTO signal_fold_marks (team_id, event_id)"
        " SELECT team_id, MAX(id) FROM signal_events GROUP BY team_id"
    )


def downgrade() -> None:
    # Roll up what the scoring round had not folded yet, as ingest did before this revision,
    # is more than a schema step can do safely: a downgrade refuses while any is pending.
    pending = (
        op.get_bind()
        .execute(
            sa.text(
                "SELECT COUNT(*) FROM signal_events AS e"
                " LEFT JOIN signal_fold_marks AS m ON m.team_id = e.team_id"
                " WHERE e.id > COALESCE(m.event_id, 0)"
            )
        )
        .scalar_one()
    )
    if pending:
        raise RuntimeError(
            f"{pending} signals are not rolled up yet; run `intentsync score run` first, "
            "then downgrade"
        )
    op.drop_index("ix_signal_events_team_id", table_name="signal_events")
    op.drop_table("signal_fold_marks")
