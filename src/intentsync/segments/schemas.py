"""Wire models for segments."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from intentsync.kit.schemas import (
    NotNull,
    RequestModel,
    RtpAid,
    Timestamp,
    WireModel,
    enum,
)
from intentsync.kit.validation import NoNull, NotBlank, Rules, one_of

SEGMENT_TYPES = ("static", "dynamic")
SEGMENT_STATUSES = ("active", "draft", "archived")
MAX_MEMBER_CHANGES = 100  # accounts one POST or DELETE /segments/{id}/members may name

Name = Annotated[str, StringConstraints(max_length=255), NotBlank]


class SegmentOut(WireModel):
    segment_id: RtpAid
    name: str
    status: Annotated[str, enum(("active", "draft"))]


class SegmentRef(WireModel):
    segment_id: RtpAid
    name: str


class SegmentDetail(WireModel):
    """One segment of any type or status, as the segments extension shows it."""

    segment_id: RtpAid
    name: str
    type: Annotated[str, enum(SEGMENT_TYPES)]
    status: Annotated[str, enum(SEGMENT_STATUSES)]
    rules: dict[str, Any] | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="The rule document; left out for static segments and unruled dynamic ones",
    )
    member_count: int
    created_at: Timestamp
    updated_at: Timestamp = Field(description="The last change of name, status or rules")


class SegmentCreate(RequestModel):
    name: Annotated[Name, Rules("isString", "isNotEmpty")]
    type: Annotated[
        str, Rules("isString", "isIn", values=", ".join(SEGMENT_TYPES)), one_of(*SEGMENT_TYPES)
    ]
    status: Annotated[str, NoNull, NotNull(), one_of(*SEGMENT_STATUSES)] = "active"
    rules: Annotated[dict[str, Any] | None, NoNull, NotNull()] = None


class SegmentUpdate(RequestModel):
    name: Annotated[Name | None, NoNull, NotNull()] = None
    status: Annotated[str | None, NoNull, NotNull(), one_of(*SEGMENT_STATUSES)] = None
    rules: Annotated[dict[str, Any] | None, NoNull, NotNull()] = None


class RulesPreview(RequestModel):
    rules: Annotated[dict[str, Any], Rules("isObject")]


AccountKey = Annotated[
    str, Rules("isString", "isNotEmpty"), StringConstraints(max_length=2048), NotBlank
]


class MembersChange(RequestModel):
    accounts: Annotated[
        list[AccountKey],
        Rules("isArray", "arrayMinSize", n=1),
        Field(
            min_length=1,
            max_length=MAX_MEMBER_CHANGES,
            description="externalIds or domains; an externalId is matched first",
        ),
    ]


ADD_STATUSES = ("added", "already_member", "not_found")
REMOVE_STATUSES = ("removed", "not_member", "not_found")


class MemberAdded(WireModel):
    account: str = Field(description="The externalId or domain as sent")
    rtp_aid: RtpAid | None = Field(serialization_alias="rtp_aid")
    status: Annotated[str, enum(ADD_STATUSES)]
    message: str


class MembersAddSummary(WireModel):
    total: int
    added: int
    already_member: int
    not_found: int


class MembersAddResult(WireModel):
    results: list[MemberAdded]
    summary: MembersAddSummary


class MemberRemoved(WireModel):
    account: str = Field(description="The externalId or domain as sent")
    rtp_aid: RtpAid | None = Field(serialization_alias="rtp_aid")
    status: Annotated[str, enum(REMOVE_STATUSES)]
    message: str


class MembersRemoveSummary(WireModel):
    total: int
    removed: int
    not_member: int
    not_found: int


class MembersRemoveResult(WireModel):
    results: list[MemberRemoved]
    summary: MembersRemoveSummary
