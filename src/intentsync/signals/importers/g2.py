"""G2 Buyer Intent exports: one row per company, day and activity becomes one G2 signal."""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any

from intentsync.kit.domains import clean_domain
from intentsync.signals.importers.csvfile import (
    MAX_QUANTITY,
    Conventions,
    Header,
    ImportSpec,
    RowError,
    RowSignals,
    cell,
    header_key,
    needed,
    plain,
)
from intentsync.signals.service import NewSignal
from intentsync.signals.types import day_of

DOMAIN = ("company_domain", "domain")
DAY = ("day", "date")
SIGNAL_TYPE = ("signal_type", "type")
ACTIVITY = ("total_activity", "activity")
COMPANY = ("company_name", "company")
PRODUCT = ("product_name", "product")
CATEGORY = ("category_name", "category")
COMPETITOR = ("competitor_name", "competitor")

# G2's wording of a signal type, compared without case, spaces or punctuation.
_TYPES = {
    **dict.fromkeys(("pricing", "pricingpage", "pricingpages"), "pricing"),
    **dict.fromkeys(
        ("profile", "profiles", "profilepage", "productprofile", "productprofilepage"), "profile"
    ),
    **dict.fromkeys(
        ("compare", "comparison", "comparisons", "productcomparison", "comparepage"), "compare"
    ),
    **dict.fromkeys(
        ("competitor", "competitors", "alternative", "alternatives", "competitoralternatives"),
        "competitor",
    ),
    **dict.fromkeys(("category", "categories", "categorypage"), "category"),
}
ACCEPTED_TYPES = "Pricing Page, Profile, Compare (Comparison), Competitor (Alternatives), Category"


@dataclass(frozen=True, slots=True)
class Layout:
    domain: int
    day: int
    signal_type: int
    activity: int
    company: int | None
    product: int | None
    category: int | None
    competitor: int | None
    conventions: Conventions


def layout(header: Header, conventions: Conventions = Conventions()) -> Layout:
    return Layout(
        domain=header.require(*DOMAIN),
        day=header.require(*DAY),
        signal_type=header.require(*SIGNAL_TYPE),
        activity=header.require(*ACTIVITY),
        company=header.find(*COMPANY),
        product=header.find(*PRODUCT),
        category=header.find(*CATEGORY),
        competitor=header.find(*COMPETITOR),
        conventions=conventions,
    )


def spec(
    header: Header, _report: Sequence[str], delimiter: str
) -> ImportSpec[RowSignals | RowError]:
    found = layout(header, Conventions.of_delimiter(delimiter))
    required = needed(found.domain, found.day, found.signal_type, found.activity)
    return ImportSpec(partial(parse_row, found), required)


@lru_cache(maxsize=256)
def signal_type(text: str) -> str | None:
    """Our type for G2's wording ('Pricing Page' -> pricing), or None when unknown."""
    return _TYPES.get(header_key(text))


def parse_row(layout: Layout, line: int, cells: Sequence[str]) -> RowSignals | RowError:
    """One signal: quantity = total_activity; product, category and competitor as attributes."""
    raw_domain = cell(cells, layout.domain)
    domain = clean_domain(raw_domain)
    if not domain:
        return RowError(line, f"company_domain '{raw_domain}' is not a valid domain")
    day_text = cell(cells, layout.day)
    occurred_ms = layout.conventions.date(day_text)
    if occurred_ms is None:
        formats = layout.conventions.date_formats
        return RowError(line, f"day '{day_text}' is not a date ({formats})")
    type_text = cell(cells, layout.signal_type)
    type_ = signal_type(type_text)
    if type_ is None:
        return RowError(
            line, f"signal_type '{type_text}' is not a G2 signal type; use one of: {ACCEPTED_TYPES}"
        )
    activity_text = cell(cells, layout.activity)
    quantity = layout.conventions.number(activity_text)
    if quantity is None:
        return RowError(line, f"total_activity '{activity_text}' is not a number")
    if not 0 < quantity <= MAX_QUANTITY:
        return RowError(line, f"total_activity {activity_text} must be above 0 and at most 1e9")
    attributes: dict[str, Any] = {}
    for name, index in (
        ("companyName", layout.company),
        ("product", layout.product),
        ("category", layout.category),
        ("competitor", layout.competitor),
    ):
        if value := cell(cells, index):
            attributes[name] = value
    signal = NewSignal(
        "g2",
        domain,
        occurred_ms,
        type_,
        quantity=plain(quantity),
        key=_key(domain, day_of(occurred_ms), type_, attributes),
        attributes=attributes,
    )
    return RowSignals(line, (signal,))


def _key(domain: str, day: int, type_: str, attributes: dict[str, Any]) -> str | None:
    """Rows that differ only by category or competitor are separate activity, not repeats.

    Without either, the ingest's natural key (domain, day, type, product) applies, so a row
    also sent through the API is still stored once.
    """
    category, competitor = attributes.get("category"), attributes.get("competitor")
    if category is None and competitor is None:
        return None
    product = attributes.get("product", "")
    return f"g2|{domain}|{day}|{type_}|{product}|{category or ''}|{competitor or ''}"
