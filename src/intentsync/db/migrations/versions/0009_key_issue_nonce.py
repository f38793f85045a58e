"""api keys: the one-time nonce of the console form that issued a key, so a resent form is harmless

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("issue_nonce", sa.String(length=64), nullable=True))
    op.create_index("uq_api_keys_issue_nonce", "api_keys", ["issue_nonce"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_api_keys_issue_nonce", table_name="api_keys")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("issue_nonce")
