"""LinkedIn company engagement reports: a row's non-zero metrics become up to five signals.

A row names a company, not a domain, so it is matched to an account first: by LinkedIn page,
then by website domain, then by exact name; failing that, its website's domain is used and
ingest creates a discovered account named after the company.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from intentsync.kit.domains import clean_domain
from intentsync.kit.errors import BadRequest
from intentsync.signals.importers.csvfile import (
    MAX_QUANTITY,
    Conventions,
    Header,
    ImportSpec,
    RowError,
    RowSignals,
    cell,
    header_key,
    missing_column,
    needed,
    plain,
)
from intentsync.signals.service import NewSignal

LANGUAGES = ("en", "pt", "es", "fr", "de")
DAY_FIRST = {"en": False, "pt": True, "es": True, "fr": True, "de": True}

# Column names by language, as Campaign Manager and hand-made reports write them.
Spellings = dict[str, tuple[str, ...]]
COMPANY: Spellings = {
    "en": ("Company Name", "Company"),
    "pt": ("Nome da empresa", "Empresa"),
    "es": ("Nombre de la empresa", "Empresa"),
    "fr": ("Nom de l'entreprise", "Entreprise", "Société"),
    "de": ("Unternehmensname", "Unternehmen", "Firmenname", "Firma"),
}
PAGE: Spellings = {
    "en": ("Company Page URL", "Company Page", "LinkedIn URL", "Company LinkedIn URL"),
    "pt": ("URL da página da empresa", "Página da empresa"),
    "es": ("URL de la página de empresa", "Página de empresa"),
    "fr": ("URL de la page entreprise", "Page entreprise"),
    "de": ("URL der Unternehmensseite", "Unternehmensseite"),
}
WEBSITE: Spellings = {
    "en": ("Website", "Company Website", "Domain"),
    "pt": ("Site", "Site da empresa"),
    "es": ("Sitio web", "Sitio web de la empresa"),
    "fr": ("Site web", "Site web de l'entreprise"),
    "de": ("Webseite", "Unternehmenswebsite"),
}
DATE: Spellings = {
    "en": ("Date", "Day", "Start Date (in UTC)", "Start Date"),
    "pt": ("Data de início (em UTC)", "Data", "Data de início"),
    "es": ("Fecha de inicio (en UTC)", "Fecha", "Fecha de inicio"),
    "fr": ("Date de début (en UTC)", "Date", "Date de début"),
    "de": ("Startdatum (in UTC)", "Datum", "Startdatum"),
}
CAMPAIGN: Spellings = {
    "en": ("Campaign Name", "Campaign"),
    "pt": ("Nome da campanha", "Campanha"),
    "es": ("Nombre de la campaña", "Campaña"),
    "fr": ("Nom de la campagne", "Campagne"),
    "de": ("Kampagnenname", "Kampagne"),
}
CREATIVE: Spellings = {
    "en": ("Creative Name", "Ad Name", "Creative"),
    "pt": ("Nome do criativo", "Nome do anúncio"),
    "es": ("Nombre del contenido", "Nombre del anuncio"),
    "fr": ("Nom de la publicité", "Nom du contenu"),
    "de": ("Anzeigenname", "Name der Anzeige"),
}
METRICS: tuple[tuple[str, Spellings], ...] = (
    (
        "impression",
        {
            "en": ("Impressions",),
            "pt": ("Impressões",),
            "es": ("Impresiones",),
            "fr": ("Impressions",),
            "de": ("Impressionen",),
        },
    ),
    (
        "click",
        {
            "en": ("Clicks",),
            "pt": ("Cliques",),
            "es": ("Clics",),
            "fr": ("Clics",),
            "de": ("Klicks",),
        },
    ),
    (
        "engagement",
        {
            "en": ("Total Engagements", "Engagements"),
            "pt": ("Total de engajamentos", "Engajamentos"),
            "es": ("Interacciones totales", "Interacciones"),
            "fr": ("Total des interactions", "Interactions"),
            "de": ("Interaktionen gesamt", "Interaktionen"),
        },
    ),
    (
        "lead_form",
        {
            "en": ("Leads",),
            "pt": ("Leads",),
            "es": ("Clientes potenciales", "Leads"),
            "fr": ("Prospects", "Leads"),
            "de": ("Leads",),
        },
    ),
    (
        "conversion",
        {
            "en": ("Conversions",),
            "pt": ("Conversões",),
            "es": ("Conversiones",),
            "fr": ("Conversions",),
            "de": ("Konversionen", "Conversions"),
        },
    ),
)
# A report line 'Report Start: 9/1/2023, 12:00 AM' dates a report without a date column.
REPORT_START: Spellings = {
    "en": ("Report Start", "Report Start Date", "Start Date"),
    "pt": ("Início do relatório", "Data de início"),
    "es": ("Inicio del informe", "Fecha de inicio"),
    "fr": ("Début du rapport", "Date de début"),
    "de": ("Berichtsbeginn", "Berichtsstart", "Startdatum"),
}
_DATE_IN_TEXT = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,4}[/.]\d{1,2}[/.]\d{2,4}")

_SCHEME = re.compile(r"^[a-z][a-z0-9+.\-]*://")


@dataclass(frozen=True, slots=True)
class Layout:
    company: int | None
    page: int | None
    website: int | None
    date: int | None
    date_label: str
    report_start_ms: int | None  # the report's start day when rows carry no date
    campaign: int | None
    metrics: tuple[tuple[str, str, int], ...]  # (signal type, column label, position)
    conventions: Conventions


@dataclass(frozen=True, slots=True)
class CompanyActivity:
    """A row waiting to be matched to an account: who, when, and its non-zero metrics."""

    line: int
    company: str
    page: str | None  # normalised: linkedin.com/company/<slug or numeric id>
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


def every(spellings: Spellings) -> tuple[str, ...]:
    """All languages' names for a column, English first, each once."""
    return tuple(dict.fromkeys(name for language in LANGUAGES for name in spellings[language]))


class _Columns:
    """Finds columns in any language and counts which languages the found names are in."""

    def __init__(self, header: Header) -> None:
        self.header = header
        self.votes: Counter[str] = Counter()

    def find(self, spellings: Spellings) -> int | None:
        index = self.header.find(*every(spellings))
        if index is not None:
            found = header_key(self.header.names[index])
            for language in LANGUAGES:
                if any(header_key(name) == found for name in spellings[language]):
                    self.votes[language] += 1
        return index

    def conventions(self, delimiter: str) -> Conventions:
        """The header's language sets the day order and the decimal mark; a tie never guesses."""
        if not self.votes:
            return Conventions.of_delimiter(delimiter)
        top = max(self.votes.values())
        leaders = {language for language, votes in self.votes.items() if votes == top}
        orders = {DAY_FIRST[language] for language in leaders}
        if len(orders) > 1:
            return Conventions(decimal_comma=delimiter == ";", day_first=None)
        day_first = orders.pop()
        return Conventions(decimal_comma=day_first, day_first=day_first)


def report_start(report: Sequence[str], conventions: Conventions) -> int | None:
    """The start day a report line states, read in the header's day order."""
    labels = {header_key(name) for name in every(REPORT_START)}
    for text in report:
        label, _, value = text.strip(' \t,;"').partition(":")
        if header_key(label) in labels and (found := _DATE_IN_TEXT.search(value)):
            return conventions.date(found.group())
    return None


def spec(
    header: Header, report: Sequence[str], delimiter: str
) -> ImportSpec[CompanyActivity | RowSignals | RowError]:
    """Rows need cells up to their date and first metric; company columns may be left empty."""
    found = layout(header, report, delimiter)
    required = [i for i in (found.date,) if i is not None] + [found.metrics[0][2]]
    return ImportSpec(partial(parse_row, found), needed(*required))


def layout(header: Header, report: Sequence[str] = (), delimiter: str = ",") -> Layout:
    """Where each column is, and the conventions of the header's language."""
    columns = _Columns(header)
    metrics = tuple(
        (type_, header.names[index], index)
        for type_, spellings in METRICS
        if (index := columns.find(spellings)) is not None
    )
    if not metrics:
        labels = ", ".join(spellings["en"][-1] for _, spellings in METRICS)
        raise BadRequest(
            f"the header has none of the metric columns {labels} (or their names in "
            "Portuguese, Spanish, French or German)"
        )
    company, page, website = (columns.find(s) for s in (COMPANY, PAGE, WEBSITE))
    campaign = columns.find(CAMPAIGN)
    creative = columns.find(CREATIVE)
    date = columns.find(DATE)
    if company is None and page is None and website is None:
        if campaign is not None or creative is not None:
            raise BadRequest(
                "this is a LinkedIn campaign or ad performance report: its rows name no company, "
                "so they cannot be matched to accounts; export the company report instead "
                "(Campaign Manager, Demographics, Company)"
            )
        note = " (a company page URL or website column would do as well)"
        raise BadRequest(missing_column(every(COMPANY), note=note))
    conventions = columns.conventions(delimiter)
    start_ms = None
    if date is None:
        start_ms = report_start(report, conventions)
        if start_ms is None:
            raise BadRequest(
                missing_column(every(DATE), note=" and no report line states 'Report Start'")
            )
    return Layout(
        company=company,
        page=page,
        website=website,
        date=date,
        date_label="Date" if date is None else header.names[date],
        report_start_ms=start_ms,
        campaign=campaign,
        metrics=metrics,
        conventions=conventions,
    )


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
    conventions = layout.conventions
    if layout.date is None:
        occurred_ms = layout.report_start_ms or 0
    else:
        date_text = cell(cells, layout.date)
        parsed = conventions.date(date_text)
        if parsed is None:
            return RowError(
                line,
                f"{layout.date_label} '{date_text}' is not a date ({conventions.date_formats})",
            )
        occurred_ms = parsed
    metrics: list[tuple[str, float]] = []
    for type_, label, index in layout.metrics:
        text = cell(cells, index)
        value = conventions.number(text) if text else 0.0
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
