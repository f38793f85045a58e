"""Rules of delivering: what is claimed, when a failed try is retried, and when to give up.

Retries back off from seconds to hours with jitter, for at least a day after the first try;
a receiver that answers 429 is asked again when its Retry-After says (within reason); any
other 4xx is an answer and is not retried. A subscription whose every delivery has failed
for five days is switched off, with the reason, until someone turns it back on.
"""

import email.utils
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from intentsync.kit.clock import DAY_MS, format_ms
from intentsync.webhooks import repository

log = logging.getLogger("intentsync.webhooks")

# Delays after the 1st, 2nd, ... failed try; the last repeats until the window closes.
RETRY_DELAYS_S: tuple[int, ...] = (5, 30, 120, 600, 1800, 3600, 7200, 14400, 28800)
RETRY_WINDOW_MS = DAY_MS  # a delivery is retried until this long after its first try
JITTER = 0.2  # each delay is spread by up to ±20%, so retries of one outage do not align
RETRY_AFTER_MAX_S = 3600  # a receiver cannot park a delivery longer than this per answer
DISABLE_AFTER_MS = 5 * DAY_MS
LEASE_MARGIN_MS = 30_000
EXCERPT_BYTES = 1024


@dataclass(frozen=True)
class Claimed:
    """A delivery this worker holds until lease_until_ms, with what it needs to send it."""

    delivery_pk: int
    subscription_pk: int
    kind: str
    url: str
    secret: str
    previous_secret: str | None
    previous_secret_until_ms: int | None
    event_id: str
    payload: dict[str, Any]
    attempts: int
    first_attempt_ms: int | None
    lease_until_ms: int


@dataclass(frozen=True)
class Attempt:
    """What one HTTP try gave: a status code, or an error when there was no answer."""

    attempted_ms: int
    latency_ms: int
    status_code: int | None = None
    error: str | None = None
    response_excerpt: str | None = None
    retry_after: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: str  # delivered, pending (to be retried) or failed
    next_attempt_ms: int
    error: str | None


def retry_delay_ms(failures: int, jitter: float) -> int:
    """The wait after the n-th failed try; jitter in [0, 1) spreads it by ±JITTER."""
    base = RETRY_DELAYS_S[min(failures, len(RETRY_DELAYS_S)) - 1] * 1000
    return round(base * (1 - JITTER + 2 * JITTER * jitter))


def parse_retry_after(value: str | None, now_ms: int) -> int | None:
    """Retry-After as milliseconds from now: delta-seconds or an HTTP date, capped; else None."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        seconds = float(text)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            return None
        seconds = when.timestamp() - now_ms / 1000
    return round(max(1.0, min(seconds, RETRY_AFTER_MAX_S)) * 1000)


def retryable(attempt: Attempt) -> bool:
    code = attempt.status_code
    return code is None or code == 429 or code >= 500


def decide(claimed: Claimed, attempt: Attempt, jitter: float) -> Outcome:
    """Delivered on 2xx; retried on no answer, 5xx or 429 while the window is open; else failed."""
    code = attempt.status_code
    if code is not None and 200 <= code < 300:
        return Outcome("delivered", attempt.attempted_ms, None)
    error = attempt.error or f"the endpoint answered HTTP {code}"
    if code is not None and 300 <= code < 400:
        error = f"the endpoint answered HTTP {code}; redirects are not followed, use the final URL"
    if not retryable(attempt):
        return Outcome("failed", attempt.attempted_ms, error)
    first = claimed.first_attempt_ms or attempt.attempted_ms
    if attempt.attempted_ms - first >= RETRY_WINDOW_MS:
        error += "; gave up after 24 hours of retries"
        return Outcome("failed", attempt.attempted_ms, error)
    failures = claimed.attempts + 1
    delay = retry_delay_ms(failures, jitter)
    if code == 429:
        delay = parse_retry_after(attempt.retry_after, attempt.attempted_ms) or delay
    return Outcome("pending", attempt.attempted_ms + delay, error)


def due_subscriptions(session: Session, *, now_ms: int, limit: int) -> list[int]:
    """Subscriptions with something to send: read first, so an idle worker takes no write lock."""
    return repository.due_subscriptions(session, now_ms=now_ms, limit=limit)


def claim(
    session: Session,
    candidates: Sequence[int],
    *,
    now_ms: int,
    lease_ms: int,
    max_subscriptions: int,
    lanes_per_subscription: int,
    lane_size: int,
) -> list[list[Claimed]]:
    """Lease due deliveries, as lanes: at most lanes_per_subscription per subscription.

    A subscription that some worker is already delivering to is skipped, so the bound on
    requests in flight to one endpoint holds across workers and server processes.
    """
    subscriptions = repository.lock_subscriptions(session, candidates)
    busy = repository.busy_subscriptions(session, [s.id for s in subscriptions], now_ms=now_ms)
    free = [s for s in subscriptions if s.id not in busy]
    if not free:
        return []
    lanes_each = max(1, min(lanes_per_subscription, max_subscriptions // len(free)))
    picked = {
        s.id: repository.due_deliveries(
            session, subscription_pk=s.id, now_ms=now_ms, limit=lanes_each * lane_size
        )
        for s in free
    }
    until = now_ms + lease_ms
    held = repository.lease(
        session, [row[0] for rows in picked.values() for row in rows], now_ms=now_ms, until_ms=until
    )
    firsts = repository.first_attempts(
        session, [row[0] for rows in picked.values() for row in rows if row[1] and row[0] in held]
    )
    lanes: list[list[Claimed]] = []
    for sub in free:
        claimed = [
            Claimed(
                delivery_pk=pk,
                subscription_pk=sub.id,
                kind=sub.kind,
                url=sub.url,
                secret=sub.secret,
                previous_secret=sub.previous_secret,
                previous_secret_until_ms=sub.previous_secret_until_ms,
                event_id=event_id,
                payload=payload,
                attempts=attempts,
                first_attempt_ms=firsts.get(pk),
                lease_until_ms=until,
            )
            for pk, attempts, event_id, payload in picked[sub.id]
            if pk in held
        ]
        lanes += [claimed[i::lanes_each] for i in range(lanes_each) if claimed[i::lanes_each]]
    return lanes


@dataclass(frozen=True)
class Disabled:
    webhook_id: str
    url: str
    reason: str


def record(
    session: Session,
    results: Sequence[tuple[Claimed, Attempt | None]],
    *,
    now_ms: int,
    jitter: Callable[[], float],
) -> list[Disabled]:
    """Write what the tries gave (None: not tried, the lease is given back) in one transaction."""
    untried = [c.delivery_pk for c, a in results if a is None]
    tried = sorted(
        ((c, a) for c, a in results if a is not None), key=lambda pair: pair[1].attempted_ms
    )
    repository.release(session, untried)
    attempts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    # subscription -> (a success seen in this batch, the first failure after the last success)
    streaks: dict[int, tuple[bool, int | None]] = {}
    for claimed, attempt in tried:
        outcome = decide(claimed, attempt, jitter())
        attempts.append(
            {
                "delivery_pk": claimed.delivery_pk,
                "attempted_ms": attempt.attempted_ms,
                "latency_ms": attempt.latency_ms,
                "status_code": attempt.status_code,
                "error": attempt.error,
                "response_excerpt": attempt.response_excerpt,
            }
        )
        updates.append(
            {
                "id": claimed.delivery_pk,
                "status": outcome.status,
                "attempts": claimed.attempts + 1,
                "next_attempt_ms": outcome.next_attempt_ms,
                "lease_until_ms": None,
                "last_status_code": attempt.status_code,
                "last_error": outcome.error,
                "finished_ms": None if outcome.status == "pending" else attempt.attempted_ms,
            }
        )
        succeeded, since = streaks.get(claimed.subscription_pk, (False, None))
        if outcome.status == "delivered":
            streaks[claimed.subscription_pk] = (True, None)
        else:
            streaks[claimed.subscription_pk] = (succeeded, since or attempt.attempted_ms)
    repository.add_attempts(session, attempts)
    repository.update_deliveries(session, updates)
    return _follow_streaks(session, streaks, now_ms=now_ms)


def _follow_streaks(
    session: Session, streaks: dict[int, tuple[bool, int | None]], *, now_ms: int
) -> list[Disabled]:
    """Clear or start each subscription's failing streak; switch off those failing too long.

    Without a success in this batch a streak may have begun before it: it is kept.
    """
    disabled: list[Disabled] = []
    for sub in repository.subscriptions_by_pk(session, sorted(streaks)):
        succeeded, since = streaks[sub.id]
        if since is None:
            if sub.failing_since_ms is not None:
                sub.failing_since_ms = None
            continue
        if succeeded or sub.failing_since_ms is None:
            sub.failing_since_ms = since
        if sub.active and now_ms - sub.failing_since_ms >= DISABLE_AFTER_MS:
            sub.active = False
            sub.changed_ms = now_ms
            sub.disabled_reason = (
                f"Disabled at {format_ms(now_ms)}: every delivery since "
                f"{format_ms(sub.failing_since_ms)} failed (5 days without a successful "
                "delivery). Fix the endpoint, then set the subscription active again "
                '(PATCH /api/v1/webhooks/{id} with {"active": true}); its pending '
                "deliveries resume."
            ).replace("{id}", sub.webhook_id)
            disabled.append(Disabled(sub.webhook_id, sub.url, sub.disabled_reason))
            log.warning(
                "webhook %s (%s) disabled: deliveries failed continuously since %s",
                sub.webhook_id,
                sub.url,
                format_ms(sub.failing_since_ms),
            )
    session.flush()
    return disabled
