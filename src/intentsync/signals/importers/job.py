"""Running an import: one transaction per chunk, for the CLI and for the console's uploads.

Both read the file with the same importer and ingest the same chunks, so a file yields the
same signals and the same bad-line reasons whichever way it came in. An upload is a job on
the queue: its bytes wait in the database, so a worker on any host can run it, and a run
cut short (its worker killed) goes on after the last chunk it committed.
"""

import itertools
import logging
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy.orm import Session

from intentsync.db.engine import Database
from intentsync.kit.errors import AppError
from intentsync.kit.tabular import FileTable
from intentsync.signals.importers import service
from intentsync.signals.importers.service import ChunkResult, Item, Spec

log = logging.getLogger("intentsync.imports")

RUN_JOB = "imports.run"  # the queue's name for running an upload: {team_id, import_id}


def job_key(import_id: int) -> str:
    """The key and lock of an upload's job: one waits at a time, one runs at a time."""
    return f"import:{import_id}"


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
    skip: int = 0,
) -> Iterator[ChunkResult]:
    """Ingest the table a chunk per transaction; on_chunk runs inside each one, before commit.

    skip passes over the first rows, which an earlier run committed: chunks are cut from the
    first row on, so the rest are cut as they were in a run that was never stopped.
    """
    items = service.read_items(table, texts)
    if skip:
        for _ in itertools.islice(items, skip):
            pass
        if texts is not None:
            texts.clear()
    for chunk in service.chunks(items):
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
    """Import a recorded upload, recording progress as it goes; the file is removed afterwards.

    A run that finds rows committed by an earlier one (whose worker died) goes on after them,
    so its counts and signals are those of a run that was never stopped.
    """
    try:
        with db.transaction() as session:
            done = service.claim_import(session, team_id=team_id, import_id=import_id)
        if done is None:
            return  # it ended already (a late or repeated job)
        if done:
            log.info("import %s of team %s goes on after row %s", import_id, team_id, done)
        with service.open_export(path, source=source, name=name) as table:
            texts: dict[int, str] = {}
            rows_before = done

            def record(session: Session, _chunk: list[Item], result: ChunkResult) -> None:
                service.record_chunk(
                    session,
                    team_id=team_id,
                    import_id=import_id,
                    result=result,
                    texts=texts,
                    bytes_read=table.position(),
                    rows_before=rows_before,
                )

            for result in import_rows(
                db, team_id=team_id, table=table, texts=texts, on_chunk=record, skip=done
            ):
                rows_before += result.rows
            size = table.size
        with db.transaction() as session:
            service.finish_import(session, team_id=team_id, import_id=import_id, file_bytes=size)
    except service.ImportTakenOver:
        log.warning(
            "import %s of team %s is run by another worker; this run stops", import_id, team_id
        )
    except AppError as exc:
        _fail(db, team_id=team_id, import_id=import_id, message=exc.custom_message)
    except Exception:
        log.exception("import %s of team %s failed", import_id, team_id)
        _fail(db, team_id=team_id, import_id=import_id, message=UNEXPECTED)
    finally:
        path.unlink(missing_ok=True)


def run_stored_import(db: Database, *, team_id: int, import_id: int) -> None:
    """Run an upload from the bytes stored with it, on whichever host took its job."""
    with db.transaction(write=False) as session:
        stored = service.stored_upload(session, team_id=team_id, import_id=import_id)
    if stored is None:
        return  # done, failed or deleted: its file went with it
    with tempfile.NamedTemporaryFile(
        prefix="intentsync-import-", suffix=".csv", delete=False
    ) as copy:
        copy.write(stored.data)
    run_import(
        db,
        team_id=team_id,
        import_id=import_id,
        source=stored.source,
        path=Path(copy.name),
        name=stored.file_name,
    )


def _fail(db: Database, *, team_id: int, import_id: int, message: str) -> None:
    try:
        with db.transaction() as session:
            service.fail_import(session, team_id=team_id, import_id=import_id, message=message)
    except Exception:  # the next look marks it failed once it has been silent long enough
        log.exception("import %s of team %s: its failure could not be recorded", import_id, team_id)
