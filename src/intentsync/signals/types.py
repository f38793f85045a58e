"""The signal sources and types scoring understands: shared by ingest, importers and scoring."""

SIGNAL_TYPES: dict[str, tuple[str, ...]] = {
    "website": ("demo", "pricing", "comparison", "product", "content", "ignored"),
    "g2": ("pricing", "profile", "compare", "competitor", "category"),
    "bombora": ("surge",),
    "linkedin": ("impression", "click", "engagement", "lead_form", "conversion"),
    "sales": ("outbound_email", "outbound_call", "connected_call", "inbound"),
}
# Sales signals are derived from pushed sales activities, never sent directly.
INGESTED_SOURCES = ("website", "g2", "bombora", "linkedin")

DAY_MS = 86_400_000


def day_of(ms: int) -> int:
    """UTC days since 1970-01-01: the unit of windows and decay."""
    return ms // DAY_MS


def week_start(day: int) -> int:
    """The Monday of a day's ISO week (1970-01-01 was a Thursday)."""
    return day - (day + 3) % 7
