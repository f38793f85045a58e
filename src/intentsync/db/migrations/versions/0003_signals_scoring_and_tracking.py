"""signals scoring and tracking

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ip_ranges",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("start_int", sa.String(length=32), nullable=False),
        sa.Column("end_int", sa.String(length=32), nullable=False),
        sa.Column("cidr", sa.String(length=64), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_ip_ranges_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ip_ranges")),
        sa.UniqueConstraint(
            "team_id",
            "version",
            "start_int",
            "end_int",
            name=op.f("uq_ip_ranges_team_id_version_start_int_end_int"),
        ),
    )
    with op.batch_alter_table("ip_ranges", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ip_ranges_lookup", ["team_id", "version", "start_int"], unique=False
        )

    op.create_table(
        "scoring_configs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_scoring_configs_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_configs")),
        sa.UniqueConstraint("team_id", "version", name=op.f("uq_scoring_configs_team_id_version")),
    )
    op.create_table(
        "scoring_leases",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_scoring_leases_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_scoring_leases")),
    )
    op.create_table(
        "scoring_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("as_of_day", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("started_ms", sa.BigInteger(), nullable=False),
        sa.Column("finished_ms", sa.BigInteger(), nullable=True),
        sa.Column("accounts_scored", sa.Integer(), nullable=False),
        sa.Column("accounts_changed", sa.Integer(), nullable=False),
        sa.Column(
            "errors",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_scoring_runs_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scoring_runs")),
    )
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_scoring_runs_team_started", ["team_id", "started_ms"], unique=False
        )

    op.create_table(
        "scoring_states",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("as_of_day", sa.Integer(), nullable=False),
        sa.Column("inputs_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_scoring_states_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_scoring_states")),
    )
    op.create_table(
        "tracking_settings",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("write_key", sa.String(length=64), nullable=False),
        sa.Column(
            "page_patterns",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_tracking_settings_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_tracking_settings")),
        sa.UniqueConstraint("write_key", name=op.f("uq_tracking_settings_write_key")),
    )
    op.create_table(
        "account_scores",
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("as_of_day", sa.Integer(), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column(
            "breakdown",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("stage_reason", sa.Text(), nullable=False),
        sa.Column("pending_stage", sa.String(length=64), nullable=True),
        sa.Column("pending_since_day", sa.Integer(), nullable=True),
        sa.Column("scored_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_scores_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_account_scores_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_scores")),
    )
    with op.batch_alter_table("account_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_scores_team_id"), ["team_id"], unique=False)

    op.create_table(
        "signal_daily",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("detail", sa.String(length=255), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_signal_daily_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_signal_daily_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "team_id", "account_id", "source", "type", "day", "detail", name=op.f("pk_signal_daily")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "signal_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("natural_key", sa.String(length=700), nullable=False),
        sa.Column("occurred_ms", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_signal_events_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_signal_events_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signal_events")),
        sa.UniqueConstraint(
            "team_id",
            "source",
            "natural_key",
            name=op.f("uq_signal_events_team_id_source_natural_key"),
        ),
    )
    with op.batch_alter_table("signal_events", schema=None) as batch_op:
        batch_op.create_index("ix_signal_events_account", ["account_id", "day"], unique=False)

    op.create_table(
        "stage_transitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("from_stage", sa.String(length=64), nullable=False),
        sa.Column("to_stage", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_stage_transitions_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_stage_transitions_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_transitions")),
    )
    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.create_index("ix_stage_transitions_account", ["account_id", "at_ms"], unique=False)

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_entered_ms", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("inputs_ms", sa.BigInteger(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "intent_signals",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                server_default="[]",
                nullable=False,
            )
        )
        batch_op.create_index("ix_accounts_team_inputs", ["team_id", "inputs_ms"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_team_inputs")
        batch_op.drop_column("intent_signals")
        batch_op.drop_column("inputs_ms")
        batch_op.drop_column("stage_entered_ms")

    with op.batch_alter_table("stage_transitions", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_transitions_account")

    op.drop_table("stage_transitions")
    with op.batch_alter_table("signal_events", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_events_account")

    op.drop_table("signal_events")
    op.drop_table("signal_daily")
    with op.batch_alter_table("account_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_scores_team_id"))

    op.drop_table("account_scores")
    op.drop_table("tracking_settings")
    op.drop_table("scoring_states")
    with op.batch_alter_table("scoring_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_scoring_runs_team_started")

    op.drop_table("scoring_runs")
    op.drop_table("scoring_leases")
    op.drop_table("scoring_configs")
    with op.batch_alter_table("ip_ranges", schema=None) as batch_op:
        batch_op.drop_index("ix_ip_ranges_lookup")

    op.drop_table("ip_ranges")
