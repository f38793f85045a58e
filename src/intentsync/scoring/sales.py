"""Sales activities as sales signals: pure, so the mapping is tested with exact values."""

import re
from collections import defaultdict
from collections.abc import Iterable

from intentsync.scoring.compute import LONG_CALL_TYPE, DailySignal
from intentsync.signals.types import day_of

_NOT_CONNECTED = re.compile(
    r"no[ _-]?answer|not[ _-]?connected|voice[ _-]?mail|busy|failed|missed|left[ _-]?message",
    re.IGNORECASE,
)
_CONNECTED = re.compile(r"connect|answer|complete|spoke|talked|held", re.IGNORECASE)

ActivityFacts = tuple[str, str | None, str | None, float | None, int]


def classify(
    activity_type: str, direction: str | None, outcome: str | None, minutes: float | None
) -> str:
    """inbound, connected_call, outbound_call or outbound_email."""
    if direction == "inbound":
        return "inbound"
    if activity_type == "email":
        return "outbound_email"
    if outcome and _NOT_CONNECTED.search(outcome):
        return "outbound_call"
    if (outcome and _CONNECTED.search(outcome)) or (minutes or 0) > 0:
        return "connected_call"
    return "outbound_call"


def sales_signals(
    activities: Iterable[ActivityFacts], *, long_call_minutes: float
) -> list[DailySignal]:
    """(type, direction, outcome, minutes, occurred_ms) rows rolled up per sales type and day."""
    totals: dict[tuple[str, int], float] = defaultdict(float)
    for activity_type, direction, outcome, minutes, occurred_ms in activities:
        kind = classify(activity_type, direction, outcome, minutes)
        day = day_of(occurred_ms)
        totals[(kind, day)] += 1
        if kind == "connected_call" and (minutes or 0) >= long_call_minutes:
            totals[(LONG_CALL_TYPE, day)] += 1
    return [DailySignal("sales", kind, day, quantity) for (kind, day), quantity in totals.items()]
