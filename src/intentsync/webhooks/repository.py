"""All SQL of webhooks."""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, func, insert, or_, select, update
from sqlalchemy.orm import Session

from intentsync.db.dialect import insert_rows
from intentsync.db.models import (
    Segment,
    SegmentMember,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from intentsync.db.paging import largest_id, one_page
from intentsync.kit.pagination import PageRequest

_EVENTS = cast(Table, WebhookEvent.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)


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
    # Core statements on the session's connection: the ORM's bulk path costs several times more
    # per row, and an account push with a subscription writes an event per new account.
    pks = (
        session.connection()
        .execute(
            insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True),
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
        )
        .scalars()
        .all()
    )
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
    insert_rows(session, _DELIVERIES, deliveries)


def subscription(session: Session, *, team_id: int, webhook_id: str) -> WebhookSubscription | None:
    """A team's subscription by its public id; a removed one is gone."""
    return session.scalar(
        select(WebhookSubscription).where(
            WebhookSubscription.team_id == team_id,
            WebhookSubscription.webhook_id == webhook_id,
            WebhookSubscription.deleted_ms.is_(None),
        )
    )


def add_subscription(session: Session, row: WebhookSubscription) -> None:
    session.add(row)
    session.flush()


def subscriptions_page(
    session: Session, *, team_id: int, page: PageRequest
) -> list[WebhookSubscription]:
    """Oldest first, one row past the limit so the caller knows whether more follow."""
    query = select(WebhookSubscription).where(
        WebhookSubscription.team_id == team_id, WebhookSubscription.deleted_ms.is_(None)
    )
    query = one_page(
        query,
        id_column=WebhookSubscription.id,
        changed_column=WebhookSubscription.changed_ms,
        page=page,
    )
    return list(session.scalars(query))


def existing_segment_ids(session: Session, *, team_id: int, segment_ids: Sequence[str]) -> set[str]:
    """Which of these public segment ids the team has (a segment is archived, never deleted)."""
    if not segment_ids:
        return set()
    return set(
        session.scalars(
            select(Segment.segment_id).where(
                Segment.team_id == team_id, Segment.segment_id.in_(list(segment_ids))
            )
        )
    )


def fail_pending(session: Session, *, subscription_pk: int, error: str, at_ms: int) -> int:
    """Give up every pending delivery of a subscription; returns how many."""
    done = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_pk == subscription_pk,
            WebhookDelivery.status == "pending",
        )
        .values(status="failed", last_error=error, finished_ms=at_ms, lease_until_ms=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0) or 0)


DeliveryRow = tuple[WebhookDelivery, WebhookEvent]


def deliveries_page(
    session: Session,
    *,
    subscription_pk: int,
    before_id: int | None,
    offset: int | None,
    limit: int,
) -> list[DeliveryRow]:
    """Newest first with their events, one row past the limit."""
    query = (
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_pk)
        .where(WebhookDelivery.subscription_pk == subscription_pk)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit + 1)
    )
    if before_id is not None:
        query = query.where(WebhookDelivery.id < min(before_id, largest_id(WebhookDelivery.id)))
    if offset is not None:
        query = query.offset(offset)
    return [(delivery, event) for delivery, event in session.execute(query)]


def delivery_of_event(
    session: Session, *, subscription_pk: int, event_id: str
) -> DeliveryRow | None:
    row = session.execute(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_pk)
        .where(
            WebhookDelivery.subscription_pk == subscription_pk,
            WebhookEvent.event_id == event_id,
        )
    ).first()
    return None if row is None else (row[0], row[1])


def attempts_of(session: Session, delivery_pks: Sequence[int]) -> dict[int, list[WebhookAttempt]]:
    """Each delivery's attempts, oldest first."""
    found: dict[int, list[WebhookAttempt]] = {pk: [] for pk in delivery_pks}
    if not delivery_pks:
        return found
    for attempt in session.scalars(
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_pk.in_(list(delivery_pks)))
        .order_by(WebhookAttempt.delivery_pk, WebhookAttempt.id)
    ):
        found[attempt.delivery_pk].append(attempt)
    return found


def account_segment_ids(session: Session, account_pks: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The public ids of every segment each account belongs to, for the segment filter."""
    found: dict[int, list[str]] = {}
    if not account_pks:
        return {}
    for start in range(0, len(account_pks), 5000):
        rows = session.execute(
            select(SegmentMember.account_id, Segment.segment_id)
            .join(Segment, Segment.id == SegmentMember.segment_pk)
            .where(SegmentMember.account_id.in_(list(account_pks[start : start + 5000])))
        )
        for account_pk, segment_id in rows:
            found.setdefault(account_pk, []).append(segment_id)
    return {pk: tuple(ids) for pk, ids in found.items()}


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
    """When each delivery's current round was first tried: the retry window counts from there.

    A redelivery starts a new round (created_ms moves), so its earlier attempts do not count.
    """
    if not delivery_pks:
        return {}
    rows = session.execute(
        select(WebhookAttempt.delivery_pk, func.min(WebhookAttempt.attempted_ms))
        .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_pk)
        .where(
            WebhookAttempt.delivery_pk.in_(delivery_pks),
            WebhookAttempt.attempted_ms >= WebhookDelivery.created_ms,
        )
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


def backlog(session: Session, *, now_ms: int) -> tuple[int, int | None]:
    """(pending deliveries, when the longest-waiting due one fell due) across teams."""
    pending = WebhookDelivery.status == "pending"
    count = session.execute(select(func.count()).where(pending)).scalar_one()
    due = session.execute(
        select(func.min(WebhookDelivery.next_attempt_ms)).where(
            pending, WebhookDelivery.next_attempt_ms <= now_ms
        )
    ).scalar()
    return int(count), None if due is None else int(due)
