"""SQL for imported IP ranges."""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from intentsync.db.dialect import upsert_replace
from intentsync.db.models import IpRange


def upsert(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ranges; a range already stored takes the new domain and kind."""
    upsert_replace(
        session,
        IpRange,
        rows,
        ["team_id", "version", "start_int", "end_int"],
        update=["cidr", "domain", "kind"],
    )


def starting_at(
    session: Session, *, team_id: int, version: int, starts: Collection[str]
) -> list[tuple[str, str, str, str]]:
    """(start, end, domain, kind) of ranges beginning at any of these addresses (index probes)."""
    rows = session.execute(
        select(IpRange.start_int, IpRange.end_int, IpRange.domain, IpRange.kind).where(
            IpRange.team_id == team_id,
            IpRange.version == version,
            IpRange.start_int.in_(list(starts)),
        )
    )
    return [(r.start_int, r.end_int, r.domain, r.kind) for r in rows]


def count(session: Session, *, team_id: int) -> int:
    return (
        session.scalar(select(func.count()).select_from(IpRange).where(IpRange.team_id == team_id))
        or 0
    )
