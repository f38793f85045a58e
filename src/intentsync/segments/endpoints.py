"""HTTP for segments."""

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page
from intentsync.segments import service
from intentsync.segments.schemas import SegmentOut

router = api_router("segments")


@router.get(
    "/segments",
    response_model=Envelope[Page[SegmentOut]],
    summary="List active and draft static segments",
)
def list_segments(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(None, alias="lastSync"),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_segments(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page.model_dump())
