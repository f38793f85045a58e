"""Base models: request bodies are strict and closed, wire names are camelCase aliases."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, GetJsonSchemaHandler
from pydantic.alias_generators import to_camel
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

T = TypeVar("T")
RTP_AID_PATTERN = "^[0-9a-f]{24}$"


def value_branch(schema: JsonSchemaValue) -> JsonSchemaValue:
    """The non-null member of an optional value's schema, where keywords about the value go."""
    members = schema.get("anyOf")
    if isinstance(members, list):
        for member in members:
            if member.get("type") != "null":
                return value_branch(member)
    return schema


@dataclass(frozen=True)
class Keywords:
    """JSON schema keywords a plain `str` cannot show (enum, pattern, format), null left as is."""

    values: tuple[tuple[str, Any], ...]

    def __init__(self, **keywords: Any) -> None:
        object.__setattr__(self, "values", tuple(keywords.items()))

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        value_branch(schema).update(dict(self.values))
        return schema


class NotNull:
    """An optional property that may be left out but not sent as null (the service refuses it)."""

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        members = [m for m in schema.pop("anyOf", [schema]) if m.get("type") != "null"]
        schema.update(members[0] if len(members) == 1 else {"anyOf": members})
        return schema


def enum(values: Sequence[str]) -> Keywords:
    return Keywords(enum=list(values))


Timestamp = Annotated[str, Keywords(format="date-time")]
RtpAid = Annotated[str, Keywords(pattern=RTP_AID_PATTERN)]


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
    """A response shape: its schema requires what is always sent and allows no stray null."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        json_schema_serialization_defaults_required=True,
    )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        target = handler.resolve_ref_schema(schema)
        properties = target.get("properties", {})
        for name, info in cls.model_fields.items():
            if info.exclude_if is None:
                continue
            # Left out when null: never required, never null on the wire.
            key = next(k for k in (info.serialization_alias, info.alias, name) if k in properties)
            prop = properties[key]
            members = [m for m in prop.pop("anyOf", [prop]) if m.get("type") != "null"]
            prop.pop("default", None)
            if len(members) == 1:
                prop.update(members[0])
            else:
                prop["anyOf"] = members
            if key in target.get("required", []):
                target["required"].remove(key)
        return schema


class Envelope(WireModel, Generic[T]):
    """The documented envelope; shown in OpenAPI for every success response."""

    status_code: int = Field(examples=[200])
    timestamp: Timestamp = Field(examples=["2026-04-30T10:00:00.000Z"])
    path: str = Field(examples=["/api/v1/crm/accounts"])
    data: T


class ValidationEntry(WireModel):
    """One class-validator error: the property, each failed rule with its text, where it is."""

    property: str = Field(examples=["domain"])
    constraints: dict[str, str] = Field(examples=[{"isNotEmpty": "domain should not be empty"}])
    path: str = Field(examples=["accounts[0].domain"])


class ErrorEnvelope(WireModel):
    status_code: int = Field(examples=[400])
    timestamp: Timestamp = Field(examples=["2026-04-30T10:00:00.000Z"])
    path: str = Field(examples=["/api/v1/crm/accounts"])
    data: list[ValidationEntry] | None = Field(
        description="The validation errors of a request of the wrong shape (400); null otherwise"
    )
    message: str = Field(description="The status's reason phrase", examples=["Bad Request"])
    custom_message: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="What went wrong, for a person",
        examples=["Invalid API key"],
    )


class Page(WireModel, Generic[T]):
    data: list[T]
    next_cursor: str | None
    has_next_page: bool
    sync_timestamp: Timestamp
