"""Delivery tests: subscriptions as rows, a receiver on localhost and workers on a fake clock."""

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select, update

from intentsync.db.engine import Database
from intentsync.db.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from intentsync.kit.clock import now_ms
from intentsync.webhooks.job import DeliveryWorker
from intentsync.webhooks.signing import new_secret
from tests.webhooks.receiver import Receiver, receiving


class Clock:
    """A clock tests move by hand: the retry schedule is checked without sleeping."""

    def __init__(self, start: int | None = None) -> None:
        self.now = now_ms() if start is None else start

    def __call__(self) -> int:
        return self.now


def retire_all_subscriptions(db: Database) -> None:
    """Deliveries of earlier tests' subscriptions must not reach this test's workers."""
    with db.transaction() as session:
        session.execute(
            update(WebhookSubscription)
            .where(WebhookSubscription.deleted_ms.is_(None))
            .values(deleted_ms=now_ms(), active=False)
        )


def add_subscription(db: Database, team_id: int, url: str, events: list[str], **extra: Any):
    at = now_ms()
    with db.transaction() as session:
        row = WebhookSubscription(
            team_id=team_id,
            webhook_id=secrets.token_hex(12),
            kind=extra.pop("kind", "webhook"),
            url=url,
            events=events,
            segment_ids=extra.pop("segment_ids", []),
            min_score_change=extra.pop("min_score_change", 5),
            active=True,
            secret=extra.pop("secret", None) or new_secret(),
            created_ms=at,
            changed_ms=at,
            **extra,
        )
        session.add(row)
    return row


def deliveries_of(db: Database, subscription_pk: int) -> list[WebhookDelivery]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.subscription_pk == subscription_pk)
                .order_by(WebhookDelivery.id)
            )
        )


def attempts_of(db: Database, delivery_pk: int) -> list[WebhookAttempt]:
    with db.transaction(write=False) as session:
        return list(
            session.scalars(
                select(WebhookAttempt)
                .where(WebhookAttempt.delivery_pk == delivery_pk)
                .order_by(WebhookAttempt.id)
            )
        )


def subscription(db: Database, pk: int) -> WebhookSubscription:
    with db.transaction(write=False) as session:
        row = session.get(WebhookSubscription, pk)
        assert row is not None
        return row


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


@pytest.fixture
def workers(database: Database) -> Iterator[Callable[..., DeliveryWorker]]:
    """Makes workers (jitter fixed at the middle: delays exactly as scheduled) and stops them."""
    retire_all_subscriptions(database)
    made: list[DeliveryWorker] = []

    def make(**options: Any) -> DeliveryWorker:
        options.setdefault("jitter", lambda: 0.5)
        options.setdefault("timeout", 5.0)
        worker = DeliveryWorker(database, **options)
        made.append(worker)
        return worker

    yield make
    for worker in made:
        worker.stop()
    retire_all_subscriptions(database)
