"""IP-range rules: imports upsert on the block, lookups pick the narrowest block."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from intentsync.ip_ranges import repository
from intentsync.ip_ranges.parsing import (
    Columns,
    ParsedRange,
    address_key,
    columns,
    covering_starts,
    read_ranges,
    to_hex,
)
from intentsync.kit.tabular import FileTable, open_table

UPLOAD_BATCH = 500  # ranges per upsert, so a large upload never builds one huge statement


@dataclass(frozen=True, slots=True)
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __add__(self, other: "ImportCounts") -> "ImportCounts":
        return ImportCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
        )


@contextmanager
def open_import(path: Path) -> Iterator[FileTable[Columns]]:
    """A ranges file opened at its header, read like every other import."""
    with open_table(path, columns) as table:
        yield table


def read_upload(raw: BinaryIO, name: str) -> FileTable[Columns]:
    """An uploaded ranges file read exactly like `open_import` reads one from disk."""
    return FileTable(raw, Path(name), columns)


def import_ranges(session: Session, *, team_id: int, ranges: Sequence[ParsedRange]) -> ImportCounts:
    """Store new blocks, update the domain or kind of known ones; the last row for a block wins."""
    latest = {(r.version, r.start_int, r.end_int): r for r in ranges}
    counts = ImportCounts()
    for version in (4, 6):
        batch = [r for (v, _, _), r in latest.items() if v == version]
        if not batch:
            continue
        stored = {
            (start, end): (domain, kind)
            for start, end, domain, kind in repository.starting_at(
                session, team_id=team_id, version=version, starts={r.start_int for r in batch}
            )
        }
        changed = [r for r in batch if stored.get((r.start_int, r.end_int)) != (r.domain, r.kind)]
        added = sum(1 for r in changed if (r.start_int, r.end_int) not in stored)
        counts += ImportCounts(added, len(changed) - added, len(batch) - len(changed))
        repository.upsert(
            session,
            [
                {
                    "team_id": team_id,
                    "version": r.version,
                    "start_int": r.start_int,
                    "end_int": r.end_int,
                    "cidr": r.cidr,
                    "domain": r.domain,
                    "kind": r.kind,
                }
                for r in changed
            ],
        )
    return counts


@dataclass(frozen=True, slots=True)
class UploadResult:
    counts: ImportCounts
    bad_lines: list[str]  # the first ones, as 'line N: why'
    bad_total: int


def import_upload(
    session: Session,
    *,
    team_id: int,
    raw: BinaryIO,
    name: str,
    batch: int = UPLOAD_BATCH,
    keep_bad: int = 50,
) -> UploadResult:
    """Every range of an uploaded file, upserted a batch at a time in the caller's transaction."""
    counts = ImportCounts()
    bad: list[str] = []
    bad_total = 0
    pending: list[ParsedRange] = []
    for line, item in read_ranges(read_upload(raw, name)):
        if isinstance(item, str):
            bad_total += 1
            if len(bad) < keep_bad:
                bad.append(f"line {line}: {item}")
            continue
        pending.append(item)
        if len(pending) >= batch:  # bounded memory for a large file
            counts += import_ranges(session, team_id=team_id, ranges=pending)
            pending.clear()
    if pending:
        counts += import_ranges(session, team_id=team_id, ranges=pending)
    return UploadResult(counts, bad, bad_total)


def resolve_ip(session: Session, *, team_id: int, ip: str) -> tuple[str, str] | None:
    """(domain, kind) of the narrowest imported block holding this address, if any."""
    key = address_key(ip)
    if key is None:
        return None
    version, value = key
    target = to_hex(value)
    starts = {to_hex(start) for start in covering_starts(version, value)}
    candidates = [
        (int(end, 16) - int(start, 16), domain, kind)
        for start, end, domain, kind in repository.starting_at(
            session, team_id=team_id, version=version, starts=starts
        )
        if end >= target
    ]
    if not candidates:
        return None
    _, domain, kind = min(candidates)
    return domain, kind


def count_ranges(session: Session, *, team_id: int) -> int:
    return repository.count(session, team_id=team_id)
