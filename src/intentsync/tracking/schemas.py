"""Wire models for POST /track."""

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from intentsync.ip_ranges.parsing import address_key
from intentsync.kit.schemas import Keywords, RequestModel, WireModel, enum
from intentsync.kit.validation import Iso8601, NotBlank, Rules
from intentsync.signals.types import SIGNAL_TYPES


def _absolute_url(value: str) -> str:
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError("isUrl", "must be an absolute http(s) URL")
    return value


def _ip(value: str | None) -> str | None:
    if value is not None and address_key(value) is None:
        raise PydanticCustomError("isIp", "must be an IPv4 or IPv6 address")
    return value


Text255 = Annotated[str, StringConstraints(min_length=1, max_length=255), NotBlank]


class Beacon(RequestModel):
    """One page view, as the snippet or a server-side sender reports it."""

    write_key: Annotated[str | None, StringConstraints(max_length=64)] = None
    url: Annotated[
        str,
        Rules("isNotEmpty", "isString"),
        StringConstraints(max_length=2048),
        AfterValidator(_absolute_url),
        Keywords(
            format="uri", pattern=r"^[hH][tT][tT][pP][sS]?://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/\S*)?$"
        ),
    ]
    visitor_id: Annotated[Text255, Rules("isNotEmpty", "isString")]
    page_view_id: Text255 | None = None
    occurred_at: Annotated[str | None, StringConstraints(max_length=64), Iso8601] = None
    ip: Annotated[
        str | None,
        StringConstraints(max_length=64),
        AfterValidator(_ip),
        Keywords(anyOf=[{"format": "ipv4"}, {"format": "ipv6"}]),
    ] = None
    domain: Annotated[str | None, StringConstraints(min_length=1, max_length=2048)] = None


class TrackResult(WireModel):
    accepted: bool
    category: Annotated[str, enum(SIGNAL_TYPES["website"])]
    domain: str | None
    reason: str | None = Field(default=None, exclude_if=lambda v: v is None)
