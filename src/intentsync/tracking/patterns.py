"""Page categories from URL paths: pure, so every default is unit-tested with real paths.

Patterns are regular expressions searched in the URL path, case-insensitively; the first
match wins. The defaults match whole path segments, so a blog slug such as
/blog/how-to-book-a-demo stays content instead of counting as a demo request.
"""

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

from intentsync.signals.types import SIGNAL_TYPES

CATEGORIES = SIGNAL_TYPES["website"]
# A page no pattern names (home, about, legal) still shows the company is around, at the
# lowest weight that counts: calling it product would inflate scores with every stray page.
UNMATCHED = "content"
MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 500

DEFAULT_PATTERNS: tuple[tuple[str, str], ...] = (
    ("ignored", r"(^|/)(careers?|jobs?|log-?in|sign-?in|log-?out|sign-?out|unsubscribe)(/|$)"),
    ("ignored", r"(^|/)account/settings(/|$)"),
    ("demo", r"(^|/)((request|book|get|schedule)-(a-)?)?demo(/|$)"),
    ("demo", r"(^|/)contact(-sales|-us)?(/|$)"),
    ("demo", r"(^|/)(start-(a-)?)?(free-)?trial(/|$)"),
    ("demo", r"(^|/)(get-started|book(-a-(call|meeting))?)(/|$)"),
    ("pricing", r"(^|/)(pricing|plans|((get|request)-(a-)?)?quote)(/|$)"),
    ("comparison", r"(^|/)(compare|comparison|vs|versus|alternatives?)(/|-|$)"),
    ("comparison", r"-(vs|versus|alternatives?)(-|/|$)"),
    ("product", r"(^|/)(products?|features?|integrations?|solutions?|platform)(/|$)"),
    (
        "content",
        r"(^|/)(blog|docs|resources|guides?|webinars?|case-studies|white-?papers?|ebooks?)(/|$)",
    ),
)

CompiledPatterns = tuple[tuple[str, re.Pattern[str]], ...]


class PatternError(ValueError):
    """A pattern list a team cannot use; the message says which entry and why."""


def url_path(url: str) -> str:
    """The decoded path of an absolute URL or of a bare path; '/' when it has none."""
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return "/"
    return unquote(path) or "/"


def check_patterns(raw: Any) -> tuple[tuple[str, str], ...]:
    """A JSON pattern list as [[category, regex], ...]; PatternError names the bad entry."""
    if not isinstance(raw, list):
        raise PatternError("patterns must be a JSON array of [category, regex] pairs")
    if len(raw) > MAX_PATTERNS:
        raise PatternError(f"at most {MAX_PATTERNS} patterns are allowed; got {len(raw)}")
    checked: list[tuple[str, str]] = []
    for index, entry in enumerate(raw):
        where = f"pattern {index + 1}"
        if not (
            isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)
        ):
            raise PatternError(f'{where} must be a pair of strings like ["pricing", "^/pricing"]')
        category, pattern = entry
        if category not in CATEGORIES:
            raise PatternError(
                f"{where}: category '{category}' is not one of: {', '.join(CATEGORIES)}"
            )
        if not pattern or len(pattern) > MAX_PATTERN_LENGTH:
            raise PatternError(f"{where}: the regex must have 1 to {MAX_PATTERN_LENGTH} characters")
        try:
            re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise PatternError(f"{where}: '{pattern}' is not a valid regex: {exc}") from None
        checked.append((category, pattern))
    return tuple(checked)


@lru_cache(maxsize=256)
def compile_patterns(patterns: tuple[tuple[str, str], ...]) -> CompiledPatterns:
    """Compiled once per distinct list, since every beacon of a team uses the same one."""
    return tuple((category, re.compile(pattern, re.IGNORECASE)) for category, pattern in patterns)


def categorize(url: str, patterns: Sequence[tuple[str, str]] = DEFAULT_PATTERNS) -> str:
    """The category of the first pattern found in the URL's path, else UNMATCHED."""
    path = url_path(url)
    for category, compiled in compile_patterns(tuple((c, p) for c, p in patterns)):
        if compiled.search(path):
            return category
    return UNMATCHED
