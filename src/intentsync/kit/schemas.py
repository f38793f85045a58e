"""Base models: request bodies are strict and closed, wire names are camelCase aliases."""

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")


class HasStatus(Protocol):
    status: str


def count_statuses(results: Sequence[HasStatus], statuses: Sequence[str]) -> dict[str, int]:
    """Per-item outcomes of a bulk request, for its summary."""
    return {status: sum(1 for r in results if r.status == status) for status in statuses}


def bulk_reply(results: list[dict[str, Any]], statuses: Sequence[str]) -> dict[str, Any]:
    """A bulk reply built as wire dicts: the per-item results and their summary counts."""
    counts = dict.fromkeys(statuses, 0)
    for result in results:
        counts[result["status"]] += 1
    return {"results": results, "summary": {"total": len(results), **counts}}


class RequestModel(BaseModel):
    """No coercion and no unknown properties, as the documented whitelist validation."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_alias=True,
        validate_by_name=False,
        str_max_length=100_000,
    )


class WireModel(BaseModel):
    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class Envelope(WireModel, Generic[T]):
    """The documented envelope; shown in OpenAPI for every success response."""

    status_code: int = Field(examples=[200])
    timestamp: str = Field(examples=["2026-04-30T10:00:00.000Z"])
    path: str = Field(examples=["/api/v1/crm/accounts"])
    data: T


class ErrorEnvelope(WireModel):
    status_code: int
    timestamp: str
    path: str
    data: list[dict[str, object]] | None = None
    message: str = Field(examples=["Bad Request"])
    custom_message: str | None = Field(default=None, examples=["Invalid API key"])


class Page(WireModel, Generic[T]):
    data: list[T]
    next_cursor: str | None
    has_next_page: bool
    sync_timestamp: str
