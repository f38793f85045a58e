"""Tables; every business row carries team_id so data is scoped and shardable by team."""

from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from intentsync.db.base import Base, BigId, JsonDoc


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
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16))
    created_ms: Mapped[int] = mapped_column(BigInteger)
    revoked_ms: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


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
        Index("ix_accounts_team_id", "team_id", "id"),
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
    __table_args__ = (Index("ix_segment_members_account", "account_id"),)

    segment_pk: Mapped[int] = mapped_column(
        ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
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
