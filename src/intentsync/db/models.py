"""Tables; every business row carries team_id so data is scoped and shardable by team."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from intentsync.db.base import Base, BigId, JsonDoc


def account_of_team() -> ForeignKeyConstraint:
    """(team_id, account_id) names an account of that team: one check per row, not two.

    Every table whose rows belong to an account carries this key instead of one key to the
    team and one to the account, so no row can name another team's account; deleting a
    team still deletes its accounts and, through this key, their rows.
    """
    return ForeignKeyConstraint(
        ["team_id", "account_id"], ["accounts.team_id", "accounts.id"], ondelete="CASCADE"
    )


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    # None: the user has API keys but cannot sign in to the console.
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    role: Mapped[str] = mapped_column(String(16), default="member", server_default="member")


class ConsoleSession(Base):
    """A signed-in browser: the cookie carries a random token, only its hash is stored."""

    __tablename__ = "console_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger)


class SignInFailure(Base):
    """Failed console sign-ins, counted per email and per address to throttle guessing."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_email_at", "email", "at_ms"),
        Index("ix_sign_in_failures_address_at", "address", "at_ms"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at_ms: Mapped[int] = mapped_column(BigInteger)


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        Index(
            "uq_api_keys_active_user",
            "user_id",
            unique=True,
            sqlite_where=text("revoked_ms IS NULL"),
            postgresql_where=text("revoked_ms IS NULL"),
        ),
        Index("uq_api_keys_issue_nonce", "issue_nonce", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_used_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The one-time nonce of the console form that issued the key: a resent form issues nothing.
    issue_nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SyncClock(Base):
    """One row per team; locking it orders a team's writes so change stamps follow commit order."""

    __tablename__ = "sync_clocks"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    last_ms: Mapped[int] = mapped_column(BigInteger)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        UniqueConstraint("team_id", "domain"),
        UniqueConstraint("team_id", "external_id"),
        Index("ix_accounts_team_changed", "team_id", "changed_ms"),
        # The console's list and overview: by score, by stage then score, by 7-day change.
        Index("ix_accounts_team_score", "team_id", "account_score", "id"),
        Index("ix_accounts_team_stage_score", "team_id", "journey_stage", "account_score", "id"),
        Index("ix_accounts_team_change_7d", "team_id", "score_change_7d", "id"),
        # Unique so that rows naming an account can name its team with it, in one foreign key.
        Index("ix_accounts_team_id", "team_id", "id", unique=True),
        Index("ix_accounts_team_inputs", "team_id", "inputs_ms"),
        # Live accounts (deleted_ms IS NULL) are counted from it; the deleted delta reads it.
        Index("ix_accounts_team_deleted", "team_id", "deleted_ms", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    rtp_aid: Mapped[str] = mapped_column(String(24), unique=True)
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    short_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    linkedin_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JsonDoc)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    account_score: Mapped[int] = mapped_column(Integer, default=0)
    journey_stage: Mapped[str] = mapped_column(String(64))
    advertising_score: Mapped[int] = mapped_column(Integer, default=0)
    website_score: Mapped[int] = mapped_column(Integer, default=0)
    g2_score: Mapped[int] = mapped_column(Integer, default=0)
    bombora_score: Mapped[int] = mapped_column(Integer, default=0)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)
    # When the current journey stage was entered (None: never scored, still the default).
    stage_entered_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # Team clock stamp of the last change to what the score reads (signals, deals, activities).
    inputs_ms: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # rtp_intent_signals: the top contributing recent signals of the last scoring run.
    intent_signals: Mapped[list[dict[str, Any]]] = mapped_column(
        JsonDoc, default=list, server_default="[]"
    )
    # Overall score now minus 7 and 30 days ago, from score_history; 0 when not known.
    score_change_7d: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    score_change_30d: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Team clock stamp of the DELETE that archived the account; None while it is live.
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (
        Index(
            "uq_custom_fields_active_key",
            "team_id",
            "object_type",
            "key",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    object_type: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(300))
    label: Mapped[str] = mapped_column(String(255))
    label_type: Mapped[str] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    options: Mapped[list[str]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(16))
    created_ms: Mapped[int] = mapped_column(BigInteger)


class Segment(Base):
    __tablename__ = "segments"
    __table_args__ = (Index("ix_segments_team_id", "team_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    segment_id: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    type: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    rules: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class SegmentMember(Base):
    __tablename__ = "segment_members"
    __table_args__ = (Index("ix_segment_members_account", "account_id"), account_of_team())

    segment_pk: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer)
    added_ms: Mapped[int] = mapped_column(BigInteger)


class Pipeline(Base):
    __tablename__ = "pipelines"
    __table_args__ = (UniqueConstraint("team_id", "pipeline_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    pipeline_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class PipelineStage(Base):
    __tablename__ = "pipeline_stages"
    __table_args__ = (
        UniqueConstraint("pipeline_pk", "stage_id"),
        Index("ix_pipeline_stages_team_stage", "team_id", "stage_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    pipeline_pk: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    stage_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(255))
    category: Mapped[str] = mapped_column(String(8))
    position: Mapped[int] = mapped_column(Integer)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        UniqueConstraint("team_id", "external_deal_id"),
        Index("ix_deals_team_changed", "team_id", "changed_ms"),
        Index("ix_deals_team_id", "team_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    external_deal_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    stage_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    stage_label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pipeline_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    pipeline_label: Mapped[str | None] = mapped_column(String(255), nullable=True)
    start_date: Mapped[str | None] = mapped_column(String(64), nullable=True)
    closed_date: Mapped[str | None] = mapped_column(String(64), nullable=True)
    owner_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    currency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class DealAccount(Base):
    """An account a deal names; account_id stays empty until that account exists."""

    __tablename__ = "deal_accounts"
    __table_args__ = (
        Index("ix_deal_accounts_account", "account_id"),
        Index("ix_deal_accounts_pending_ext", "team_id", "external_id"),
        Index("ix_deal_accounts_pending_domain", "team_id", "domain"),
        Index(
            "ix_deal_accounts_unlinked",
            "team_id",
            sqlite_where=text("account_id IS NULL"),
            postgresql_where=text("account_id IS NULL"),
        ),
    )

    deal_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    domain: Mapped[str | None] = mapped_column(String(255), nullable=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (UniqueConstraint("team_id", "email"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320))
    external_contact_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    title: Mapped[str | None] = mapped_column(String(255), nullable=True)
    department: Mapped[str | None] = mapped_column(String(255), nullable=True)
    seniority: Mapped[str | None] = mapped_column(String(255), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(64), nullable=True)
    linkedin_url: Mapped[str | None] = mapped_column(String(1024), nullable=True)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class SalesActivity(Base):
    __tablename__ = "sales_activities"
    __table_args__ = (
        UniqueConstraint("team_id", "external_activity_id"),
        Index("ix_sales_activities_team_changed", "team_id", "changed_ms"),
        Index("ix_sales_activities_team_id", "team_id", "id"),
        Index("ix_sales_activities_pending_domain", "team_id", "domain"),
        Index("ix_sales_activities_account", "account_id", "occurred_ms"),
        Index(
            "ix_sales_activities_unlinked",
            "team_id",
            sqlite_where=text("account_id IS NULL"),
            postgresql_where=text("account_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    external_activity_id: Mapped[str] = mapped_column(String(255))
    activity_type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[str] = mapped_column(String(64))
    occurred_ms: Mapped[int] = mapped_column(BigInteger)
    domain: Mapped[str] = mapped_column(String(255))
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    account_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_email: Mapped[str] = mapped_column(String(320))
    owner_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    owner_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    subject: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    from_name: Mapped[str | None] = mapped_column(String(255), nullable=True)
    from_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    call_title: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    duration_minutes: Mapped[float | None] = mapped_column(Float, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(255), nullable=True)
    direction: Mapped[str | None] = mapped_column(String(16), nullable=True)
    open_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    click_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class ActivityContact(Base):
    __tablename__ = "activity_contacts"

    activity_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("sales_activities.id", ondelete="CASCADE"), primary_key=True
    )
    contact_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))


class SignalEvent(Base):
    """One received intent signal, stored once per (team, source, natural key)."""

    __tablename__ = "signal_events"
    __table_args__ = (
        UniqueConstraint("team_id", "source", "natural_key"),
        Index("ix_signal_events_account", "account_id", "day"),
        # The scoring round's fold reads a team's events after its mark, whatever other
        # teams have stored since.
        Index("ix_signal_events_team_id", "team_id", "id"),
        account_of_team(),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    source: Mapped[str] = mapped_column(String(16))
    type: Mapped[str] = mapped_column(String(32))
    natural_key: Mapped[str] = mapped_column(String(700))
    occurred_ms: Mapped[int] = mapped_column(BigInteger)
    # UTC days since 1970-01-01; Bombora signals carry the Monday of their week.
    day: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[float] = mapped_column(Float)
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class SignalDaily(Base):
    """Signals rolled up per account, source, type, day and detail: what scoring reads.

    detail is the Bombora topic, or the visitor id for website rows of type 'visitor';
    quantity is summed, value keeps the largest (Bombora composite score).
    """

    __tablename__ = "signal_daily"
    # On SQLite the key is the table: a run reads an account's rows in one sequential range.
    __table_args__ = (account_of_team(), {"sqlite_with_rowid": False})

    # The key leads with team and account so a run streams a team in account order.
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    type: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    detail: Mapped[str] = mapped_column(String(255), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    value: Mapped[float] = mapped_column(Float)


class SignalVolume(Base):
    """A team's signals summed per day and source: the overview's chart reads a few hundred
    rows here instead of millions of roll-up rows. Written with every roll-up write."""

    __tablename__ = "signal_volume"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)


class SignalFoldMark(Base):
    """The last of a team's signal_events folded into signal_daily and signal_volume.

    Ingest only inserts events; the scoring round folds everything after the mark. Events are
    inserted under the team's write lock, so a team's ids grow in commit order and a fold
    taken under the same lock misses none and counts none twice.
    """

    __tablename__ = "signal_fold_marks"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[int] = mapped_column(BigInteger)


class JourneyStageName(Base):
    """What a team's people see for a journey stage; the canonical name stays on the API."""

    __tablename__ = "journey_stage_names"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    stage: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(64))


class ScoringConfig(Base):
    """A team's scoring constants; every change adds a version, the newest one applies."""

    __tablename__ = "scoring_configs"
    __table_args__ = (UniqueConstraint("team_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    config: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class ScoringState(Base):
    """What the last complete scoring of a team covered, so the next run can be incremental."""

    __tablename__ = "scoring_states"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    config_version: Mapped[int] = mapped_column(Integer)
    as_of_day: Mapped[int] = mapped_column(Integer)
    # Inputs stamped at or before this were read by the last complete run.
    inputs_ms: Mapped[int] = mapped_column(BigInteger)


class ScoringLease(Base):
    """Held by the one process scoring a team; expires so a crashed holder frees it."""

    __tablename__ = "scoring_leases"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    holder: Mapped[str] = mapped_column(String(64))
    expires_ms: Mapped[int] = mapped_column(BigInteger)


class ScoringRun(Base):
    __tablename__ = "scoring_runs"
    __table_args__ = (
        Index("ix_scoring_runs_team_started", "team_id", "started_ms"),
        # The dispatcher looks for running spread runs every second among many finished ones.
        Index("ix_scoring_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    as_of_day: Mapped[int] = mapped_column(Integer)
    config_version: Mapped[int] = mapped_column(Integer)
    started_ms: Mapped[int] = mapped_column(BigInteger)
    finished_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    accounts_scored: Mapped[int] = mapped_column(Integer, default=0)
    accounts_changed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[str]] = mapped_column(JsonDoc)
    # A run spread over queue workers keeps its plan here for its chunk and finish jobs:
    # config document, inputs watermark, history flag and number of chunks.
    plan: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)


class ScoringRunChunk(Base):
    """One chunk of a run spread over queue workers; done once its scores are written."""

    __tablename__ = "scoring_run_chunks"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("scoring_runs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_ids: Mapped[list[int]] = mapped_column(JsonDoc)
    done_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    changed_ids: Mapped[list[int] | None] = mapped_column(JsonDoc, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AccountScore(Base):
    """The latest explanation of an account's score: sub-scores, buckets, top signals."""

    __tablename__ = "account_scores"
    # Every full run rewrites every row (its day and time at least). Half of each page kept
    # free lets PostgreSQL write the new version beside the old one (a HOT update): no index
    # entries, and the page reuses the last run's space without waiting for vacuum.
    __table_args__ = (account_of_team(), {"postgresql_with": {"fillfactor": 50}})

    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, index=True)
    as_of_day: Mapped[int] = mapped_column(Integer)
    config_version: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    stage_reason: Mapped[str] = mapped_column(Text)
    # A lower activity-driven stage waiting out its 7 days before the account moves down.
    pending_stage: Mapped[str | None] = mapped_column(String(64), nullable=True)
    pending_since_day: Mapped[int | None] = mapped_column(Integer, nullable=True)
    scored_ms: Mapped[int] = mapped_column(BigInteger)


class StageTransition(Base):
    __tablename__ = "stage_transitions"
    __table_args__ = (
        Index("ix_stage_transitions_account", "account_id", "at_ms"),
        account_of_team(),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    from_stage: Mapped[str] = mapped_column(String(64))
    to_stage: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at_ms: Mapped[int] = mapped_column(BigInteger)


class ScoreHistory(Base):
    """An account's scores from a day on, until its next row: written only when one changes."""

    __tablename__ = "score_history"
    __table_args__ = (account_of_team(),)

    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True)  # UTC days since 1970-01-01
    team_id: Mapped[int] = mapped_column(Integer)
    account_score: Mapped[int] = mapped_column(Integer)
    website_score: Mapped[int] = mapped_column(Integer)
    g2_score: Mapped[int] = mapped_column(Integer)
    bombora_score: Mapped[int] = mapped_column(Integer)
    advertising_score: Mapped[int] = mapped_column(Integer)


class TrackingSettings(Base):
    """A team's website tracker: its public write key and page-category URL patterns."""

    __tablename__ = "tracking_settings"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    write_key: Mapped[str] = mapped_column(String(64), unique=True)
    # [[category, pattern], ...] in match order; None means the built-in defaults.
    page_patterns: Mapped[list[list[str]] | None] = mapped_column(JsonDoc, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)


class IpRange(Base):
    """A CIDR block a team imported, naming the company domain behind it."""

    __tablename__ = "ip_ranges"
    __table_args__ = (
        UniqueConstraint("team_id", "version", "start_int", "end_int"),
        Index("ix_ip_ranges_lookup", "team_id", "version", "start_int"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)  # 4 or 6
    # Range bounds as zero-padded 32-char hex so IPv4 and IPv6 compare as text everywhere.
    start_int: Mapped[str] = mapped_column(String(32))
    end_int: Mapped[str] = mapped_column(String(32))
    cidr: Mapped[str] = mapped_column(String(64))
    domain: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))  # company, isp or hosting


class SignalImport(Base):
    """An intent file uploaded in the console: its progress while it runs, then its result.

    heartbeat_ms moves with every committed chunk, so a run whose process died is found out.
    """

    __tablename__ = "imports"
    __table_args__ = (
        Index("ix_imports_team_id", "team_id", "id"),
        Index("ix_imports_team_status", "team_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    file_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16))  # running, done or failed
    message: Mapped[str | None] = mapped_column(Text, nullable=True)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    signals_created: Mapped[int] = mapped_column(Integer, default=0)
    signals_skipped: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    errors_total: Mapped[int] = mapped_column(Integer, default=0)  # kept or not
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    started_ms: Mapped[int] = mapped_column(BigInteger)
    heartbeat_ms: Mapped[int] = mapped_column(BigInteger)
    finished_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class SignalImportFile(Base):
    """An upload's bytes until its import ends, so a worker on any host can run it."""

    __tablename__ = "signal_import_files"

    import_id: Mapped[int] = mapped_column(
        ForeignKey("imports.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SignalImportError(Base):
    """A bad line of an import as the CLI reports it; only the first ones are kept."""

    __tablename__ = "import_errors"
    __table_args__ = (Index("ix_import_errors_import", "import_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)  # the raw line, truncated


class WebhookSubscription(Base):
    """Where a team wants events pushed: a signed webhook or a Slack incoming webhook.

    A rotated secret keeps signing beside the new one until previous_secret_until_ms.
    """

    __tablename__ = "webhook_subscriptions"
    __table_args__ = (Index("ix_webhook_subscriptions_team_id", "team_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    webhook_id: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # webhook or slack
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(JsonDoc)
    segment_ids: Mapped[list[str]] = mapped_column(JsonDoc)  # empty: every account
    min_score_change: Mapped[int] = mapped_column(Integer, default=5)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Set when deliveries failed for too long and the subscription was switched off.
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    failing_since_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    secret: Mapped[str] = mapped_column(String(128))
    previous_secret: Mapped[str | None] = mapped_column(String(128), nullable=True)
    previous_secret_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    changed_ms: Mapped[int] = mapped_column(BigInteger)


class WebhookEvent(Base):
    """The outbox: written in the same transaction as the change it reports."""

    __tablename__ = "webhook_events"
    __table_args__ = (Index("ix_webhook_events_team_id", "team_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(32), unique=True)  # the webhook-id header
    type: Mapped[str] = mapped_column(String(64))
    occurred_ms: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # the body as sent


class WebhookDelivery(Base):
    """One event owed to one subscription: pending until delivered or given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_pk", "subscription_pk"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_ms"),
        Index("ix_webhook_deliveries_subscription", "subscription_pk", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    event_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_events.id", ondelete="CASCADE")
    )
    subscription_pk: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    status: Mapped[str] = mapped_column(String(16))  # pending, delivered or failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_ms: Mapped[int] = mapped_column(BigInteger)
    # A worker that claimed the delivery owns it until then; after, another may take it.
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    finished_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class WebhookAttempt(Base):
    """The delivery log: one row per HTTP attempt."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_pk", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    delivery_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("webhook_deliveries.id", ondelete="CASCADE")
    )
    attempted_ms: Mapped[int] = mapped_column(BigInteger)
    latency_ms: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_excerpt: Mapped[str | None] = mapped_column(Text, nullable=True)


class IdempotencyKey(Base):
    """A write's Idempotency-Key: claimed while it runs, then its answer, replayed for 24 hours.

    The key belongs to the team of the API key that sent it; the token says which run holds a
    running claim, so a run whose claim was taken over cannot store its answer.
    """

    __tablename__ = "idempotency_keys"
    __table_args__ = (Index("ix_idempotency_keys_expires", "expires_ms"),)

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))  # sha256 of method, path, query, body
    state: Mapped[str] = mapped_column(String(16))  # running or done
    token: Mapped[str] = mapped_column(String(32))
    lease_until_ms: Mapped[int] = mapped_column(BigInteger)  # a running claim older is stale
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(255), nullable=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    created_ms: Mapped[int] = mapped_column(BigInteger)
    expires_ms: Mapped[int] = mapped_column(BigInteger)
