"""Wire models for score explanations (documented in OpenAPI; built as plain data)."""

from typing import Annotated

from pydantic import Field

from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.schemas import RtpAid, Timestamp, WireModel, enum


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
