"""Wire models for deals (spec E6)."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from intentsync.kit.numbers import OptSentNumber
from intentsync.kit.schemas import RequestModel, RtpAid, Timestamp, WireModel, enum
from intentsync.kit.validation import Email, Iso8601, NotBlank, Rules
from intentsync.pipelines.schemas import CATEGORIES

Text255 = StringConstraints(max_length=255)
OptText = Annotated[str | None, Text255]


class AssociatedAccountIn(RequestModel):
    external_id: OptText = None
    domain: Annotated[str | None, StringConstraints(max_length=2048)] = None
    name: OptText = None


class DealIn(RequestModel):
    external_deal_id: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    name: Annotated[str, Rules("isNotEmpty", "isString"), Text255, NotBlank]
    amount: Annotated[float | None, Field(allow_inf_nan=False)] = None
    stage_id: OptText = None
    stage_label: OptText = None
    pipeline_id: OptText = None
    pipeline_label: OptText = None
    start_date: Annotated[str | None, StringConstraints(max_length=64), Iso8601] = None
    closed_date: Annotated[str | None, StringConstraints(max_length=64), Iso8601] = None
    owner_name: OptText = None
    owner_email: Annotated[str | None, StringConstraints(max_length=320), Email] = None
    owner_id: OptText = None
    deal_currency_code: Annotated[str | None, StringConstraints(max_length=16)] = None
    associated_accounts: Annotated[list[AssociatedAccountIn] | None, Field(max_length=100)] = None


class DealsCreate(RequestModel):
    deals: Annotated[
        list[DealIn], Rules("isArray", "arrayMinSize", n=1), Field(min_length=1, max_length=100)
    ]


class DealResult(WireModel):
    """As the live service answers: upserted or failed; isNew is ours, additive."""

    external_deal_id: str
    status: Annotated[str, enum(("upserted", "failed"))] = Field(examples=["upserted"])
    is_new: bool | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="On upserted items: true when this push stored the deal for the first time",
    )
    error: str | None = Field(default=None, exclude_if=lambda v: v is None)


class DealsSummary(WireModel):
    total: int
    upserted: int
    failed: int


class DealsCreateResult(WireModel):
    results: list[DealResult]
    summary: DealsSummary


class AssociatedAccountOut(WireModel):
    external_id: str | None
    domain: str | None
    name: str | None
    rtp_aid: RtpAid | None = Field(serialization_alias="rtp_aid")


class DealOut(WireModel):
    external_deal_id: str
    name: str
    amount: OptSentNumber
    stage_id: str | None
    stage_label: str | None
    stage_category: Annotated[str, enum(CATEGORIES)]
    pipeline_id: str | None
    pipeline_label: str | None
    start_date: str | None
    closed_date: str | None
    owner_name: str | None
    owner_email: str | None
    owner_id: str | None
    deal_currency_code: str | None
    associated_accounts: list[AssociatedAccountOut]
    updated_at: Timestamp


# Request field -> column, for "replace what is sent, keep what is omitted".
DEAL_COLUMNS: dict[str, str] = {
    "name": "name",
    "amount": "amount",
    "stage_id": "stage_id",
    "stage_label": "stage_label",
    "pipeline_id": "pipeline_id",
    "pipeline_label": "pipeline_label",
    "start_date": "start_date",
    "closed_date": "closed_date",
    "owner_name": "owner_name",
    "owner_email": "owner_email",
    "owner_id": "owner_id",
    "deal_currency_code": "currency",
}


def all_values(deal: DealIn) -> dict[str, Any]:
    """Every column of a new deal; what was not sent is empty."""
    return {col: getattr(deal, field) for field, col in DEAL_COLUMNS.items()}


def sent_values(deal: DealIn) -> dict[str, Any]:
    """Only the columns the client actually sent (an explicit null clears)."""
    return {
        col: getattr(deal, field)
        for field, col in DEAL_COLUMNS.items()
        if field in deal.model_fields_set
    }


class DealDeletedMessage(WireModel):
    message: str = "Deal deleted successfully"
