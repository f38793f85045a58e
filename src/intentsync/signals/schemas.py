"""Wire models for POST /signals."""

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from intentsync.kit.schemas import RequestModel, RtpAid, WireModel, bulk_reply, enum
from intentsync.kit.validation import Iso8601, NotBlank, Rules

MAX_SIGNALS = 1000


class SignalIn(RequestModel):
    source: Annotated[str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=32)]
    domain: Annotated[
        str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=2048), NotBlank
    ]
    occurred_at: Annotated[str, Rules("isISO8601"), StringConstraints(max_length=64), Iso8601]
    type: Annotated[str, Rules("isNotEmpty", "isString"), StringConstraints(max_length=32)]
    quantity: Annotated[float | None, Field(gt=0, le=1e9, allow_inf_nan=False)] = None
    key: Annotated[str | None, StringConstraints(min_length=1, max_length=255)] = None
    attributes: dict[str, Any] | None = None


class SignalsCreate(RequestModel):
    signals: Annotated[
        list[SignalIn],
        Rules("isArray", "arrayMinSize", n=1),
        Field(min_length=1, max_length=MAX_SIGNALS),
    ]


class SignalResult(WireModel):
    index: int
    source: str
    type: str
    domain: str
    status: Annotated[str, enum(("created", "skipped", "failed"))]
    rtp_aid: RtpAid | None = Field(default=None, serialization_alias="rtp_aid")
    error: str | None = Field(default=None, exclude_if=lambda v: v is None)


class SignalsSummary(WireModel):
    total: int
    created: int
    skipped: int
    failed: int


class SignalsCreateResult(WireModel):
    results: list[SignalResult]
    summary: SignalsSummary


def signals_result(
    items: list[tuple[str, str, str, str, str | None, str | None]],
) -> dict[str, Any]:
    """A SignalsCreateResult in its wire shape from (source, type, domain, status, rtp_aid, error).

    Plain dicts: a request carries up to 1,000 signals and a model per result costs more.
    """
    results: list[dict[str, Any]] = []
    for index, (source, type_, domain, status, rtp_aid, error) in enumerate(items):
        result = {
            "index": index,
            "source": source,
            "type": type_,
            "domain": domain,
            "status": status,
            "rtp_aid": rtp_aid,
        }
        if error is not None:
            result["error"] = error
        results.append(result)
    return bulk_reply(results, ("created", "skipped", "failed"))
