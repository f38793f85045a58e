"""Importing an export: rows parsed as a stream, then ingested a bounded chunk at a time.

The caller owns one transaction per chunk, so a long file never holds the team write lock
for long and what was imported stays imported if a later chunk fails. An import started in
the console is recorded too: its progress, its outcome and its first bad lines.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from intentsync.db.models import SignalImport, SignalImportError
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import BadRequest, Conflict, NotFound
from intentsync.kit.tabular import Broken, FileTable, Table, open_table
from intentsync.signals.importers import bombora, g2, linkedin, repository
from intentsync.signals.importers.csvfile import Header, ImportSpec, RowError, RowSignals
from intentsync.signals.importers.linkedin import CompanyActivity, KnownAccounts
from intentsync.signals.service import ingest_signals
from intentsync.webhooks import service as webhooks
from intentsync.webhooks.events import IMPORT_COMPLETED, Event

MAX_CHUNK = 1000  # signals (and rows) per transaction
NUL_IN_ROW = "the row holds a NUL character, which no value may contain"

Item = RowSignals | CompanyActivity | RowError
Spec = ImportSpec[Item]

SPECS: dict[str, Callable[[Header, Sequence[str], str], Spec]] = {
    "bombora": bombora.spec,
    "g2": g2.spec,
    "linkedin": linkedin.spec,
}
SOURCES = tuple(SPECS)
SOURCE_LABELS = {"bombora": "Bombora", "g2": "G2", "linkedin": "LinkedIn"}  # vendors' spelling


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
def open_export(path: Path, *, source: str, name: str | None = None) -> Iterator[FileTable[Spec]]:
    """An export opened at its header; a file without one stops before any row is read.

    name is what messages call the file when it is not its path (an uploaded file's name).
    """
    with open_table(path, accept(source), name=name) as table:
        yield table


def read_items(table: Table[Spec], texts: MutableMapping[int, str] | None = None) -> Iterator[Item]:
    """Parsed rows in file order; a structurally broken row comes back as its error.

    With texts, each row's text as read is kept by line until the caller lets it go, so a
    bad line can be shown as it was written.
    """
    parse = table.spec.parse
    for row in table.rows(needed=table.spec.needed):
        if texts is not None:
            texts[row.line] = row.text
        if isinstance(row, Broken):
            yield RowError(row.line, row.reason)
        elif any("\x00" in cell for cell in row.cells):  # PostgreSQL text cannot hold NUL
            yield RowError(row.line, NUL_IN_ROW)
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


# --- Imports recorded for the console ---------------------------------------------------------

MAX_KEPT_ERRORS = 1000  # bad lines kept per import; the rest are only counted
MAX_LINE_CHARS = 200  # of a bad line's text
MAX_REASON_CHARS = 1000  # a reason quotes cells, which may be long
MAX_FILE_NAME = 255
# A running import writes at every chunk (seconds apart, a minute at most when it waits for
# the database). An upload silent for TAKEOVER_AFTER_MS is handed to the job queue again (its
# job's lock lets no second runner start while the first lives); one silent for STALE_AFTER_MS,
# three takeover periods, was taken over by nothing and is marked failed.
TAKEOVER_AFTER_MS = 60_000
STALE_AFTER_MS = 3 * TAKEOVER_AFTER_MS
STALE_MESSAGE = (
    "the import stopped without finishing (the server was restarted or the process ended); "
    "the rows counted here were imported, and importing the file again skips them as repeats"
)


@dataclass(frozen=True, slots=True)
class ImportRecord:
    """An import as the console shows it; a silent running import already reads as failed."""

    id: int
    source: str
    file_name: str
    file_bytes: int
    uploaded_by: str
    status: str
    message: str | None
    rows_read: int
    signals_created: int
    signals_skipped: int
    rows_failed: int
    errors_total: int
    bytes_read: int
    started_ms: int
    finished_ms: int | None
    seen_ms: int  # when this was read: a running import's duration runs up to it

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    @property
    def errors_kept(self) -> int:
        return min(self.errors_total, MAX_KEPT_ERRORS)

    @property
    def duration_ms(self) -> int:
        return max(0, (self.finished_ms or self.seen_ms) - self.started_ms)

    @property
    def percent(self) -> int:
        """Bytes read of the file, as a whole percentage; 100 once done."""
        if self.status == "done" or self.file_bytes <= 0:
            return 100 if self.status == "done" else 0
        return min(99 if self.running else 100, self.bytes_read * 100 // self.file_bytes)


class ImportTakenOver(Conflict):
    """Another runner moved the import on: this one stops and leaves it to that one."""


@dataclass(frozen=True, slots=True)
class StoredUpload:
    """A running upload's file as its job reads it from the database."""

    source: str
    file_name: str
    data: bytes


@dataclass(frozen=True, slots=True)
class BadLine:
    id: int
    line: int
    reason: str
    text: str


def _record(row: SignalImport, now: int) -> ImportRecord:
    status, message, finished = row.status, row.message, row.finished_ms
    if status == "running" and row.heartbeat_ms < now - STALE_AFTER_MS:
        status, message, finished = "failed", STALE_MESSAGE, row.heartbeat_ms
    return ImportRecord(
        id=row.id,
        source=row.source,
        file_name=row.file_name,
        file_bytes=row.file_bytes,
        uploaded_by=row.uploaded_by,
        status=status,
        message=message,
        rows_read=row.rows_read,
        signals_created=row.signals_created,
        signals_skipped=row.signals_skipped,
        rows_failed=row.rows_failed,
        errors_total=row.errors_total,
        bytes_read=row.bytes_read,
        started_ms=row.started_ms,
        finished_ms=finished,
        seen_ms=now,
    )


def _clip(text: str, limit: int) -> str:
    """Text cut to fit its column, NUL shown as U+FFFD: PostgreSQL text cannot hold NUL."""
    text = text.replace("\x00", "\ufffd")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def begin_import(
    session: Session,
    *,
    team_id: int,
    source: str,
    file_name: str,
    file_bytes: int,
    uploaded_by: str,
) -> int:
    """Record an import as running before its rows are read; its id names it from then on."""
    if source not in SPECS:
        raise BadRequest(f"no importer for '{source}'; use one of: {', '.join(SOURCES)}")
    now = now_ms()
    return repository.insert_import(
        session,
        {
            "team_id": team_id,
            "source": source,
            "file_name": _clip(file_name.strip() or "upload.csv", MAX_FILE_NAME),
            "file_bytes": file_bytes,
            "uploaded_by": uploaded_by,
            "status": "running",
            "rows_read": 0,
            "signals_created": 0,
            "signals_skipped": 0,
            "rows_failed": 0,
            "errors_total": 0,
            "bytes_read": 0,
            "started_ms": now,
            "heartbeat_ms": now,
        },
    )


def record_chunk(
    session: Session,
    *,
    team_id: int,
    import_id: int,
    result: ChunkResult,
    texts: Mapping[int, str],
    bytes_read: int,
    rows_before: int,
) -> None:
    """Count a chunk in its own transaction, keeping bad lines up to MAX_KEPT_ERRORS.

    An import that was given up (marked failed as silent) refuses, and so does one whose rows
    read are no longer rows_before (another runner counted them), so its chunk rolls back.
    """
    so_far = repository.errors_total(session, team_id=team_id, import_id=import_id)
    if so_far is None:
        raise Conflict(f"import {import_id} is no longer running")
    room = max(0, MAX_KEPT_ERRORS - so_far)
    repository.insert_errors(
        session,
        [
            {
                "team_id": team_id,
                "import_id": import_id,
                "line": error.line,
                "reason": _clip(error.reason, MAX_REASON_CHARS),
                "text": _clip(texts.get(error.line, "").rstrip("\r\n"), MAX_LINE_CHARS),
            }
            for error in result.errors[:room]
        ],
    )
    if not repository.add_progress(
        session,
        team_id=team_id,
        import_id=import_id,
        rows=result.rows,
        created=result.created,
        skipped=result.skipped,
        failed=result.failed_rows,
        errors=len(result.errors),
        bytes_read=bytes_read,
        at_ms=now_ms(),
        rows_before=rows_before,
    ):
        raise ImportTakenOver(f"import {import_id} was moved on by another runner")


def announce_import(
    session: Session,
    *,
    team_id: int,
    import_id: int | None,
    source: str,
    file_name: str,
    status: str,
    rows_read: int,
    signals_created: int,
    rows_failed: int,
) -> None:
    """import.completed with the outcome it is recorded with; a CLI import has no importId."""
    if IMPORT_COMPLETED not in webhooks.wanted_types(session, team_id=team_id):
        return
    data = {
        "importId": import_id,
        "source": source,
        "fileName": file_name,
        "status": status,
        "rowsRead": rows_read,
        "signalsCreated": signals_created,
        "rowsFailed": rows_failed,
    }
    webhooks.emit(session, team_id=team_id, events=[Event(IMPORT_COMPLETED, data)])


def _announce_recorded(session: Session, *, team_id: int, import_id: int) -> None:
    row = repository.import_by_id(session, team_id=team_id, import_id=import_id)
    if row is not None:
        announce_import(
            session,
            team_id=team_id,
            import_id=row.id,
            source=row.source,
            file_name=row.file_name,
            status=row.status,
            rows_read=row.rows_read,
            signals_created=row.signals_created,
            rows_failed=row.rows_failed,
        )


def store_upload(session: Session, *, import_id: int, data: bytes) -> None:
    """Keep an upload's bytes with its record, for whichever worker runs it."""
    repository.insert_file(session, import_id=import_id, data=data)


def stored_upload(session: Session, *, team_id: int, import_id: int) -> StoredUpload | None:
    """A running upload's file; None once the import has ended (its file goes with it)."""
    data = repository.running_file(session, team_id=team_id, import_id=import_id)
    row = repository.import_by_id(session, team_id=team_id, import_id=import_id)
    if data is None or row is None:
        return None
    return StoredUpload(source=row.source, file_name=row.file_name, data=data)


def claim_import(session: Session, *, team_id: int, import_id: int) -> int | None:
    """Mark a running import alive as its runner starts; the rows its earlier runs committed.

    None when it is not running (any more): the runner has nothing to do.
    """
    row = repository.import_by_id(session, team_id=team_id, import_id=import_id)
    if row is None or row.status != "running":
        return None
    row.heartbeat_ms = now_ms()
    session.flush()
    return row.rows_read


def imports_to_take_over(session: Session, *, limit: int) -> list[tuple[int, int]]:
    """(team_id, import_id) of uploads, of any team, whose runner has been silent too long."""
    before = now_ms() - TAKEOVER_AFTER_MS
    return repository.running_with_file_silent_since(session, before_ms=before, limit=limit)


def finish_import(session: Session, *, team_id: int, import_id: int, file_bytes: int) -> None:
    repository.delete_file(session, import_id=import_id)
    if repository.end_import(
        session,
        team_id=team_id,
        import_id=import_id,
        values={"status": "done", "bytes_read": file_bytes, "finished_ms": now_ms()},
    ):
        _announce_recorded(session, team_id=team_id, import_id=import_id)


def fail_import(session: Session, *, team_id: int, import_id: int, message: str) -> None:
    """Record why an import stopped; one that had already ended keeps its outcome."""
    now = now_ms()
    repository.delete_file(session, import_id=import_id)
    if repository.end_import(
        session,
        team_id=team_id,
        import_id=import_id,
        values={
            "status": "failed",
            "message": _clip(message, MAX_REASON_CHARS),
            "finished_ms": now,
            "heartbeat_ms": now,
        },
    ):
        _announce_recorded(session, team_id=team_id, import_id=import_id)


def has_silent_imports(session: Session, *, team_id: int) -> bool:
    """Whether a look at the team's imports should first mark some failed (a cheap read)."""
    before = now_ms() - STALE_AFTER_MS
    return repository.any_silent_since(session, team_id=team_id, before_ms=before)


def fail_silent_imports(session: Session, *, team_id: int) -> int:
    """Mark running imports that stopped writing failed, so none stays running forever."""
    before = now_ms() - STALE_AFTER_MS
    failed = repository.fail_silent_since(
        session, team_id=team_id, before_ms=before, message=STALE_MESSAGE
    )
    if failed:
        repository.delete_ended_files(session, team_id=team_id)
    return failed


def get_import(session: Session, *, team_id: int, import_id: int) -> ImportRecord:
    row = repository.import_by_id(session, team_id=team_id, import_id=import_id)
    if row is None:
        raise NotFound(f"There is no import {import_id} in this team.")
    return _record(row, now_ms())


def list_imports(
    session: Session, *, team_id: int, before_id: int | None, limit: int
) -> tuple[list[ImportRecord], int | None]:
    """A page of the team's imports, newest first, and the id to page on from (None at the end)."""
    rows = repository.imports_page(session, team_id=team_id, before_id=before_id, limit=limit)
    now = now_ms()
    records = [_record(row, now) for row in rows[:limit]]
    return records, (records[-1].id if len(rows) > limit else None)


def bad_lines(
    session: Session, *, team_id: int, import_id: int, after_id: int | None, limit: int
) -> tuple[list[BadLine], int | None]:
    """A page of an import's kept bad lines in file order, and the id to page on from."""
    rows: list[SignalImportError] = repository.errors_page(
        session, team_id=team_id, import_id=import_id, after_id=after_id, limit=limit
    )
    lines = [BadLine(r.id, r.line, r.reason, r.text) for r in rows[:limit]]
    return lines, (lines[-1].id if len(rows) > limit else None)
