"""LinkedIn company engagement reports: a row's non-zero metrics become up to five signals.

A row names a company, not a domain, so it is matched to an account first: by LinkedIn page,
then by website domain, then by exact name; failing that, its website's domain is used and
ingest creates a discovered account named after the company.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import (
    DATE_FORMATS,
    MAX_QUANTITY,
    Header,
    RowError,
    RowSignals,
    cell,
    parse_date,
    parse_number,
    plain,
)
from intentsync.signals.service import NewSignal

COMPANY = ("Company Name", "Company")
PAGE = ("Company Page URL", "Company Page", "LinkedIn URL", "Company LinkedIn URL")
WEBSITE = ("Website", "Company Website", "Domain")
DATE = ("Date", "Day")
CAMPAIGN = ("Campaign", "Campaign Name")
METRICS = (
    ("impression", "Impressions"),
    ("click", "Clicks"),
    ("engagement", "Engagements"),
    ("lead_form", "Leads"),
    ("conversion", "Conversions"),
)

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


@dataclass(frozen=True, slots=True)
class Layout:
    company: int
    page: int | None
    website: int | None
    date: int
    campaign: int | None
    metrics: tuple[tuple[str, str, int], ...]  # (signal type, column label, position)


@dataclass(frozen=True, slots=True)
class CompanyActivity:
    """A row waiting to be matched to an account: who, when, and its non-zero metrics."""

    line: int
    company: str
    page: str | None  # normalised: linkedin.com/company/<slug>
    website: str  # a clean domain, or '' when the row has none
    raw_website: str
    occurred_ms: int
    campaign: str
    metrics: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class KnownAccounts:
    """Account domains the database holds for a chunk's pages, websites and names."""

    by_page: dict[str, set[str]] = field(default_factory=dict)
    domains: set[str] = field(default_factory=set)
    by_name: dict[str, set[str]] = field(default_factory=dict)


def layout(header: Header) -> Layout:
    metrics = tuple(
        (type_, label, index)
        for type_, label in METRICS
        if (index := header.find(label)) is not None
    )
    if not metrics:
        labels = ", ".join(label for _, label in METRICS)
        raise BadRequest(f"the header has none of the metric columns {labels}")
    return Layout(
        company=header.require(*COMPANY),
        page=header.find(*PAGE),
        website=header.find(*WEBSITE),
        date=header.require(*DATE),
        campaign=header.find(*CAMPAIGN),
        metrics=metrics,
    )


def row_parser(
    header: Header,
) -> Callable[[int, Sequence[str]], CompanyActivity | RowSignals | RowError]:
    return partial(parse_row, layout(header))


def linkedin_page(url: str) -> str | None:
    """'https://www.LinkedIn.com/company/Acme/about/?trk=x' -> 'linkedin.com/company/acme'."""
    text = _SCHEME.sub("", url.strip().lower())
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    host, _, path = text.partition("/")
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None  # www. and country hosts (uk.linkedin.com) name the same page
    parts = [part for part in path.split("/") if part]
    if len(parts) < 2 or parts[0] != "company":
        return None
    return f"linkedin.com/company/{parts[1]}"


def name_key(name: str) -> str:
    return name.strip().casefold()


def parse_row(
    layout: Layout, line: int, cells: Sequence[str]
) -> CompanyActivity | RowSignals | RowError:
    """The row's company and metrics; a row whose metrics are all zero yields nothing."""
    date_text = cell(cells, layout.date)
    occurred_ms = parse_date(date_text)
    if occurred_ms is None:
        return RowError(line, f"Date '{date_text}' is not a date ({DATE_FORMATS})")
    metrics: list[tuple[str, float]] = []
    for type_, label, index in layout.metrics:
        text = cell(cells, index)
        value = parse_number(text) if text else 0.0
        if value is None:
            return RowError(line, f"{label} '{text}' is not a number")
        if not 0 <= value <= MAX_QUANTITY:
            return RowError(line, f"{label} {text} must be from 0 to 1e9")
        if value:
            metrics.append((type_, value))
    company = cell(cells, layout.company)
    raw_page, raw_website = cell(cells, layout.page), cell(cells, layout.website)
    if not (company or raw_page or raw_website):
        return RowError(line, "the row has no Company Name, Company Page URL or Website")
    if not metrics:
        return RowSignals(line, ())
    return CompanyActivity(
        line=line,
        company=company,
        page=linkedin_page(raw_page) if raw_page else None,
        website=clean_domain(raw_website) if raw_website else "",
        raw_website=raw_website,
        occurred_ms=occurred_ms,
        campaign=cell(cells, layout.campaign),
        metrics=tuple(metrics),
    )


def _only(domains: set[str] | None) -> str | None:
    """A page or name shared by several accounts is ambiguous and matches none of them."""
    if domains and len(domains) == 1:
        return next(iter(domains))
    return None


def _matched(row: CompanyActivity, known: KnownAccounts) -> str | None:
    if row.page and (domain := _only(known.by_page.get(row.page))):
        return domain
    if row.website in known.domains:
        return row.website
    return _only(known.by_name.get(name_key(row.company))) if row.company else None


def _unmatched(row: CompanyActivity, known: KnownAccounts) -> RowError:
    who = f"'{row.company}'" if row.company else (row.page or "the company")
    named = known.by_name.get(name_key(row.company)) if row.company else None
    if named and len(named) > 1:
        domains = ", ".join(sorted(named))
        reason = f"{who} matches {len(named)} accounts by name ({domains})"
        return RowError(row.line, f"{reason}; add its Company Page URL or Website")
    if row.raw_website:
        return RowError(
            row.line,
            f"no account matches {who} and its website '{row.raw_website}' is not a valid domain",
        )
    return RowError(row.line, f"no account matches {who} and the row has no website")


def match(rows: Sequence[CompanyActivity], known: KnownAccounts) -> list[RowSignals | RowError]:
    """Give each row its account's domain, or its website's when no account matches.

    A row without website whose company no account is named after, but another row of the
    chunk introduced by website, goes to that domain, as it would once that account exists.
    """
    domains = [_matched(row, known) for row in rows]
    introduced: dict[str, str] = {}
    for row, domain in zip(rows, domains, strict=True):
        if domain is None and row.website and row.company:
            introduced.setdefault(name_key(row.company), row.website)
    results: list[RowSignals | RowError] = []
    for row, domain in zip(rows, domains, strict=True):
        key = name_key(row.company)
        chosen = domain or row.website or (None if key in known.by_name else introduced.get(key))
        results.append(signals_for(row, chosen) if chosen else _unmatched(row, known))
    return results


def signals_for(row: CompanyActivity, domain: str) -> RowSignals:
    """One signal per non-zero metric, quantity = the metric."""
    attributes: dict[str, Any] = {}
    if row.company:
        attributes["companyName"] = row.company
    if row.campaign:
        attributes["campaign"] = row.campaign
    signals = tuple(
        NewSignal(
            "linkedin", domain, row.occurred_ms, type_, quantity=plain(value), attributes=attributes
        )
        for type_, value in row.metrics
    )
    return RowSignals(row.line, signals)
