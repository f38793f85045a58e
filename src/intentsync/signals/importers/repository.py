"""SQL the importers need: a report's companies among a team's accounts, and import records."""

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from intentsync.db.models import Account, SignalImport, SignalImportError, SignalImportFile

# SQLite refuses expressions nested deeper than 1,000; each OR adds a level.
_PATTERNS_PER_QUERY = 200


def linkedin_urls_like(
    session: Session, *, team_id: int, fragments: Collection[str]
) -> list[tuple[str, str]]:
    """(domain, linkedin_url) of accounts whose LinkedIn URL contains one of the fragments.

    Stored URLs are kept as pushed, so this is a coarse filter the caller refines.
    """
    wanted = sorted(fragments)
    found: list[tuple[str, str]] = []
    for start in range(0, len(wanted), _PATTERNS_PER_QUERY):
        group = wanted[start : start + _PATTERNS_PER_QUERY]
        url = func.lower(Account.linkedin_url)
        rows = session.execute(
            select(Account.domain, Account.linkedin_url).where(
                Account.team_id == team_id,
                Account.linkedin_url.is_not(None),
                or_(*(url.contains(fragment, autoescape=True) for fragment in group)),
            )
        )
        found.extend((domain, linkedin_url or "") for domain, linkedin_url in rows)
    return found


def existing_domains(session: Session, *, team_id: int, domains: Collection[str]) -> set[str]:
    if not domains:
        return set()
    rows = session.execute(
        select(Account.domain).where(Account.team_id == team_id, Account.domain.in_(list(domains)))
    )
    return {row[0] for row in rows}


def accounts_named(
    session: Session, *, team_id: int, lowered_names: Collection[str]
) -> list[tuple[str, str]]:
    """(domain, name) of accounts whose trimmed, lower-cased name is one of the given."""
    if not lowered_names:
        return []
    rows = session.execute(
        select(Account.domain, Account.name).where(
            Account.team_id == team_id,
            func.lower(func.trim(Account.name)).in_(list(lowered_names)),
        )
    )
    return [(domain, name) for domain, name in rows]


def insert_import(session: Session, values: dict[str, Any]) -> int:
    record = SignalImport(**values)
    session.add(record)
    session.flush()
    return record.id


def import_by_id(session: Session, *, team_id: int, import_id: int) -> SignalImport | None:
    return session.scalars(
        select(SignalImport).where(SignalImport.team_id == team_id, SignalImport.id == import_id)
    ).one_or_none()


def errors_total(session: Session, *, team_id: int, import_id: int) -> int | None:
    """The error count of a running import; None when it is not running (any more)."""
    return session.scalar(
        select(SignalImport.errors_total).where(
            SignalImport.team_id == team_id,
            SignalImport.id == import_id,
            SignalImport.status == "running",
        )
    )


def add_progress(
    session: Session,
    *,
    team_id: int,
    import_id: int,
    rows: int,
    created: int,
    skipped: int,
    failed: int,
    errors: int,
    bytes_read: int,
    at_ms: int,
    rows_before: int,
) -> bool:
    """Add a chunk's counts to a running import still at rows_before; False otherwise.

    rows_before makes two runners of one import (which the queue's lock rules out) refuse
    each other's progress instead of counting a chunk twice.
    """
    done = session.execute(
        update(SignalImport)
        .where(
            SignalImport.team_id == team_id,
            SignalImport.id == import_id,
            SignalImport.status == "running",
            SignalImport.rows_read == rows_before,
        )
        .values(
            rows_read=SignalImport.rows_read + rows,
            signals_created=SignalImport.signals_created + created,
            signals_skipped=SignalImport.signals_skipped + skipped,
            rows_failed=SignalImport.rows_failed + failed,
            errors_total=SignalImport.errors_total + errors,
            bytes_read=bytes_read,
            heartbeat_ms=at_ms,
        )
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def insert_errors(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(SignalImportError), list(rows))


def end_import(session: Session, *, team_id: int, import_id: int, values: dict[str, Any]) -> bool:
    """Set a running import's outcome; False when it had already ended."""
    done = session.execute(
        update(SignalImport)
        .where(
            SignalImport.team_id == team_id,
            SignalImport.id == import_id,
            SignalImport.status == "running",
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def imports_page(
    session: Session, *, team_id: int, before_id: int | None, limit: int
) -> list[SignalImport]:
    """Newest first, one row past the limit so the caller knows whether older ones follow."""
    query = select(SignalImport).where(SignalImport.team_id == team_id)
    if before_id is not None:
        query = query.where(SignalImport.id < before_id)
    return list(session.scalars(query.order_by(SignalImport.id.desc()).limit(limit + 1)))


def errors_page(
    session: Session, *, team_id: int, import_id: int, after_id: int | None, limit: int
) -> list[SignalImportError]:
    """Bad lines in file order, one row past the limit."""
    query = select(SignalImportError).where(
        SignalImportError.import_id == import_id, SignalImportError.team_id == team_id
    )
    if after_id is not None:
        query = query.where(SignalImportError.id > after_id)
    return list(session.scalars(query.order_by(SignalImportError.id).limit(limit + 1)))


def any_silent_since(session: Session, *, team_id: int, before_ms: int) -> bool:
    """Whether a running import of the team has written nothing since before_ms."""
    found = session.scalar(
        select(SignalImport.id)
        .where(
            SignalImport.team_id == team_id,
            SignalImport.status == "running",
            SignalImport.heartbeat_ms < before_ms,
        )
        .limit(1)
    )
    return found is not None


def fail_silent_since(session: Session, *, team_id: int, before_ms: int, message: str) -> int:
    """Mark the team's running imports silent since before_ms failed, as of their last write."""
    done = session.execute(
        update(SignalImport)
        .where(
            SignalImport.team_id == team_id,
            SignalImport.status == "running",
            SignalImport.heartbeat_ms < before_ms,
        )
        .values(status="failed", message=message, finished_ms=SignalImport.heartbeat_ms)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(done, "rowcount", 0))


def insert_file(session: Session, *, import_id: int, data: bytes) -> None:
    session.add(SignalImportFile(import_id=import_id, data=data))
    session.flush()


def running_file(session: Session, *, team_id: int, import_id: int) -> bytes | None:
    """The stored upload of a running import; None once it has ended or has no file."""
    return session.scalar(
        select(SignalImportFile.data)
        .join(SignalImport, SignalImport.id == SignalImportFile.import_id)
        .where(
            SignalImport.team_id == team_id,
            SignalImport.id == import_id,
            SignalImport.status == "running",
        )
    )


def delete_file(session: Session, *, import_id: int) -> None:
    session.execute(delete(SignalImportFile).where(SignalImportFile.import_id == import_id))


def delete_ended_files(session: Session, *, team_id: int) -> None:
    """Drop the stored uploads of the team's imports that are no longer running."""
    ended = select(SignalImport.id).where(
        SignalImport.team_id == team_id, SignalImport.status != "running"
    )
    session.execute(
        delete(SignalImportFile)
        .where(SignalImportFile.import_id.in_(ended))
        .execution_options(synchronize_session=False)
    )


def running_with_file_silent_since(
    session: Session, *, before_ms: int, limit: int
) -> list[tuple[int, int]]:
    """(team_id, import_id) of running imports, of every team, with a file and no recent write."""
    rows = session.execute(
        select(SignalImport.team_id, SignalImport.id)
        .join(SignalImportFile, SignalImportFile.import_id == SignalImport.id)
        .where(SignalImport.status == "running", SignalImport.heartbeat_ms < before_ms)
        .order_by(SignalImport.id)
        .limit(limit)
    )
    return [(team_id, import_id) for team_id, import_id in rows]
