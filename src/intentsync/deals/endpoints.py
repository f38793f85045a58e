"""HTTP for deals."""

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.deals import service
from intentsync.deals.schemas import DealDeletedMessage, DealOut, DealsCreate, DealsCreateResult
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page

router = api_router("deals")


@router.post(
    "/deals",
    response_model=Envelope[DealsCreateResult],
    summary="Upsert 1-100 deals on externalDealId; each item reports upserted (isNew) or failed",
)
def upsert_deals(
    request: Request,
    principal: Principal,
    body: DealsCreate,
    session: Session = Depends(get_session),
) -> Response:
    result = service.upsert_deals(session, team_id=principal.team_id, body=body)
    return envelope(request, result.model_dump())


@router.get(
    "/deals",
    response_model=Envelope[Page[DealOut]],
    summary="List deals; page with cursor, filter with lastSync",
)
def list_deals(
    request: Request,
    principal: Principal,
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(None, description="nextCursor of the previous page, or an offset"),
    last_sync: str | None = Query(None, alias="lastSync"),
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_deals(
        session, team_id=principal.team_id, page=page_request(limit, cursor, last_sync)
    )
    return envelope(request, page.model_dump())


@router.delete(
    "/deals/{external_deal_id:path}",
    response_model=Envelope[DealDeletedMessage],
    summary="Delete one deal by its externalDealId; its accounts re-score without it",
)
def delete_deal(
    request: Request,
    principal: Principal,
    external_deal_id: str,
    session: Session = Depends(get_session),
) -> Response:
    service.delete_deal(session, team_id=principal.team_id, external_deal_id=external_deal_id)
    return envelope(request, DealDeletedMessage().model_dump())
