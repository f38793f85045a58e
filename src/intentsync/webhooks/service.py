"""Rules of webhooks: which subscriptions an event is owed to, written in the caller's transaction.

An event is only written when some active subscription wants it, so a team without
subscriptions pays one query per batch of changes and nothing more.
"""

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from intentsync.db.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from intentsync.kit.clock import format_ms, now_ms
from intentsync.kit.errors import BadRequest, Conflict, NotFound, ValidationFailed
from intentsync.kit.ids import new_object_id
from intentsync.kit.pagination import PageRequest
from intentsync.kit.schemas import Page
from intentsync.webhooks import repository
from intentsync.webhooks.events import (
    ACCOUNT_SCORE_CHANGED,
    DEFAULT_MIN_SCORE_CHANGE,
    EVENT_TYPES,
    IMPORT_COMPLETED,
    SCORING_RUN_COMPLETED,
    Event,
)
from intentsync.webhooks.schemas import (
    KINDS,
    MAX_DESCRIPTION,
    MAX_SEGMENTS,
    MAX_URL,
    AttemptOut,
    DeliveryOut,
    WebhookOut,
    WebhookWithSecret,
)
from intentsync.webhooks.signing import new_secret

EVENT_ID_PREFIX = "msg_"
TEAM_WIDE = frozenset({SCORING_RUN_COMPLETED, IMPORT_COMPLETED})


# accounts.service registers how an account is shown: it sits above webhooks, which cannot
# import it by name. A process that emits before anything imported it (a CLI command that only
# touched segments, say) loads it here on first need, so no caller has to remember to.
ACCOUNT_RENDERER_MODULE = "intentsync.accounts.service"
AccountRenderer = Callable[[Session, int, Sequence[int]], Mapping[int, dict[str, Any]]]
_account_renderers: list[AccountRenderer] = []


def render_accounts_with(renderer: AccountRenderer) -> None:
    _account_renderers[:] = [renderer]


def _render_accounts(session: Session, team_id: int, pks: Sequence[int]) -> Mapping[int, Any]:
    if not pks:
        return {}
    if not _account_renderers:
        importlib.import_module(ACCOUNT_RENDERER_MODULE)
    if not _account_renderers:
        raise RuntimeError(f"{ACCOUNT_RENDERER_MODULE} did not register an account renderer")
    return _account_renderers[0](session, team_id, pks)


def new_event_id(at_ms: int) -> str:
    """Time-ordered, unique, in the form Standard Webhooks receivers expect of webhook-id."""
    return EVENT_ID_PREFIX + new_object_id(at_ms // 1000)


def matches(subscription: WebhookSubscription, event: Event) -> bool:
    """Whether a subscription asked for this event, after its filters.

    A segment filter narrows account and membership events; team-wide events (a scoring run,
    an import) concern no segment and pass it.
    """
    if event.type not in subscription.events:
        return False
    if (
        subscription.segment_ids
        and event.type not in TEAM_WIDE
        and not set(subscription.segment_ids) & set(event.segment_ids)
    ):
        return False
    if event.type == ACCOUNT_SCORE_CHANGED and event.score_change is not None:
        return abs(event.score_change) >= subscription.min_score_change
    return True


def wanted_types(session: Session, *, team_id: int) -> frozenset[str]:
    """The event types some active subscription of the team asks for: emitters skip the rest."""
    return frozenset(
        type_
        for subscription in repository.active_subscriptions(session, team_id=team_id)
        for type_ in subscription.events
    )


def _with_account_segments(
    session: Session, subscriptions: Sequence[WebhookSubscription], events: Sequence[Event]
) -> Sequence[Event]:
    """Account events naming no segments get their account's, in one query, if a filter needs it."""
    filtered = {t for s in subscriptions if s.segment_ids for t in s.events} - TEAM_WIDE
    lacking = [
        e for e in events if e.type in filtered and e.account_pk is not None and not e.segment_ids
    ]
    if not lacking:
        return events
    found = repository.account_segment_ids(
        session, sorted({e.account_pk for e in lacking if e.account_pk is not None})
    )
    return [
        replace(e, segment_ids=found.get(e.account_pk, ()))
        if e.account_pk is not None and e.type in filtered and not e.segment_ids
        else e
        for e in events
    ]


def emit(
    session: Session, *, team_id: int, events: Sequence[Event], at_ms: int | None = None
) -> int:
    """Write the events some subscription wants, with one delivery each; returns how many.

    An account event that names no segment_ids is matched against its account's segments,
    looked up here (once for the batch) only when some subscription filters by segment.
    """
    if not events:
        return 0
    subscriptions = repository.active_subscriptions(session, team_id=team_id)
    if not subscriptions:
        return 0
    at = now_ms() if at_ms is None else at_ms
    events = _with_account_segments(session, subscriptions, events)
    owed = [(event, [s.id for s in subscriptions if matches(s, event)]) for event in events]
    owed = [(event, subs) for event, subs in owed if subs]
    accounts = _render_accounts(
        session, team_id, sorted({e.account_pk for e, _ in owed if e.account_pk is not None})
    )
    rows = []
    for event, subs in owed:
        data = event.data
        if event.account_pk is not None:
            account = accounts.get(event.account_pk)
            if account is None:
                continue  # the change was undone in this same transaction
            data = {"account": account, **data}
        event_id = new_event_id(at)
        payload = {
            "id": event_id,
            "type": event.type,
            "occurredAt": format_ms(at),
            "teamId": team_id,
            "data": data,
        }
        rows.append((event_id, event.type, at, payload, subs))
    repository.add_events(session, team_id=team_id, events=rows, at_ms=at)
    return len(rows)


# ---------------------------------------------------------------- subscriptions

ROTATION_OVERLAP_MS = 24 * 3600 * 1000
REMOVED = "subscription removed"


def check_url(url: str) -> str:
    """An absolute http(s) URL with a host and no credentials, as deliveries will call it."""
    text = url.strip()
    if not text:
        raise ValidationFailed.single("url", "isNotEmpty", "url should not be empty")
    if len(text) > MAX_URL:
        raise ValidationFailed.single(
            "url", "maxLength", f"url must be shorter than or equal to {MAX_URL} characters"
        )
    example = "such as https://example.com/hooks/intentsync"
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValidationFailed.single(
            "url", "isUrl", "url must not contain spaces or control characters; encode them"
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (a port out of range raises here)
    except ValueError:
        raise ValidationFailed.single(
            "url", "isUrl", f"url must be a valid http or https URL, {example}"
        ) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationFailed.single(
            "url",
            "isUrl",
            f"url must be an absolute http:// or https:// URL with a host, {example}",
        )
    if parts.username is not None or parts.password is not None:
        raise ValidationFailed.single(
            "url",
            "isUrl",
            "url must not carry a user name or password: receivers check the signature instead",
        )
    return text


def check_events(events: Sequence[str]) -> list[str]:
    """Known event types, once each, in the order given."""
    choices = ", ".join(EVENT_TYPES)
    if not events:
        raise ValidationFailed.single(
            "events", "arrayMinSize", f"events should name at least one of: {choices}"
        )
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationFailed.single(
            "events", "isIn", f"events has unknown type '{unknown[0]}'; choose from: {choices}"
        )
    return list(dict.fromkeys(events))


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationFailed.single(
            "kind", "isIn", f"kind must be one of the following values: {', '.join(KINDS)}"
        )
    return kind


def check_min_score_change(value: int) -> int:
    if value < 0:
        raise ValidationFailed.single(
            "minScoreChange", "min", "minScoreChange must not be less than 0"
        )
    if value > 100:
        raise ValidationFailed.single(
            "minScoreChange", "max", "minScoreChange must not be greater than 100"
        )
    return value


def check_segment_ids(session: Session, *, team_id: int, segment_ids: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(s.strip() for s in segment_ids))
    if len(wanted) > MAX_SEGMENTS:
        raise ValidationFailed.single(
            "segmentIds",
            "arrayMaxSize",
            f"segmentIds must contain no more than {MAX_SEGMENTS} elements",
        )
    found = repository.existing_segment_ids(session, team_id=team_id, segment_ids=wanted)
    missing = [s for s in wanted if s not in found]
    if missing:
        raise ValidationFailed.single(
            "segmentIds",
            "exists",
            f"segmentIds names no segment of this team: '{missing[0]}'; "
            "segment ids are listed by intentsync segment list",
        )
    return wanted


def check_description(description: str | None) -> str | None:
    if description is None or not description.strip():
        return None
    if len(description) > MAX_DESCRIPTION:
        raise ValidationFailed.single(
            "description",
            "maxLength",
            f"description must be shorter than or equal to {MAX_DESCRIPTION} characters",
        )
    return description.strip()


def shown_url(row: WebhookSubscription) -> str:
    """A Slack URL is the secret that lets anyone post: after creation only its shape is shown."""
    if row.kind != "slack":
        return row.url
    parts = urlsplit(row.url)
    return f"{parts.scheme}://{parts.netloc}/…{row.url[-4:]}"


def _ms(value: int | None) -> str | None:
    return None if value is None else format_ms(value)


def to_out(row: WebhookSubscription, *, now: int | None = None) -> WebhookOut:
    until = row.previous_secret_until_ms
    live = until if until is not None and until > (now_ms() if now is None else now) else None
    return WebhookOut(
        webhook_id=row.webhook_id,
        kind=row.kind,
        url=shown_url(row),
        events=list(row.events),
        segment_ids=list(row.segment_ids),
        min_score_change=row.min_score_change,
        description=row.description,
        active=row.active,
        disabled_reason=row.disabled_reason,
        failing_since=_ms(row.failing_since_ms),
        previous_secret_expires_at=_ms(live),
        created_at=format_ms(row.created_ms),
        updated_at=format_ms(row.changed_ms),
    )


def _with_secret(row: WebhookSubscription, *, url: str | None = None) -> WebhookWithSecret:
    out = to_out(row).model_dump(by_alias=False)
    if url is not None:
        out["url"] = url
    return WebhookWithSecret(**out, secret=None if row.kind == "slack" else row.secret)


def create_subscription(
    session: Session,
    *,
    team_id: int,
    url: str,
    events: Sequence[str],
    kind: str = "webhook",
    segment_ids: Sequence[str] = (),
    min_score_change: int = DEFAULT_MIN_SCORE_CHANGE,
    description: str | None = None,
    active: bool = True,
) -> WebhookWithSecret:
    """A new subscription with its signing secret, which this answer alone shows."""
    row = WebhookSubscription(
        team_id=team_id,
        kind=check_kind(kind),
        url=check_url(url),
        events=check_events(events),
        segment_ids=check_segment_ids(session, team_id=team_id, segment_ids=segment_ids),
        min_score_change=check_min_score_change(min_score_change),
        description=check_description(description),
        active=active,
        secret=new_secret(),
    )
    at = now_ms()
    row.webhook_id = new_object_id(at // 1000)
    row.created_ms = row.changed_ms = at
    repository.add_subscription(session, row)
    return _with_secret(row, url=row.url)


def require_subscription(session: Session, *, team_id: int, webhook_id: str) -> WebhookSubscription:
    row = repository.subscription(session, team_id=team_id, webhook_id=webhook_id.strip())
    if row is None:
        raise NotFound(
            f"No webhook with id '{webhook_id}' in this team; "
            "GET /webhooks or intentsync webhook list shows them"
        )
    return row


def get_subscription(session: Session, *, team_id: int, webhook_id: str) -> WebhookOut:
    return to_out(require_subscription(session, team_id=team_id, webhook_id=webhook_id))


def list_subscriptions(session: Session, *, team_id: int, page: PageRequest) -> Page[WebhookOut]:
    at = now_ms()
    rows, has_next = page.trim(repository.subscriptions_page(session, team_id=team_id, page=page))
    sync_ms = page.sync_ms(at)
    return Page[WebhookOut](
        data=[to_out(row, now=at) for row in rows],
        next_cursor=page.next_cursor(has_next, rows[-1].id if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )


@dataclass(frozen=True)
class Changes:
    """What an update sets; None leaves a property as it is (description: clear_description)."""

    url: str | None = None
    events: Sequence[str] | None = None
    segment_ids: Sequence[str] | None = None
    min_score_change: int | None = None
    description: str | None = None
    clear_description: bool = False
    active: bool | None = None


def update_subscription(
    session: Session, *, team_id: int, webhook_id: str, changes: Changes
) -> WebhookOut:
    """Change what was sent; switching a subscription on again forgets why it was switched off."""
    row = require_subscription(session, team_id=team_id, webhook_id=webhook_id)
    if changes.url is not None:
        row.url = check_url(changes.url)
    if changes.events is not None:
        row.events = check_events(changes.events)
    if changes.segment_ids is not None:
        row.segment_ids = check_segment_ids(
            session, team_id=team_id, segment_ids=changes.segment_ids
        )
    if changes.min_score_change is not None:
        row.min_score_change = check_min_score_change(changes.min_score_change)
    if changes.clear_description:
        row.description = None
    elif changes.description is not None:
        row.description = check_description(changes.description)
    if changes.active is not None:
        if changes.active:
            row.disabled_reason = None
            row.failing_since_ms = None
        row.active = changes.active
    row.changed_ms = now_ms()
    session.flush()
    return to_out(row)


def remove_subscription(session: Session, *, team_id: int, webhook_id: str) -> int:
    """Remove a subscription; its pending deliveries fail. Returns how many were pending."""
    row = require_subscription(session, team_id=team_id, webhook_id=webhook_id)
    at = now_ms()
    row.deleted_ms = row.changed_ms = at
    row.active = False
    session.flush()
    return repository.fail_pending(session, subscription_pk=row.id, error=REMOVED, at_ms=at)


def rotate_secret(session: Session, *, team_id: int, webhook_id: str) -> WebhookWithSecret:
    """A new secret; the old one keeps signing beside it for a day, so receivers can switch."""
    row = require_subscription(session, team_id=team_id, webhook_id=webhook_id)
    if row.kind == "slack":
        raise BadRequest(
            "Slack webhooks are not signed: the Slack URL is the secret. To change it, make a "
            "new incoming webhook in Slack and set it with PATCH /webhooks/{webhookId} (url)"
        )
    at = now_ms()
    row.previous_secret = row.secret
    row.previous_secret_until_ms = at + ROTATION_OVERLAP_MS
    row.secret = new_secret()
    row.changed_ms = at
    session.flush()
    return _with_secret(row)


def _delivery_out(
    delivery: WebhookDelivery, event: WebhookEvent, attempts: Sequence[WebhookAttempt]
) -> DeliveryOut:
    return DeliveryOut(
        event_id=event.event_id,
        type=event.type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=_ms(delivery.next_attempt_ms) if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        created_at=format_ms(delivery.created_ms),
        finished_at=_ms(delivery.finished_ms),
        payload=event.payload,
        attempt_log=[
            AttemptOut(
                attempted_at=format_ms(a.attempted_ms),
                latency_ms=a.latency_ms,
                status_code=a.status_code,
                error=a.error,
                response_excerpt=a.response_excerpt,
            )
            for a in attempts
        ],
    )


def list_deliveries(
    session: Session, *, team_id: int, webhook_id: str, page: PageRequest
) -> Page[DeliveryOut]:
    """The subscription's deliveries newest first, each with its attempts."""
    row = require_subscription(session, team_id=team_id, webhook_id=webhook_id)
    rows, has_next = page.trim(
        repository.deliveries_page(
            session,
            subscription_pk=row.id,
            before_id=page.after_id,
            offset=page.offset,
            limit=page.limit,
        )
    )
    attempts = repository.attempts_of(session, [d.id for d, _ in rows])
    sync_ms = page.sync_ms(now_ms())
    return Page[DeliveryOut](
        data=[_delivery_out(d, e, attempts[d.id]) for d, e in rows],
        next_cursor=page.next_cursor(has_next, rows[-1][0].id if rows else 0, sync_ms),
        has_next_page=has_next,
        sync_timestamp=format_ms(sync_ms),
    )


def redeliver(session: Session, *, team_id: int, webhook_id: str, event_id: str) -> DeliveryOut:
    """Send an event again now, with a fresh round of retries; earlier attempts stay logged."""
    row = require_subscription(session, team_id=team_id, webhook_id=webhook_id)
    found = repository.delivery_of_event(session, subscription_pk=row.id, event_id=event_id.strip())
    if found is None:
        raise NotFound(
            f"Webhook '{webhook_id}' has no delivery of event '{event_id}'; "
            "its delivery log lists the events it was sent"
        )
    delivery, event = found
    if delivery.status == "pending":
        raise Conflict(
            f"Event '{event_id}' is already waiting to be delivered to webhook '{webhook_id}'"
        )
    delivery.status = "pending"
    delivery.attempts = 0
    # The retry window counts from the round's start, so a redelivery gets a full day again.
    delivery.created_ms = delivery.next_attempt_ms = now_ms()
    delivery.lease_until_ms = None
    delivery.finished_ms = None
    session.flush()
    attempts = repository.attempts_of(session, [delivery.id])
    return _delivery_out(delivery, event, attempts[delivery.id])


@dataclass(frozen=True)
class Backlog:
    """Deliveries owed across teams: how many, and how long the longest-due one has waited."""

    pending: int
    oldest_due_seconds: float


def delivery_backlog(session: Session, *, at_ms: int | None = None) -> Backlog:
    at = now_ms() if at_ms is None else at_ms
    pending, due_ms = repository.backlog(session, now_ms=at)
    return Backlog(pending, 0.0 if due_ms is None else max(at - due_ms, 0) / 1000)
