"""explanations keep half of each page free on PostgreSQL, so a run's rewrite stays on the page

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pages written from now on keep the room; existing rows move into such pages as the next
    # runs rewrite them, so no table rewrite (and no long lock) is needed here.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE account_scores SET (fillfactor = 50)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE account_scores RESET (fillfactor)")
