"""accounts: deleted_ms marks an archived account; an index for live counts and the deleted delta

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_ms", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            "ix_accounts_team_deleted", ["team_id", "deleted_ms", "id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_team_deleted")
        batch_op.drop_column("deleted_ms")
