"""All SQL of webhooks."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


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


# Delivering. A claimed delivery keeps its next_attempt_ms (at or before the claim), so the
# due index (status, next_attempt_ms) finds both due and leased rows.


def _due(now_ms: int) -> Any:
    return (
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_ms <= now_ms,
        or_(WebhookDelivery.lease_until_ms.is_(None), WebhookDelivery.lease_until_ms < now_ms),
    )


def due_subscriptions(session: Session, *, now_ms: int, limit: int) -> list[int]:
    """Active subscriptions with a due delivery and none held now, the longest waiting first."""
    held = select(WebhookDelivery.subscription_pk).where(
        WebhookDelivery.status == "pending",
        WebhookDelivery.next_attempt_ms <= now_ms,
        WebhookDelivery.lease_until_ms >= now_ms,
    )
    return list(
        session.scalars(
            select(WebhookDelivery.subscription_pk)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_pk)
            .where(
                *_due(now_ms),
                WebhookSubscription.active.is_(True),
                WebhookSubscription.deleted_ms.is_(None),
                WebhookDelivery.subscription_pk.not_in(held),
            )
            .group_by(WebhookDelivery.subscription_pk)
            .order_by(func.min(WebhookDelivery.next_attempt_ms))
            .limit(limit)
        )
    )


def lock_subscriptions(session: Session, pks: Sequence[int]) -> list[WebhookSubscription]:
    """Lock the subscriptions to claim for (PostgreSQL skips those another worker holds).

    SQLite has no row locks and needs none: its one writer runs claims one after another.
    """
    return list(
        session.scalars(
            select(WebhookSubscription)
            .where(
                WebhookSubscription.id.in_(pks),
                WebhookSubscription.active.is_(True),
                WebhookSubscription.deleted_ms.is_(None),
            )
            .order_by(WebhookSubscription.id)
            .with_for_update(skip_locked=True)
        )
    )


def busy_subscriptions(session: Session, pks: Sequence[int], *, now_ms: int) -> set[int]:
    """Those of pks that some worker is delivering to now (an unexpired lease)."""
    return set(
        session.scalars(
            select(WebhookDelivery.subscription_pk)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.next_attempt_ms <= now_ms,
                WebhookDelivery.lease_until_ms >= now_ms,
                WebhookDelivery.subscription_pk.in_(pks),
            )
            .distinct()
        )
    )


def due_deliveries(
    session: Session, *, subscription_pk: int, now_ms: int, limit: int
) -> list[tuple[int, int, str, dict[str, Any]]]:
    """(delivery pk, attempts, event id, payload) of one subscription, oldest due first."""
    rows = session.execute(
        select(
            WebhookDelivery.id,
            WebhookDelivery.attempts,
            WebhookEvent.event_id,
            WebhookEvent.payload,
        )
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_pk)
        .where(*_due(now_ms), WebhookDelivery.subscription_pk == subscription_pk)
        .order_by(WebhookDelivery.next_attempt_ms, WebhookDelivery.id)
        .limit(limit)
    ).all()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def lease(session: Session, pks: Sequence[int], *, now_ms: int, until_ms: int) -> set[int]:
    """Take the leases still free; returns the delivery pks this worker now holds."""
    if not pks:
        return set()
    return set(
        session.scalars(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id.in_(pks),
                WebhookDelivery.status == "pending",
                or_(
                    WebhookDelivery.lease_until_ms.is_(None),
                    WebhookDelivery.lease_until_ms < now_ms,
                ),
            )
            .values(lease_until_ms=until_ms)
            .returning(WebhookDelivery.id)
        )
    )


def first_attempts(session: Session, delivery_pks: Sequence[int]) -> dict[int, int]:
    """When each delivery was first tried: the retry window counts from there."""
    if not delivery_pks:
        return {}
    rows = session.execute(
        select(WebhookAttempt.delivery_pk, func.min(WebhookAttempt.attempted_ms))
        .where(WebhookAttempt.delivery_pk.in_(delivery_pks))
        .group_by(WebhookAttempt.delivery_pk)
    ).all()
    return {r[0]: r[1] for r in rows}


def add_attempts(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(WebhookAttempt), list(rows))


def update_deliveries(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Each row: id plus the same set of columns to write."""
    if rows:
        session.execute(update(WebhookDelivery), list(rows))


def release(session: Session, pks: Sequence[int]) -> None:
    """Give leases back untried, for another round to take."""
    if pks:
        session.execute(
            update(WebhookDelivery).where(WebhookDelivery.id.in_(pks)).values(lease_until_ms=None)
        )


def subscriptions_by_pk(session: Session, pks: Sequence[int]) -> list[WebhookSubscription]:
    return list(session.scalars(select(WebhookSubscription).where(WebhookSubscription.id.in_(pks))))
