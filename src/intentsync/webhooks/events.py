"""The events a subscription can ask for, and one event as a change reports it."""

from dataclasses import dataclass, field
from typing import Any

ACCOUNT_CREATED = "account.created"
ACCOUNT_SCORE_CHANGED = "account.score_changed"
ACCOUNT_STAGE_CHANGED = "account.stage_changed"
ACCOUNT_DELETED = "account.deleted"
SEGMENT_MEMBERSHIP_CHANGED = "segment.membership_changed"
SCORING_RUN_COMPLETED = "scoring.run_completed"
IMPORT_COMPLETED = "import.completed"

EVENT_TYPES: tuple[str, ...] = (
    ACCOUNT_CREATED,
    ACCOUNT_SCORE_CHANGED,
    ACCOUNT_STAGE_CHANGED,
    ACCOUNT_DELETED,
    SEGMENT_MEMBERSHIP_CHANGED,
    SCORING_RUN_COMPLETED,
    IMPORT_COMPLETED,
)

DEFAULT_MIN_SCORE_CHANGE = 5


@dataclass(frozen=True)
class Event:
    """What a change reports; the facts beside data are what subscription filters match on.

    account_pk names the account the event is about: emit() puts it in data["account"] as
    GET /accounts shows it, rendered only when some subscription is owed the event.
    segment_ids are the segments the event concerns (an account's segments, or the segment
    whose members changed); score_change is the overall score's move, for score events.
    """

    type: str
    data: dict[str, Any]
    segment_ids: tuple[str, ...] = field(default=())
    score_change: int | None = None
    account_pk: int | None = None
