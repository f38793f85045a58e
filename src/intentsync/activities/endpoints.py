"""HTTP for sales activities."""

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.activities import service
from intentsync.activities.schemas import ActivitiesCreate, ActivitiesCreateResult, ActivityOut
from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page

router = api_router("sales activities")


@router.post(
    "/sales-activities",
    response_model=Envelope[ActivitiesCreateResult],
    summary="Push 1-50 calls and emails; each item reports created, failed or skipped",
)
def create_activities(
    request: Request,
    principal: Principal,
    body: ActivitiesCreate,
    session: Session = Depends(get_session),
) -> Response:
    result = service.create_activities(session, team_id=principal.team_id, body=body)
    return envelope(request, result.model_dump())


@router.get(
    "/sales-activities",
    response_model=Envelope[Page[ActivityOut]],
    summary="List sales activities; page with cursor, filter with lastSync",
)
def list_activities(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(None, alias="lastSync"),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_activities(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page.model_dump())
