"""job queue: procrastinate's tables on PostgreSQL (SQLite runs background work in-process)

The schema is procrastinate 3.10.0's own, copied beside this file so that this revision
creates the same tables whatever version is installed later; a later procrastinate brings its
migration files, applied by a later revision.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence
from pathlib import Path

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCHEMA = Path(__file__).parent.parent / "sql" / "procrastinate-3.10.0.sql"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Straight to psycopg: the schema's functions hold % signs no parameter style may touch.
    raw = op.get_bind().connection.driver_connection
    assert raw is not None
    raw.execute(SCHEMA.read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers,
            procrastinate_jobs, procrastinate_workers CASCADE;
        DROP TYPE IF EXISTS procrastinate_job_event_type, procrastinate_job_status,
            procrastinate_job_to_defer_v1 CASCADE;
        DO $$ DECLARE f record; BEGIN
            FOR f IN SELECT oid::regprocedure AS sig FROM pg_proc
                     WHERE proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE 'DROP FUNCTION IF EXISTS ' || f.sig || ' CASCADE';
            END LOOP;
        END $$;
        """
    )
