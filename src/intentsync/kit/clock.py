"""Wall-clock helpers; the API speaks epoch milliseconds inside and ISO 8601 'Z' outside."""

import time
from datetime import UTC, datetime, timedelta
from functools import lru_cache

DAY_MS = 86_400_000
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # day 0 of day_of()
_ONE_MS = timedelta(milliseconds=1)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def day_of(ms: int) -> int:
    """UTC days since 1970-01-01: the unit of windows and decay."""
    return ms // DAY_MS


@lru_cache(maxsize=8192)
def _second(epoch_seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_seconds))


def format_ms(ms: int) -> str:
    """ISO 8601 UTC with milliseconds and Z, as every envelope timestamp is."""
    return f"{_second(ms // 1000)}.{ms % 1000:03d}Z"


def parse_iso8601(value: str) -> datetime | None:
    """Accept ISO 8601 dates and date-times; a value without offset is taken as UTC."""
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def to_ms(dt: datetime) -> int:
    """Floor to whole milliseconds without float rounding: timedelta division is integral."""
    return (dt - EPOCH) // _ONE_MS
