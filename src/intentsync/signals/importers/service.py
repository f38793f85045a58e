"""Importing an export: rows parsed as a stream, then ingested a bounded chunk at a time.

The caller owns one transaction per chunk, so a long file never holds the team write lock
for long and what was imported stays imported if a later chunk fails.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from intentsync.kit.tabular import Broken, FileTable, Table, open_table
from intentsync.signals.importers import bombora, g2, linkedin, repository
from intentsync.signals.importers.csvfile import Header, ImportSpec, RowError, RowSignals
from intentsync.signals.importers.linkedin import CompanyActivity, KnownAccounts
from intentsync.signals.service import ingest_signals

MAX_CHUNK = 1000  # signals (and rows) per transaction

Item = RowSignals | CompanyActivity | RowError
Spec = ImportSpec[Item]

SPECS: dict[str, Callable[[Header, Sequence[str], str], Spec]] = {
    "bombora": bombora.spec,
    "g2": g2.spec,
    "linkedin": linkedin.spec,
}
SOURCES = tuple(SPECS)


@dataclass(frozen=True, slots=True)
class ChunkResult:
    rows: int
    created: int
    skipped: int
    errors: list[RowError]  # by line; a row can report more than one reason

    @property
    def failed_rows(self) -> int:
        return len({e.line for e in self.errors})


def accept(source: str) -> Callable[[list[str], list[str], str], Spec]:
    """The vendor's reading of a header line; it raises when the line is not its header."""
    spec = SPECS[source]
    return lambda names, report, delimiter: spec(Header(names), report, delimiter)


@contextmanager
def open_export(path: Path, *, source: str) -> Iterator[FileTable[Spec]]:
    """An export opened at its header; a file without one stops before any row is read."""
    with open_table(path, accept(source)) as table:
        yield table


def read_items(table: Table[Spec]) -> Iterator[Item]:
    """Parsed rows in file order; a structurally broken row comes back as its error."""
    parse = table.spec.parse
    for row in table.rows(needed=table.spec.needed):
        if isinstance(row, Broken):
            yield RowError(row.line, row.reason)
        else:
            yield parse(row.line, row.cells)


def _size(item: Item) -> int:
    if isinstance(item, RowSignals):
        return len(item.signals)
    if isinstance(item, CompanyActivity):
        return len(item.metrics)
    return 0


def chunks(items: Iterable[Item], *, limit: int = MAX_CHUNK) -> Iterator[list[Item]]:
    """Consecutive rows holding at most `limit` signals and at most `limit` rows."""
    chunk: list[Item] = []
    weight = 0
    for item in items:
        size = max(1, _size(item))
        if chunk and weight + size > limit:
            yield chunk
            chunk, weight = [], 0
        chunk.append(item)
        weight += size
    if chunk:
        yield chunk


def _known_accounts(
    session: Session, *, team_id: int, rows: Sequence[CompanyActivity]
) -> KnownAccounts:
    """What the team's accounts say about a chunk's companies, in three bulk lookups."""
    pages = {row.page for row in rows if row.page}
    by_page: dict[str, set[str]] = defaultdict(set)
    fragments = {page.removeprefix("linkedin.com") for page in pages}
    for domain, url in repository.linkedin_urls_like(session, team_id=team_id, fragments=fragments):
        page = linkedin.linkedin_page(url)
        if page in pages:
            by_page[page].add(domain)
    names = {linkedin.name_key(row.company) for row in rows if row.company}
    by_name: dict[str, set[str]] = defaultdict(set)
    for domain, name in repository.accounts_named(session, team_id=team_id, lowered_names=names):
        by_name[linkedin.name_key(name)].add(domain)
    websites = {row.website for row in rows if row.website}
    return KnownAccounts(
        by_page=dict(by_page),
        domains=repository.existing_domains(session, team_id=team_id, domains=websites),
        by_name=dict(by_name),
    )


def import_chunk(session: Session, *, team_id: int, items: Sequence[Item]) -> ChunkResult:
    """Match, then ingest one chunk; bad rows and rejected signals come back with their line."""
    errors = [item for item in items if isinstance(item, RowError)]
    rows = [item for item in items if isinstance(item, RowSignals)]
    companies = [item for item in items if isinstance(item, CompanyActivity)]
    if companies:
        known = _known_accounts(session, team_id=team_id, rows=companies)
        for result in linkedin.match(companies, known):
            if isinstance(result, RowError):
                errors.append(result)
            else:
                rows.append(result)
    lines = [row.line for row in rows for _ in row.signals]
    signals = [signal for row in rows for signal in row.signals]
    created = skipped = 0
    if signals:
        outcomes = ingest_signals(session, team_id=team_id, signals=signals)
        for line, outcome in zip(lines, outcomes, strict=True):
            if outcome.status == "created":
                created += 1
            elif outcome.status == "skipped":
                skipped += 1
            else:
                errors.append(RowError(line, outcome.error or "rejected by ingest"))
    unique = sorted(dict.fromkeys(errors), key=lambda e: e.line)
    return ChunkResult(rows=len(items), created=created, skipped=skipped, errors=unique)
