"""Wire models for sales activities (spec E8)."""

from typing import Annotated

from pydantic import Field, StringConstraints

from intentsync.kit.numbers import OptSentNumber
from intentsync.kit.schemas import RequestModel, RtpAid, Timestamp, WireModel, enum
from intentsync.kit.validation import Email, Iso8601, NotBlank, Rules, one_of

Text255 = StringConstraints(max_length=255)
OptText = Annotated[str | None, Text255]
DIRECTIONS = ("inbound", "outbound")
PROCESSED_TYPES = ("call", "email")


class ContactIn(RequestModel):
    email: Annotated[str, Rules("isEmail"), StringConstraints(max_length=320), Email]
    external_contact_id: OptText = None
    name: OptText = None
    title: OptText = None
    department: OptText = None
    seniority: OptText = None
    phone: Annotated[str | None, StringConstraints(max_length=64)] = None
    linkedin_url: Annotated[str | None, StringConstraints(max_length=1024)] = None


class SenderIn(RequestModel):
    name: OptText = None
    email: Annotated[str | None, StringConstraints(max_length=320), Email] = None


class ActivityIn(RequestModel):
    external_activity_id: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    activity_type: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    occurred_at: Annotated[str, Rules("isISO8601"), StringConstraints(max_length=64), Iso8601]
    domain: Annotated[
        str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=2048), NotBlank
    ]
    owner_email: Annotated[str, Rules("isEmail"), StringConstraints(max_length=320), Email]
    contacts: Annotated[
        list[ContactIn], Rules("isArray", "arrayMinSize", n=1), Field(min_length=1, max_length=100)
    ]
    account_name: OptText = None
    subject: Annotated[str | None, StringConstraints(max_length=1000)] = None
    owner_name: OptText = None
    owner_id: OptText = None
    sender: SenderIn | None = Field(default=None, alias="from")
    call_title: Annotated[str | None, StringConstraints(max_length=1000)] = None
    duration_minutes: Annotated[float | None, Field(ge=0, allow_inf_nan=False)] = None
    outcome: OptText = None
    direction: Annotated[
        str | None, Rules("isIn", values=", ".join(DIRECTIONS)), one_of(*DIRECTIONS)
    ] = None
    open_count: Annotated[int | None, Field(ge=0, le=2_147_483_647)] = None
    click_count: Annotated[int | None, Field(ge=0, le=2_147_483_647)] = None


class ActivitiesCreate(RequestModel):
    activities: Annotated[
        list[ActivityIn], Rules("isArray", "arrayMinSize", n=1), Field(min_length=1, max_length=50)
    ]


class ActivityResult(WireModel):
    external_activity_id: str
    status: Annotated[str, enum(("created", "failed", "skipped"))]
    error: str | None = Field(default=None, exclude_if=lambda v: v is None)


class ActivitiesSummary(WireModel):
    total: int
    created: int
    failed: int
    skipped: int


class ActivitiesCreateResult(WireModel):
    results: list[ActivityResult]
    summary: ActivitiesSummary


class ContactOut(WireModel):
    email: str
    external_contact_id: str | None
    name: str | None
    title: str | None
    department: str | None
    seniority: str | None
    phone: str | None
    linkedin_url: str | None


class SenderOut(WireModel):
    name: str | None
    email: str | None


class ActivityOut(WireModel):
    external_activity_id: str
    activity_type: str
    occurred_at: str
    domain: str
    rtp_aid: RtpAid | None = Field(serialization_alias="rtp_aid")
    account_name: str | None
    owner_email: str
    owner_name: str | None
    owner_id: str | None
    subject: str | None
    sender: SenderOut | None = Field(serialization_alias="from")
    call_title: str | None = Field(default=None, exclude_if=lambda v: v is None)
    duration_minutes: OptSentNumber = Field(default=None, exclude_if=lambda v: v is None)
    outcome: str | None = Field(default=None, exclude_if=lambda v: v is None)
    direction: str | None
    open_count: int | None = Field(default=None, exclude_if=lambda v: v is None)
    click_count: int | None = Field(default=None, exclude_if=lambda v: v is None)
    contacts: list[ContactOut]
    updated_at: Timestamp
