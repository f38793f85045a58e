"""deals pipelines and sales activities

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contacts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("external_contact_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("department", sa.String(length=255), nullable=True),
        sa.Column("seniority", sa.String(length=255), nullable=True),
        sa.Column("phone", sa.String(length=64), nullable=True),
        sa.Column("linkedin_url", sa.String(length=1024), nullable=True),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_contacts_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contacts")),
        sa.UniqueConstraint("team_id", "email", name=op.f("uq_contacts_team_id_email")),
    )
    op.create_table(
        "deals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("external_deal_id", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("amount", sa.Float(), nullable=True),
        sa.Column("stage_id", sa.String(length=255), nullable=True),
        sa.Column("stage_label", sa.String(length=255), nullable=True),
        sa.Column("pipeline_id", sa.String(length=255), nullable=True),
        sa.Column("pipeline_label", sa.String(length=255), nullable=True),
        sa.Column("start_date", sa.String(length=64), nullable=True),
        sa.Column("closed_date", sa.String(length=64), nullable=True),
        sa.Column("owner_name", sa.String(length=255), nullable=True),
        sa.Column("owner_email", sa.String(length=320), nullable=True),
        sa.Column("owner_id", sa.String(length=255), nullable=True),
        sa.Column("currency", sa.String(length=16), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_deals_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint(
            "team_id", "external_deal_id", name=op.f("uq_deals_team_id_external_deal_id")
        ),
    )
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.create_index("ix_deals_team_changed", ["team_id", "changed_ms"], unique=False)
        batch_op.create_index("ix_deals_team_id", ["team_id", "id"], unique=False)

    op.create_table(
        "pipelines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_pipelines_team_id_teams"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint(
            "team_id", "pipeline_id", name=op.f("uq_pipelines_team_id_pipeline_id")
        ),
    )
    op.create_table(
        "deal_accounts",
        sa.Column("deal_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("domain", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_deal_accounts_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["deal_pk"],
            ["deals.id"],
            name=op.f("fk_deal_accounts_deal_pk_deals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_deal_accounts_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("deal_pk", "position", name=op.f("pk_deal_accounts")),
    )
    with op.batch_alter_table("deal_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_deal_accounts_account", ["account_id"], unique=False)
        batch_op.create_index(
            "ix_deal_accounts_pending_domain", ["team_id", "domain"], unique=False
        )
        batch_op.create_index(
            "ix_deal_accounts_unlinked",
            ["team_id"],
            unique=False,
            sqlite_where=sa.text("account_id IS NULL"),
            postgresql_where=sa.text("account_id IS NULL"),
        )
        batch_op.create_index(
            "ix_deal_accounts_pending_ext", ["team_id", "external_id"], unique=False
        )

    op.create_table(
        "pipeline_stages",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("pipeline_pk", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=255), nullable=False),
        sa.Column("category", sa.String(length=8), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pipeline_pk"],
            ["pipelines.id"],
            name=op.f("fk_pipeline_stages_pipeline_pk_pipelines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_pipeline_stages_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_stages")),
        sa.UniqueConstraint(
            "pipeline_pk", "stage_id", name=op.f("uq_pipeline_stages_pipeline_pk_stage_id")
        ),
    )
    with op.batch_alter_table("pipeline_stages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_pipeline_stages_team_stage", ["team_id", "stage_id"], unique=False
        )

    op.create_table(
        "sales_activities",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("external_activity_id", sa.String(length=255), nullable=False),
        sa.Column("activity_type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.String(length=64), nullable=False),
        sa.Column("occurred_ms", sa.BigInteger(), nullable=False),
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column(
            "account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("account_name", sa.String(length=255), nullable=True),
        sa.Column("owner_email", sa.String(length=320), nullable=False),
        sa.Column("owner_name", sa.String(length=255), nullable=True),
        sa.Column("owner_id", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=1000), nullable=True),
        sa.Column("from_name", sa.String(length=255), nullable=True),
        sa.Column("from_email", sa.String(length=320), nullable=True),
        sa.Column("call_title", sa.String(length=1000), nullable=True),
        sa.Column("duration_minutes", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=255), nullable=True),
        sa.Column("direction", sa.String(length=16), nullable=True),
        sa.Column("open_count", sa.Integer(), nullable=True),
        sa.Column("click_count", sa.Integer(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sales_activities_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_sales_activities_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_activities")),
        sa.UniqueConstraint(
            "team_id",
            "external_activity_id",
            name=op.f("uq_sales_activities_team_id_external_activity_id"),
        ),
    )
    with op.batch_alter_table("sales_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sales_activities_account", ["account_id", "occurred_ms"], unique=False
        )
        batch_op.create_index(
            "ix_sales_activities_pending_domain", ["team_id", "domain"], unique=False
        )
        batch_op.create_index(
            "ix_sales_activities_team_changed", ["team_id", "changed_ms"], unique=False
        )
        batch_op.create_index("ix_sales_activities_team_id", ["team_id", "id"], unique=False)
        batch_op.create_index(
            "ix_sales_activities_unlinked",
            ["team_id"],
            unique=False,
            sqlite_where=sa.text("account_id IS NULL"),
            postgresql_where=sa.text("account_id IS NULL"),
        )

    op.create_table(
        "activity_contacts",
        sa.Column(
            "activity_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "contact_pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["activity_pk"],
            ["sales_activities.id"],
            name=op.f("fk_activity_contacts_activity_pk_sales_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_pk"],
            ["contacts.id"],
            name=op.f("fk_activity_contacts_contact_pk_contacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_activity_contacts_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("activity_pk", "contact_pk", name=op.f("pk_activity_contacts")),
    )


def downgrade() -> None:
    op.drop_table("activity_contacts")
    with op.batch_alter_table("sales_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_sales_activities_unlinked")
        batch_op.drop_index("ix_sales_activities_team_id")
        batch_op.drop_index("ix_sales_activities_team_changed")
        batch_op.drop_index("ix_sales_activities_pending_domain")
        batch_op.drop_index("ix_sales_activities_account")

    op.drop_table("sales_activities")
    with op.batch_alter_table("pipeline_stages", schema=None) as batch_op:
        batch_op.drop_index("ix_pipeline_stages_team_stage")

    op.drop_table("pipeline_stages")
    with op.batch_alter_table("deal_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_accounts_unlinked")
        batch_op.drop_index("ix_deal_accounts_pending_ext")
        batch_op.drop_index("ix_deal_accounts_pending_domain")
        batch_op.drop_index("ix_deal_accounts_account")

    op.drop_table("deal_accounts")
    op.drop_table("pipelines")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_team_id")
        batch_op.drop_index("ix_deals_team_changed")

    op.drop_table("deals")
    op.drop_table("contacts")
