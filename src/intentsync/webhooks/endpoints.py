"""HTTP for webhook subscriptions and their delivery log."""

from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from intentsync.api.routing import api_router, get_session
from intentsync.auth.service import Principal
from intentsync.kit.errors import ValidationFailed
from intentsync.kit.pagination import page_request
from intentsync.kit.responses import envelope
from intentsync.kit.schemas import Envelope, Page
from intentsync.webhooks import service
from intentsync.webhooks.schemas import (
    DeliveryOut,
    WebhookCreate,
    WebhookOut,
    WebhookRemoved,
    WebhookUpdate,
    WebhookWithSecret,
)

router = api_router("webhooks")

Limit = Query(100, ge=1, le=1000)
Cursor = Query(None, description="nextCursor of the previous page, or an offset")
NOT_NULL = ("url", "events", "segment_ids", "min_score_change", "active", "kind")


def _refuse_nulls(body: WebhookCreate | WebhookUpdate) -> None:
    """Properties that may be left out but have no null value."""
    for name in NOT_NULL:
        if name in body.model_fields_set and getattr(body, name, "") is None:
            prop = type(body).model_fields[name].alias or name
            raise ValidationFailed.single(prop, "isDefined", f"{prop} should not be null")


@router.post(
    "/webhooks",
    response_model=Envelope[WebhookWithSecret],
    status_code=201,
    summary="Subscribe a URL to events; the answer shows the signing secret, once",
)
def create_webhook(
    request: Request,
    principal: Principal,
    body: WebhookCreate,
    session: Session = Depends(get_session),
) -> Response:
    _refuse_nulls(body)
    created = service.create_subscription(
        session,
        team_id=principal.team_id,
        url=body.url,
        events=body.events,
        kind=body.kind,
        segment_ids=body.segment_ids or [],
        min_score_change=body.min_score_change,
        description=body.description,
        active=body.active,
    )
    return envelope(request, created.model_dump(), status=201)


@router.get(
    "/webhooks",
    response_model=Envelope[Page[WebhookOut]],
    summary="The team's webhook subscriptions, oldest first",
)
def list_webhooks(
    request: Request,
    principal: Principal,
    limit: int = Limit,
    cursor: str | None = Cursor,
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_subscriptions(
        session, team_id=principal.team_id, page=page_request(limit, cursor)
    )
    return envelope(request, page.model_dump())


@router.get(
    "/webhooks/{webhook_id}",
    response_model=Envelope[WebhookOut],
    summary="One webhook subscription (its secret is never shown again)",
)
def get_webhook(
    request: Request,
    principal: Principal,
    webhook_id: str,
    session: Session = Depends(get_session),
) -> Response:
    found = service.get_subscription(session, team_id=principal.team_id, webhook_id=webhook_id)
    return envelope(request, found.model_dump())


@router.patch(
    "/webhooks/{webhook_id}",
    response_model=Envelope[WebhookOut],
    summary="Change a subscription; active: true switches it on again and forgets its failures",
)
def update_webhook(
    request: Request,
    principal: Principal,
    webhook_id: str,
    body: WebhookUpdate,
    session: Session = Depends(get_session),
) -> Response:
    _refuse_nulls(body)
    changes = service.Changes(
        url=body.url,
        events=body.events,
        segment_ids=body.segment_ids,
        min_score_change=body.min_score_change,
        description=body.description,
        clear_description="description" in body.model_fields_set and body.description is None,
        active=body.active,
    )
    updated = service.update_subscription(
        session, team_id=principal.team_id, webhook_id=webhook_id, changes=changes
    )
    return envelope(request, updated.model_dump())


@router.delete(
    "/webhooks/{webhook_id}",
    response_model=Envelope[WebhookRemoved],
    summary="Remove a subscription; its pending deliveries fail as 'subscription removed'",
)
def delete_webhook(
    request: Request,
    principal: Principal,
    webhook_id: str,
    session: Session = Depends(get_session),
) -> Response:
    pending = service.remove_subscription(session, team_id=principal.team_id, webhook_id=webhook_id)
    removed = WebhookRemoved(
        webhook_id=webhook_id.strip(),
        message=f"Webhook removed; {pending} pending deliveries will not be sent",
    )
    return envelope(request, removed.model_dump())


@router.post(
    "/webhooks/{webhook_id}/rotate-secret",
    response_model=Envelope[WebhookWithSecret],
    summary="A new signing secret, shown once; the old one also signs for 24 hours",
)
def rotate_webhook_secret(
    request: Request,
    principal: Principal,
    webhook_id: str,
    session: Session = Depends(get_session),
) -> Response:
    rotated = service.rotate_secret(session, team_id=principal.team_id, webhook_id=webhook_id)
    return envelope(request, rotated.model_dump())


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=Envelope[Page[DeliveryOut]],
    summary="The delivery log, newest first: each event's status and every attempt",
)
def list_webhook_deliveries(
    request: Request,
    principal: Principal,
    webhook_id: str,
    limit: int = Limit,
    cursor: str | None = Cursor,
    session: Session = Depends(get_session),
) -> Response:
    page = service.list_deliveries(
        session,
        team_id=principal.team_id,
        webhook_id=webhook_id,
        page=page_request(limit, cursor),
    )
    return envelope(request, page.model_dump())


@router.post(
    "/webhooks/{webhook_id}/deliveries/{event_id}/redeliver",
    response_model=Envelope[DeliveryOut],
    summary="Send an event to the subscription again now; earlier attempts stay in the log",
    responses={409: {"description": "The event is already waiting to be delivered"}},
)
def redeliver_webhook_event(
    request: Request,
    principal: Principal,
    webhook_id: str,
    event_id: str,
    session: Session = Depends(get_session),
) -> Response:
    delivery = service.redeliver(
        session, team_id=principal.team_id, webhook_id=webhook_id, event_id=event_id
    )
    return envelope(request, delivery.model_dump())
