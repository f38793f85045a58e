"""All SQL of webhooks."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from intentsync.db.models import WebhookDelivery, WebhookEvent, WebhookSubscription


def active_subscriptions(session: Session, *, team_id: int) -> list[WebhookSubscription]:
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.team_id == team_id,
                WebhookSubscription.active.is_(True),
                WebhookSubscription.deleted_ms.is_(None),
            )
            .order_by(WebhookSubscription.id)
        )
    )


def add_events(
    session: Session,
    *,
    team_id: int,
    events: Sequence[tuple[str, str, int, dict[str, Any], Sequence[int]]],
    at_ms: int,
) -> None:
    """Write (event_id, type, occurred_ms, payload, subscription pks) rows and their deliveries."""
    if not events:
        return
    pks = session.scalars(
        insert(WebhookEvent).returning(WebhookEvent.id, sort_by_parameter_order=True),
        [
            {
                "team_id": team_id,
                "event_id": event_id,
                "type": type_,
                "occurred_ms": occurred_ms,
                "payload": payload,
            }
            for event_id, type_, occurred_ms, payload, _subs in events
        ],
    ).all()
    deliveries = [
        {
            "team_id": team_id,
            "event_pk": pk,
            "subscription_pk": sub_pk,
            "status": "pending",
            "attempts": 0,
            "next_attempt_ms": at_ms,
            "created_ms": at_ms,
        }
        for pk, (_id, _type, _at, _payload, subs) in zip(pks, events, strict=True)
        for sub_pk in subs
    ]
    session.execute(insert(WebhookDelivery), deliveries)
