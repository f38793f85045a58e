"""SQL for tracking settings: the write key and the page patterns."""

from typing import Any

from sqlalchemy import null, select, update
from sqlalchemy.orm import Session

from intentsync.db.dialect import insert_ignore
from intentsync.db.models import TrackingSettings


def find(session: Session, *, team_id: int) -> tuple[str, list[list[str]] | None] | None:
    """(write key, stored patterns) of a team, or None before its first use."""
    row = session.execute(
        select(TrackingSettings.write_key, TrackingSettings.page_patterns).where(
            TrackingSettings.team_id == team_id
        )
    ).first()
    return None if row is None else (row.write_key, row.page_patterns)


def find_by_write_key(
    session: Session, write_key: str
) -> tuple[int, list[list[str]] | None] | None:
    """(team id, stored patterns) behind a write key."""
    row = session.execute(
        select(TrackingSettings.team_id, TrackingSettings.page_patterns).where(
            TrackingSettings.write_key == write_key
        )
    ).first()
    return None if row is None else (row.team_id, row.page_patterns)


def add_if_missing(session: Session, *, team_id: int, write_key: str, at_ms: int) -> None:
    """Insert the team's settings unless a concurrent caller already did."""
    insert_ignore(
        session,
        TrackingSettings,
        [{"team_id": team_id, "write_key": write_key, "created_ms": at_ms}],
        ["team_id"],
    )


def set_write_key(session: Session, *, team_id: int, write_key: str) -> None:
    session.execute(
        update(TrackingSettings)
        .where(TrackingSettings.team_id == team_id)
        .values(write_key=write_key)
    )


def set_patterns(session: Session, *, team_id: int, patterns: list[list[str]] | None) -> None:
    value: Any = null() if patterns is None else patterns  # SQL NULL, not JSON null
    session.execute(
        update(TrackingSettings)
        .where(TrackingSettings.team_id == team_id)
        .values(page_patterns=value)
    )
