"""Wire models for score explanations (documented in OpenAPI; built as plain data)."""

from typing import Annotated, Any

from pydantic import Field

from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.schemas import RtpAid, Timestamp, WireModel, enum
from intentsync.signals.types import INGESTED_SOURCES


class SourceBreakdown(WireModel):
    source: str
    field: str | None = Field(description="The rtp_ field showing this sub-score, if any")
    enabled: bool
    weight: int = Field(description="Weight in the overall score; 0 when disabled")
    score: int
    raw_points: float = Field(description="Sum of the capped per-type buckets")
    buckets: dict[str, float] = Field(description="Capped points per signal type")


class TopSignal(WireModel):
    source: str
    type: str
    occurred_on: str
    quantity: float
    topic: str | None = Field(default=None, exclude_if=lambda v: v is None)
    points: float = Field(description="Decayed points before caps")


class PendingDowngrade(WireModel):
    stage: Annotated[str, enum(JOURNEY_STAGES)]
    since: str


class StageInfo(WireModel):
    name: Annotated[str, enum(JOURNEY_STAGES)]
    reason: str
    entered_at: Timestamp
    days_in_stage: int
    pending_downgrade: PendingDowngrade | None


class ScoreExplanation(WireModel):
    rtp_aid: RtpAid = Field(serialization_alias="rtp_aid")
    external_id: str | None
    domain: str
    name: str
    rtp_account_score: int = Field(serialization_alias="rtp_account_score")
    as_of: str | None
    config_version: int | None
    scored_at: Timestamp | None
    formula: str
    sources: list[SourceBreakdown]
    top_signals: list[TopSignal]
    stage: StageInfo
    score_change_7d: int = Field(
        alias="scoreChange7d",
        description="Overall score now minus 7 days before the last run; 0 when not known",
    )
    score_change_30d: int = Field(
        alias="scoreChange30d",
        description="Overall score now minus 30 days before the last run; 0 when not known",
    )


class ScorePoint(WireModel):
    as_of: str = Field(description="The day (UTC) this point holds, YYYY-MM-DD")
    rtp_account_score: int = Field(serialization_alias="rtp_account_score")
    rtp_website_intent_score: int = Field(serialization_alias="rtp_website_intent_score")
    rtp_g2_intent_score: int = Field(serialization_alias="rtp_g2_intent_score")
    rtp_bombora_intent_score: int = Field(serialization_alias="rtp_bombora_intent_score")
    rtp_advertising_activity_score: int = Field(
        serialization_alias="rtp_advertising_activity_score"
    )


class ScoreHistoryOut(WireModel):
    rtp_aid: RtpAid = Field(serialization_alias="rtp_aid")
    external_id: str | None
    from_: str = Field(alias="from", description="First day asked for, YYYY-MM-DD")
    to: str = Field(description="Today (UTC), the last day asked for")
    points: list[ScorePoint] = Field(
        description="One per day, oldest first, each carried forward from the last run that "
        "changed a score; days before the account's first scoring run are left out"
    )


class StageMove(WireModel):
    from_: Annotated[str, enum(JOURNEY_STAGES)] = Field(alias="from")
    to: Annotated[str, enum(JOURNEY_STAGES)]
    at: Timestamp
    reason: str = Field(description="The rule and evidence that moved the account")


class StageHistoryOut(WireModel):
    rtp_aid: RtpAid = Field(serialization_alias="rtp_aid")
    external_id: str | None
    stage: Annotated[str, enum(JOURNEY_STAGES)]
    transitions: list[StageMove] = Field(description="Newest first")


class TimelineSignal(WireModel):
    source: Annotated[str, enum(INGESTED_SOURCES)]
    type: str
    occurred_at: Timestamp
    quantity: float
    attributes: dict[str, Any] = Field(
        description="As received: page URL and category, Bombora topic, G2 product, campaign…"
    )


class SignalTimeline(WireModel):
    data: list[TimelineSignal] = Field(description="Newest first")
    next_cursor: str | None
    has_next_page: bool
