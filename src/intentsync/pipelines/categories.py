"""Which pipeline stages count as won or lost: pure, from the stage label."""

import re

_WON = re.compile(r"\bwon\b", re.IGNORECASE)
_LOST = re.compile(r"\blost\b", re.IGNORECASE)


def category_for_label(label: str | None) -> str:
    """'Closed Won' -> won, 'Closed Lost' -> lost, anything else -> open."""
    text = label or ""
    if _WON.search(text):
        return "won"
    if _LOST.search(text):
        return "lost"
    return "open"
