"""The signal sources and types scoring understands: shared by ingest, importers and scoring."""

# Day arithmetic is plain time, kept in kit so features below signals can use it too.
from intentsync.kit.clock import DAY_MS as DAY_MS
from intentsync.kit.clock import day_of as day_of

SIGNAL_TYPES: dict[str, tuple[str, ...]] = {
    "website": ("demo", "pricing", "comparison", "product", "content", "ignored"),
    "g2": ("pricing", "profile", "compare", "competitor", "category"),
    "bombora": ("surge",),
    "linkedin": ("impression", "click", "engagement", "lead_form", "conversion"),
    "sales": ("outbound_email", "outbound_call", "connected_call", "inbound"),
}
# Sales signals are derived from pushed sales activities, never sent directly.
INGESTED_SOURCES = ("website", "g2", "bombora", "linkedin")


def week_start(day: int) -> int:
    """The Monday of a day's ISO week (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7


# Website roll-up rows of this type count distinct visitors (detail = visitor id), not signals.
VISITOR_TYPE = "visitor"
