"""Wire models for webhook subscriptions and their delivery log."""

from typing import Annotated, Any

from pydantic import BeforeValidator, Field, StringConstraints

from intentsync.kit.schemas import NotNull, RequestModel, RtpAid, Timestamp, WireModel, enum
from intentsync.kit.validation import Rules, one_of
from intentsync.webhooks.events import DEFAULT_MIN_SCORE_CHANGE, EVENT_TYPES

KINDS = ("webhook", "slack")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
MAX_URL = 2048
MAX_DESCRIPTION = 2000
MAX_SEGMENTS = 100

Url = Annotated[str, Rules("isString", "isNotEmpty"), StringConstraints(max_length=MAX_URL)]
EventList = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]],
    Rules("isArray", "arrayMinSize", n=1),
    Field(max_length=len(EVENT_TYPES) * 4),
]
SegmentIds = Annotated[
    list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=100)
]


def _whole(value: Any) -> Any:
    """JSON Schema counts 7.0 as an integer, so it is taken as 7; 7.5 stays refused."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


MinScoreChange = Annotated[int, Field(ge=0, le=100), BeforeValidator(_whole)]
Description = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)]


class WebhookCreate(RequestModel):
    url: Url
    events: EventList
    kind: Annotated[str, one_of(*KINDS), NotNull()] = "webhook"
    segment_ids: Annotated[SegmentIds | None, NotNull()] = None
    min_score_change: Annotated[MinScoreChange, NotNull()] = DEFAULT_MIN_SCORE_CHANGE
    description: Description | None = None
    active: Annotated[bool, NotNull()] = True


class WebhookUpdate(RequestModel):
    """Only the properties sent change; description may be cleared with null."""

    url: Annotated[Url | None, NotNull()] = None
    events: Annotated[EventList | None, NotNull()] = None
    segment_ids: Annotated[SegmentIds | None, NotNull()] = None
    min_score_change: Annotated[MinScoreChange | None, NotNull()] = None
    description: Description | None = None
    active: Annotated[bool | None, NotNull()] = None


class WebhookOut(WireModel):
    webhook_id: RtpAid
    kind: Annotated[str, enum(KINDS)]
    url: str = Field(description="A Slack URL is its own secret: shown in full only on creation")
    events: list[Annotated[str, enum(EVENT_TYPES)]]
    segment_ids: list[str] = Field(description="Account events only of these segments; [] = all")
    min_score_change: int = Field(
        description="account.score_changed only when the score moved by at least this much"
    )
    description: str | None
    active: bool
    disabled_reason: str | None = Field(
        description="Why deliveries switched the subscription off; cleared when re-enabled"
    )
    failing_since: Timestamp | None
    previous_secret_expires_at: Timestamp | None = Field(
        description="After a rotation, the old secret signs beside the new one until then"
    )
    created_at: Timestamp
    updated_at: Timestamp


class WebhookWithSecret(WebhookOut):
    secret: str | None = Field(
        description=(
            "The signing secret (whsec_...), shown only in this response; "
            "null for Slack, which is not signed"
        )
    )


class WebhookRemoved(WireModel):
    webhook_id: RtpAid
    message: str


class AttemptOut(WireModel):
    attempted_at: Timestamp
    latency_ms: int
    status_code: int | None
    error: str | None
    response_excerpt: str | None


class DeliveryOut(WireModel):
    event_id: str
    type: Annotated[str, enum(EVENT_TYPES)]
    status: Annotated[str, enum(DELIVERY_STATUSES)]
    attempts: int = Field(description="Attempts in the current round (a redelivery restarts it)")
    next_attempt_at: Timestamp | None = Field(description="Set while pending")
    last_status_code: int | None
    last_error: str | None
    created_at: Timestamp = Field(
        description="When the current round began: the event, or the last redelivery"
    )
    finished_at: Timestamp | None
    payload: dict[str, Any] = Field(description="The event body as sent")
    attempt_log: list[AttemptOut] = Field(description="Every HTTP attempt, oldest first")
