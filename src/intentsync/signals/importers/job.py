"""Running an import: one transaction per chunk, for the CLI and for the console's uploads.

Both read the file with the same importer and ingest the same chunks, so a file yields the
same signals and the same bad-line reasons whichever way it came in.
"""

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from intentsync.db.engine import Database
from intentsync.kit.errors import AppError
from intentsync.kit.tabular import FileTable
from intentsync.signals.importers import service
from intentsync.signals.importers.service import ChunkResult, Item, Spec

log = logging.getLogger("intentsync.imports")

OnChunk = Callable[[Session, list[Item], ChunkResult], None]
UNEXPECTED = (
    "the import stopped on an unexpected error, which the server log describes; "
    "the rows counted here were imported, and importing the file again skips them as repeats"
)


def import_rows(
    db: Database,
    *,
    team_id: int,
    table: FileTable[Spec],
    texts: dict[int, str] | None = None,
    on_chunk: OnChunk | None = None,
) -> Iterator[ChunkResult]:
    """Ingest the table a chunk per transaction; on_chunk runs inside each one, before commit."""
    for chunk in service.chunks(service.read_items(table, texts)):
        with db.transaction() as session:
            result = service.import_chunk(session, team_id=team_id, items=chunk)
            if on_chunk is not None:
                on_chunk(session, chunk, result)
        if texts is not None:
            for item in chunk:
                texts.pop(item.line, None)
        yield result


def run_import(
    db: Database, *, team_id: int, import_id: int, source: str, path: Path, name: str
) -> None:
    """Import a stored upload, recording progress as it goes; the file is removed afterwards."""
    try:
        with service.open_export(path, source=source, name=name) as table:
            texts: dict[int, str] = {}

            def record(session: Session, _chunk: list[Item], result: ChunkResult) -> None:
                service.record_chunk(
                    session,
                    team_id=team_id,
                    import_id=import_id,
                    result=result,
                    texts=texts,
                    bytes_read=table.position(),
                )

            for _ in import_rows(db, team_id=team_id, table=table, texts=texts, on_chunk=record):
                pass
            size = table.size
        with db.transaction() as session:
            service.finish_import(session, team_id=team_id, import_id=import_id, file_bytes=size)
    except AppError as exc:
        _fail(db, team_id=team_id, import_id=import_id, message=exc.custom_message)
    except Exception:
        log.exception("import %s of team %s failed", import_id, team_id)
        _fail(db, team_id=team_id, import_id=import_id, message=UNEXPECTED)
    finally:
        path.unlink(missing_ok=True)


def _fail(db: Database, *, team_id: int, import_id: int, message: str) -> None:
    try:
        with db.transaction() as session:
            service.fail_import(session, team_id=team_id, import_id=import_id, message=message)
    except Exception:  # the next look marks it failed once it has been silent long enough
        log.exception("import %s of team %s: its failure could not be recorded", import_id, team_id)


def start_import(
    db: Database, *, team_id: int, import_id: int, source: str, path: Path, name: str
) -> threading.Thread:
    """Run a recorded import in a thread of its own; call it once the record is committed."""
    thread = threading.Thread(
        target=run_import,
        kwargs={
            "db": db,
            "team_id": team_id,
            "import_id": import_id,
            "source": source,
            "path": path,
            "name": name,
        },
        name=f"import-{import_id}",
        daemon=True,  # a shutdown leaves it running in the table; the next look fails it
    )
    thread.start()
    return thread
