"""Cursors and page parameters shared by every list endpoint.

A page is either keyset (the opaque ``nextCursor`` we hand out, which also pins the sync
timestamp of the walk's first page) or offset (a plain integer, as the seed documents).
"""

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from intentsync.kit.clock import parse_iso8601, to_ms
from intentsync.kit.errors import ValidationFailed

RowT = TypeVar("RowT")
CURSOR_PREFIX = "c"
_PACK = struct.Struct(">QQ")
MAX_OFFSET = 10_000_000
MAX_OFFSET_DIGITS = 20  # leading zeros allowed, within reason
MAX_KEY = 2**63 - 1
MAX_SYNC_MS = 2**47 - 1  # the year 6429: no cursor we issue pins a later stamp


def encode_cursor(after_id: int, sync_ms: int) -> str:
    raw = _PACK.pack(after_id, sync_ms)
    return CURSOR_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[int, int] | None:
    if not token.startswith(CURSOR_PREFIX) or len(token) != 23:
        return None
    try:
        raw = base64.urlsafe_b64decode(token[1:] + "==")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _PACK.size:
        return None
    after_id, sync_ms = _PACK.unpack(raw)
    if after_id > MAX_KEY or sync_ms > MAX_SYNC_MS:
        return None  # not one of ours: keys are signed 64-bit, stamps within four digit years
    return after_id, sync_ms


@dataclass(frozen=True)
class PageRequest:
    limit: int
    after_id: int | None = None
    offset: int | None = None
    pinned_sync_ms: int | None = None
    changed_after_ms: int | None = None

    def next_cursor(self, has_next: bool, last_id: int, sync_ms: int) -> str | None:
        """Offset walks continue by offset; keyset walks carry the first page's sync stamp."""
        if not has_next:
            return None
        if self.offset is not None:
            return str(self.offset + self.limit)
        return encode_cursor(last_id, sync_ms)

    def trim(self, rows: Sequence[RowT]) -> tuple[Sequence[RowT], bool]:
        """Drop the look-ahead row; say whether more pages follow."""
        return rows[: self.limit], len(rows) > self.limit

    def sync_ms(self, watermark: int) -> int:
        return self.pinned_sync_ms if self.pinned_sync_ms is not None else watermark


def _invalid(prop: str, rule: str, text: str) -> ValidationFailed:
    return ValidationFailed.single(prop, rule, text)


def invalid_cursor() -> ValidationFailed:
    return _invalid(
        "cursor",
        "isValidCursor",
        "cursor must be the nextCursor of a previous page or a non-negative integer offset",
    )


def parse_cursor(cursor: str | None) -> dict[str, Any]:
    """The one reading of ?cursor=: ASCII digits are an offset, anything else must be ours."""
    if cursor is None or cursor == "":
        return {}
    text = cursor.strip()
    if text and text.isascii() and text.isdigit():
        # Length first: int() of thousands of digits is slow, and refused past 4,300.
        if len(text) > MAX_OFFSET_DIGITS or int(text) > MAX_OFFSET:
            raise _invalid("cursor", "max", f"cursor must not be greater than {MAX_OFFSET}")
        return {"offset": int(text)}
    decoded = decode_cursor(text)
    if decoded is None:
        raise invalid_cursor()
    return {"after_id": decoded[0], "pinned_sync_ms": decoded[1]}


def parse_last_sync(last_sync: str | None) -> int | None:
    if last_sync is None:
        return None
    parsed = parse_iso8601(last_sync)
    if parsed is None:
        raise _invalid("lastSync", "isISO8601", "lastSync must be a valid ISO 8601 date string")
    return to_ms(parsed)


def page_request(limit: int, cursor: str | None, last_sync: str | None = None) -> PageRequest:
    return PageRequest(
        limit=limit, changed_after_ms=parse_last_sync(last_sync), **parse_cursor(cursor)
    )
