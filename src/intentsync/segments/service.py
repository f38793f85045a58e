"""Segment rules: only active or draft static segments take members through the API."""

from sqlalchemy.orm import Session

from intentsync.db.models import Segment
from intentsync.kit.clock import format_ms
from intentsync.kit.errors import BadRequest
from intentsync.kit.ids import new_object_id
from intentsync.kit.pagination import PageRequest
from intentsync.kit.schemas import Page
from intentsync.segments import repository
from intentsync.segments.schemas import SEGMENT_STATUSES, SEGMENT_TYPES, SegmentOut
from intentsync.teams import repository as teams_repository
from intentsync.teams.service import change_stamp, sync_watermark


def create_segment(
    session: Session, *, team_id: int, name: str, type_: str, status: str
) -> Segment:
    if type_ not in SEGMENT_TYPES:
        raise BadRequest(f"type must be one of: {', '.join(SEGMENT_TYPES)}")
    if status not in SEGMENT_STATUSES:
        raise BadRequest(f"status must be one of: {', '.join(SEGMENT_STATUSES)}")
    if not name.strip():
        raise BadRequest("Segment name should not be empty")
    if teams_repository.get_team(session, team_id) is None:
        raise BadRequest(f"No team with id {team_id}")
    stamp = change_stamp(session, team_id=team_id)
    segment = Segment(
        team_id=team_id,
        segment_id=new_object_id(stamp // 1000),
        name=name.strip(),
        type=type_,
        status=status,
        rules=None,
        created_ms=stamp,
        changed_ms=stamp,
    )
    repository.add(session, segment)
    return segment


def member_target(session: Session, *, team_id: int, segment_id: str) -> int:
    """The segment's key when accounts may be added to it; otherwise the request is refused."""
    segment = repository.find(session, team_id=team_id, segment_id=segment_id)
    if segment is None:
        raise BadRequest(f"Segment '{segment_id}' does not exist")
    if segment.type != "static":
        raise BadRequest(
            f"Segment '{segment_id}' is a {segment.type} segment; "
            "only static segments accept new members"
        )
    if segment.status not in ("active", "draft"):
        raise BadRequest(
            f"Segment '{segment_id}' is not active or draft and cannot accept new members"
        )
    return segment.id


def list_segments(session: Session, *, team_id: int, page: PageRequest) -> Page[SegmentOut]:
    sync_ms = page.sync_ms(sync_watermark(session, team_id=team_id))
    rows, has_next = page.trim(repository.list_static_page(session, team_id=team_id, page=page))
    return Page[SegmentOut](
        data=[
            SegmentOut(segment_id=sid, name=name, status=status) for _, sid, name, status in rows
        ],
        next_cursor=page.next_cursor(has_next, rows[-1][0] if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )
