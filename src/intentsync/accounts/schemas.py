"""Wire models for accounts (spec E1-E5)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

import orjson
from pydantic import Field, StringConstraints

from intentsync.db.models import Account
from intentsync.db.rows import RowShape, WireColumn, stored_json
from intentsync.journey.stages import JOURNEY_STAGES
from intentsync.kit.clock import format_ms
from intentsync.kit.schemas import (
    NotNull,
    RequestModel,
    RtpAid,
    Timestamp,
    WireModel,
    bulk_reply,
    enum,
)
from intentsync.kit.validation import NotBlank, Rules
from intentsync.segments.schemas import SegmentRef

MAX_BATCH = 100

Text255 = StringConstraints(max_length=255)


class AccountIn(RequestModel):
    external_id: Annotated[str, Rules("isString", "isNotEmpty"), Text255, NotBlank]
    domain: Annotated[
        str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=2048), NotBlank
    ]
    name: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    short_name: Annotated[str | None, Text255] = None
    linkedin_url: Annotated[str | None, StringConstraints(max_length=1024)] = None
    tags: Annotated[list[Annotated[str, Text255]] | None, Field(max_length=100)] = None
    custom_fields: dict[str, Any] | None = None


class AccountsCreate(RequestModel):
    accounts: Annotated[
        list[AccountIn],
        Rules("isArray", "arrayMinSize", n=1),
        Field(min_length=1, max_length=MAX_BATCH),
    ]
    segment_id: Annotated[str | None, Text255] = None


class AccountResult(WireModel):
    external_id: str | None
    rtp_aid: RtpAid | None = Field(serialization_alias="rtp_aid")
    domain: str
    status: Annotated[str, enum(("created", "updated", "failed"))]
    error: str | None = Field(default=None, exclude_if=lambda v: v is None)


class CreateSummary(WireModel):
    total: int
    created: int
    updated: int
    failed: int


class AccountsCreateResult(WireModel):
    results: list[AccountResult]
    summary: CreateSummary


def item_result(
    *,
    external_id: str | None,
    rtp_aid: str | None,
    domain: str,
    status: str,
    error: str | None = None,
) -> dict[str, Any]:
    """One AccountResult in its wire shape: a plain dict, as a push builds up to 100 of them."""
    result = {"externalId": external_id, "rtp_aid": rtp_aid, "domain": domain, "status": status}
    if error is not None:
        result["error"] = error
    return result


def create_result(results: list[dict[str, Any]]) -> dict[str, Any]:
    """An AccountsCreateResult in its wire shape, counts included."""
    return bulk_reply(results, ("created", "updated", "failed"))


class AccountUpdate(RequestModel):
    custom_fields: dict[str, Any] | None = None


class UpdatedMessage(WireModel):
    message: str = "Account updated successfully"


class DeletedMessage(WireModel):
    message: str = "Account deleted successfully"


class DeletedAccountOut(WireModel):
    """An archived account in the deleted delta: what a client needs to drop its copy."""

    rtp_aid: RtpAid = Field(serialization_alias="rtp_aid")
    external_id: str | None
    domain: str
    name: str
    deleted_at: Timestamp


class MappingIn(RequestModel):
    domain: Annotated[
        str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=2048), NotBlank
    ]
    external_id: Annotated[str, Rules("isString", "isNotEmpty"), Text255, NotBlank]


class MappingsUpdate(RequestModel):
    mappings: Annotated[
        list[MappingIn],
        Rules("isArray", "arrayMinSize", n=1),
        Field(min_length=1, max_length=MAX_BATCH),
    ]


class MappingConflict(WireModel):
    domain: str
    external_id: str
    error: str


class MappingsResult(WireModel):
    matched: int
    updated: int
    not_found: list[str]
    conflicts: list[MappingConflict]


class UnmappedAccount(WireModel):
    name: str
    domain: str


class IntentSignalOut(WireModel):
    """One of the top contributing recent signals behind an account's score."""

    source: str
    type: str
    occurred_on: str
    quantity: float
    topic: str | None = Field(default=None, exclude_if=lambda v: v is None)


class AccountOut(WireModel):
    external_id: str | None
    name: str
    domain: str
    short_name: str | None
    linkedin_url: str | None
    tags: list[str]
    rtp_aid: RtpAid = Field(serialization_alias="rtp_aid")
    rtp_account_score: int = Field(serialization_alias="rtp_account_score")
    rtp_journey_stage: Annotated[str, enum(JOURNEY_STAGES)] = Field(
        serialization_alias="rtp_journey_stage"
    )
    rtp_advertising_activity_score: int = Field(
        serialization_alias="rtp_advertising_activity_score"
    )
    rtp_website_intent_score: int = Field(serialization_alias="rtp_website_intent_score")
    rtp_g2_intent_score: int = Field(serialization_alias="rtp_g2_intent_score")
    rtp_bombora_intent_score: int = Field(serialization_alias="rtp_bombora_intent_score")
    rtp_intent_signals: list[IntentSignalOut] = Field(serialization_alias="rtp_intent_signals")
    rtp_last_account_date: Timestamp = Field(serialization_alias="rtp_last_account_date")
    custom_fields: dict[str, Any]
    rtp_segments: list[SegmentRef] = Field(serialization_alias="rtp_segments")


class DomainKeyedAccountIn(RequestModel):
    """An account on the /api/v1 surface: the domain is the key, externalId a free reference."""

    domain: Annotated[
        str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=2048), NotBlank
    ]
    name: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    external_id: Annotated[str | None, Text255] = None
    short_name: Annotated[str | None, Text255] = None
    linkedin_url: Annotated[str | None, StringConstraints(max_length=1024)] = None
    tags: Annotated[list[Annotated[str, Text255]] | None, Field(max_length=100)] = None
    custom_fields: dict[str, Any] | None = None


class DomainKeyedAccountsCreate(RequestModel):
    accounts: Annotated[
        list[DomainKeyedAccountIn],
        Rules("isArray", "arrayMinSize", n=1),
        Field(min_length=1, max_length=MAX_BATCH),
    ]
    segment_id: Annotated[str | None, Text255] = None
    upsert: bool = False


class DomainKeyedAccountUpdate(RequestModel):
    """What the live service accepts on PUT /accounts/{rtp_aid}; the domain never changes."""

    custom_fields: dict[str, Any] | None = None
    name: Annotated[str | None, Text255, NotBlank, NotNull()] = None
    short_name: Annotated[str | None, Text255] = None
    linkedin_url: Annotated[str | None, StringConstraints(max_length=1024)] = None
    tags: Annotated[list[Annotated[str, Text255]] | None, Field(max_length=100)] = None


_FRAGMENT = orjson.Fragment  # stored JSON text sent on as it is, wrapped in C

# AccountOut as read on the export hot path: the SELECT list and each row's dict both come
# from this table. The key leads (callers page by it) and is not sent; the JSON columns come
# back as their stored text and go out as orjson fragments, so the dict is for orjson (every
# response uses it). rtp_segments is added from the memberships. Tests hold it to AccountOut.
ACCOUNT_ROW = RowShape(
    "account",
    [
        WireColumn(None, Account.id),
        WireColumn("externalId", Account.external_id),
        WireColumn("name", Account.name),
        WireColumn("domain", Account.domain),
        WireColumn("shortName", Account.short_name),
        WireColumn("linkedinUrl", Account.linkedin_url),
        WireColumn("tags", stored_json(Account.tags, "[]"), _FRAGMENT),
        WireColumn("rtp_aid", Account.rtp_aid),
        WireColumn("rtp_account_score", Account.account_score),
        WireColumn("rtp_journey_stage", Account.journey_stage),
        WireColumn("rtp_advertising_activity_score", Account.advertising_score),
        WireColumn("rtp_website_intent_score", Account.website_score),
        WireColumn("rtp_g2_intent_score", Account.g2_score),
        WireColumn("rtp_bombora_intent_score", Account.bombora_score),
        WireColumn("rtp_intent_signals", stored_json(Account.intent_signals, "[]"), _FRAGMENT),
        WireColumn("rtp_last_account_date", Account.changed_ms, format_ms),
        WireColumn("customFields", stored_json(Account.custom_fields, "{}"), _FRAGMENT),
    ],
)
_account_fields = ACCOUNT_ROW.to_wire


def account_wire(row: Sequence[Any], segments: list[tuple[str, str]]) -> dict[str, Any]:
    """AccountOut as plain JSON-ready data from a row of ACCOUNT_ROW.columns, without a model.

    Validating a model per row costs more than the whole page query.
    """
    wire = _account_fields(row)
    wire["rtp_segments"] = [{"segmentId": sid, "name": label} for sid, label in segments]
    return wire


# ---------------------------------------------------------------- the console's account list

# Score ranges a list can be filtered by: the overall score and each source's sub-score.
RANGE_FIELDS = ("score", "website", "g2", "bombora", "advertising")
# Orders a list can be sorted by; name sorts case-insensitively.
SORT_KEYS = (
    "name",
    "score",
    "website",
    "g2",
    "bombora",
    "advertising",
    "change_7d",
    "change_30d",
    "changed",
)
TRENDS = ("any", "rising", "falling")
PAGE_SIZES = (25, 50, 100)


@dataclass(frozen=True)
class ScoreRange:
    low: int | None = None
    high: int | None = None


@dataclass(frozen=True)
class AccountFilter:
    """What narrows the account list; every part is optional and they all must hold."""

    search: str = ""  # case-insensitive fragment of name, domain or externalId
    stage: str | None = None
    segment_id: str | None = None
    ranges: Mapping[str, ScoreRange] = field(default_factory=dict)  # keys from RANGE_FIELDS
    tag: str = ""  # case-insensitive, the whole tag
    trend: str = "any"  # any, rising (7-day change > 0) or falling (< 0)
    min_change_7d: int | None = None

    def is_empty(self) -> bool:
        return self == AccountFilter()


@dataclass(frozen=True)
class ListCursor:
    """Where a page starts: the sort value and key of the row next to it."""

    sort: str
    descending: bool
    value: Any
    account_id: int


@dataclass(frozen=True)
class ListQuery:
    filter: AccountFilter
    sort: str = "score"
    descending: bool = True
    size: int = 50
    after: ListCursor | None = None  # the page after this row
    before: ListCursor | None = None  # the page before this row


@dataclass(frozen=True)
class ListedAccount:
    id: int
    rtp_aid: str
    name: str
    domain: str
    external_id: str | None
    account_score: int
    journey_stage: str
    website_score: int
    g2_score: int
    bombora_score: int
    advertising_score: int
    score_change_7d: int
    score_change_30d: int
    changed_ms: int
    tags: list[str]


@dataclass(frozen=True)
class AccountListPage:
    rows: list[ListedAccount]
    total: int | None  # None: the page is empty past a cursor, so nothing was counted
    total_capped: bool  # more matched than were counted
    next_cursor: ListCursor | None
    previous_cursor: ListCursor | None
