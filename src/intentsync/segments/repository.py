"""SQL for segments and their members."""

from collections import defaultdict
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from intentsync.db.dialect import insert_ignore
from intentsync.db.models import Segment, SegmentMember
from intentsync.db.paging import one_page
from intentsync.kit.pagination import PageRequest


def add(session: Session, segment: Segment) -> None:
    session.add(segment)
    session.flush()


def find(session: Session, *, team_id: int, segment_id: str) -> Segment | None:
    return session.scalar(
        select(Segment).where(Segment.team_id == team_id, Segment.segment_id == segment_id)
    )


def list_static_page(
    session: Session, *, team_id: int, page: PageRequest
) -> list[tuple[int, str, str, str]]:
    query = select(Segment.id, Segment.segment_id, Segment.name, Segment.status).where(
        Segment.team_id == team_id,
        Segment.type == "static",
        Segment.status.in_(("active", "draft")),
    )
    query = one_page(query, id_column=Segment.id, changed_column=Segment.changed_ms, page=page)
    return [(r[0], r[1], r[2], r[3]) for r in session.execute(query)]


def add_members(
    session: Session, *, team_id: int, segment_pk: int, account_ids: Iterable[int], at_ms: int
) -> None:
    rows = [
        {"segment_pk": segment_pk, "account_id": aid, "team_id": team_id, "added_ms": at_ms}
        for aid in account_ids
    ]
    if rows:
        insert_ignore(session, SegmentMember, rows, ["segment_pk", "account_id"])


def memberships(session: Session, account_ids: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
    """Visible (not archived) segments per account, oldest segment first."""
    found: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if not account_ids:
        return found
    rows = session.execute(
        select(SegmentMember.account_id, Segment.segment_id, Segment.name)
        .join(Segment, Segment.id == SegmentMember.segment_pk)
        .where(SegmentMember.account_id.in_(account_ids), Segment.status != "archived")
        .order_by(SegmentMember.account_id, Segment.id)
    )
    for account_id, segment_id, name in rows:
        found[account_id].append((segment_id, name))
    return found
