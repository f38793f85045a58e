"""Uploads run as queue jobs: their bytes wait in the database, and a cut-short run goes on."""

import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from intentsync.app import create_app
from intentsync.auth.service import set_password
from intentsync.config import Settings
from intentsync.db.engine import Database
from intentsync.db.migrate import upgrade
from intentsync.db.models import SignalEvent, SignalImport, SignalImportError, SignalImportFile
from intentsync.kit.clock import now_ms
from intentsync.scheduler import Background
from intentsync.signals.importers import job, service
from intentsync.signals.importers.service import ChunkResult, ImportTakenOver, Item
from tests.conftest import _postgres_database
from tests.console.conftest import PASSWORD, ConsoleClient, sign_in
from tests.console.test_imports import events, record, start, wait
from tests.factories import Workspace, create_workspace
from tests.live import intentsync_process

COUNTED = (
    "status",
    "rows_read",
    "signals_created",
    "signals_skipped",
    "rows_failed",
    "errors_total",
    "bytes_read",
)


def g2_export(rows: int) -> bytes:
    """A G2 export with repeats (skipped) and bad lines spread through it."""
    lines = ["company_domain,day,signal_type,total_activity,product_name"]
    for n in range(rows):
        if n % 997 == 5:
            lines.append(f"bad{n}.example,2026-11-17,Reviews,1,Widget")
        elif n % 500 == 7:
            lines.append(lines[-1])  # the row above again: a repeat
        else:
            lines.append(f"c{n % 700}.example,2026-11-{1 + n % 20:02d},pricing,{1 + n % 5},p{n}")
    return ("\n".join(lines) + "\n").encode()


def stored_file(database: Database, import_id: int) -> bytes | None:
    with database.transaction(write=False) as session:
        return session.scalar(
            select(SignalImportFile.data).where(SignalImportFile.import_id == import_id)
        )


def counted(database: Database, import_id: int) -> tuple[Any, ...]:
    found = record(database, import_id)
    return tuple(getattr(found, name) for name in COUNTED)


def bad_lines(database: Database, import_id: int) -> list[tuple[int, str, str]]:
    with database.transaction(write=False) as session:
        rows = session.execute(
            select(SignalImportError.line, SignalImportError.reason, SignalImportError.text)
            .where(SignalImportError.import_id == import_id)
            .order_by(SignalImportError.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def reference_import(database: Database, ws: Workspace, content: bytes) -> int:
    """The same file imported in one uninterrupted run, for another team."""
    with database.transaction() as session:
        import_id = service.begin_import(
            session,
            team_id=ws.team_id,
            source="g2",
            file_name="export.csv",
            file_bytes=len(content),
            uploaded_by=ws.email,
        )
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as copy:
        copy.write(content)
    job.run_import(
        database,
        team_id=ws.team_id,
        import_id=import_id,
        source="g2",
        path=Path(copy.name),
        name="export.csv",
    )
    return import_id


@pytest.fixture
def idle(app: FastAPI, settings: Settings, database: Database) -> Iterator[Background]:
    """The app submits to a Background that runs nothing until the test starts it."""
    background = Background(settings, database, score=False, deliver=False)
    previous = app.state.background
    app.state.background = background
    try:
        yield background
    finally:
        app.state.background = previous
        background.stop()


@pytest.fixture
def other(app: FastAPI, database: Database) -> Iterator[Workspace]:
    workspace = create_workspace(app, database, name="Reference team")
    yield workspace
    workspace.close()


def test_an_upload_waits_in_the_database_until_a_worker_runs_it(
    admin: ConsoleClient, database: Database, idle: Background
) -> None:
    content = g2_export(300)
    import_id = start(admin, "g2", content)
    assert stored_file(database, import_id) == content  # committed with the record
    assert record(database, import_id).status == "running"
    idle.start(concurrency=1)
    state = wait(admin, import_id)
    assert state["status"] == "done"
    assert record(database, import_id).rows_read == 300
    assert stored_file(database, import_id) is None  # gone once the import ended


def test_a_failed_import_drops_its_file(
    admin: ConsoleClient, database: Database, idle: Background
) -> None:
    content = g2_export(1500) + "muller.example,2026-11-17,pricing,1,M\xfcller\n".encode("latin-1")
    import_id = start(admin, "g2", content)
    assert stored_file(database, import_id) == content
    idle.start(concurrency=1)
    assert wait(admin, import_id)["status"] == "failed"
    assert "is not UTF-8 text" in (record(database, import_id).message or "")
    assert stored_file(database, import_id) is None


def _run_partly(database: Database, team_id: int, import_id: int, *, chunks: int) -> None:
    """What a worker killed after committing `chunks` chunks leaves behind."""
    with database.transaction(write=False) as session:
        stored = service.stored_upload(session, team_id=team_id, import_id=import_id)
    assert stored is not None
    with tempfile.NamedTemporaryFile(suffix=".csv", delete=False) as copy:
        copy.write(stored.data)
    path = Path(copy.name)
    done = 0
    with service.open_export(path, source=stored.source, name=stored.file_name) as table:
        texts: dict[int, str] = {}

        def count(session: Session, _chunk: list[Item], result: ChunkResult) -> None:
            service.record_chunk(
                session,
                team_id=team_id,
                import_id=import_id,
                result=result,
                texts=texts,
                bytes_read=table.position(),
                rows_before=done,
            )

        for n, result in enumerate(
            job.import_rows(database, team_id=team_id, table=table, texts=texts, on_chunk=count)
        ):
            done += result.rows
            if n + 1 == chunks:
                break
    path.unlink()


def test_a_run_cut_short_is_taken_over_and_ends_as_one_that_never_stopped(
    app: FastAPI,
    admin: ConsoleClient,
    database: Database,
    idle: Background,
    ws: Workspace,
    other: Workspace,
) -> None:
    content = g2_export(4500)
    import_id = start(admin, "g2", content)
    _run_partly(database, ws.team_id, import_id, chunks=2)
    partial = record(database, import_id)
    assert partial.status == "running"
    assert 0 < partial.rows_read < 4500
    # Its runner went silent: the dispatcher hands it to the queue again, once.
    with database.transaction() as session:
        session.execute(
            update(SignalImport)
            .where(SignalImport.id == import_id)
            .values(heartbeat_ms=now_ms() - service.TAKEOVER_AFTER_MS - 1000)
        )
    with database.transaction(write=False) as session:
        assert service.imports_to_take_over(session, limit=1000) == [(ws.team_id, import_id)]
    assert service.STALE_AFTER_MS > service.TAKEOVER_AFTER_MS
    idle.dispatch()
    idle.start(concurrency=2)
    assert wait(admin, import_id)["status"] == "done"
    reference = reference_import(database, other, content)
    assert counted(database, import_id) == counted(database, reference)
    assert bad_lines(database, import_id) == bad_lines(database, reference)
    assert len(bad_lines(database, import_id)) == 5
    assert events(database, ws.team_id) == events(database, other.team_id)
    assert stored_file(database, import_id) is None


def test_two_runners_of_one_import_never_both_count_a_chunk(
    admin: ConsoleClient, database: Database, idle: Background, ws: Workspace
) -> None:
    import_id = start(admin, "g2", g2_export(10))
    result = ChunkResult(rows=10, created=10, skipped=0, errors=[])
    with database.transaction() as session:
        service.record_chunk(
            session,
            team_id=ws.team_id,
            import_id=import_id,
            result=result,
            texts={},
            bytes_read=100,
            rows_before=0,
        )
    # A second runner that started at row 0 too is refused, and its chunk rolls back.
    with pytest.raises(ImportTakenOver), database.transaction() as session:
        service.record_chunk(
            session,
            team_id=ws.team_id,
            import_id=import_id,
            result=result,
            texts={},
            bytes_read=100,
            rows_before=0,
        )
    assert record(database, import_id).rows_read == 10


def test_a_silent_upload_that_nothing_took_over_is_failed_and_its_file_dropped(
    admin: ConsoleClient, database: Database, idle: Background, ws: Workspace
) -> None:
    import_id = start(admin, "g2", g2_export(10))
    with database.transaction() as session:
        session.execute(
            update(SignalImport)
            .where(SignalImport.id == import_id)
            .values(heartbeat_ms=now_ms() - service.STALE_AFTER_MS - 1000)
        )
    assert admin.get("/imports").status_code == 200  # a look fails silent imports
    assert record(database, import_id).status == "failed"
    assert stored_file(database, import_id) is None
    idle.run_import(ws.team_id, import_id)  # its job, run late, finds it ended: nothing to do
    with database.transaction(write=False) as session:
        signals = session.scalar(
            select(func.count()).select_from(SignalEvent).where(SignalEvent.team_id == ws.team_id)
        )
    assert record(database, import_id).rows_read == 0
    assert signals == 0


# --- A worker killed mid-import, on PostgreSQL's shared queue --------------------------------

KILL_ROWS = 120_000  # 4.9 MB: within the 5 MB an upload may be by default


def _worker(database_url: str) -> subprocess.Popen[str]:
    return intentsync_process(
        database_url,
        "worker",
        INTENTSYNC_LOG_LEVEL="debug",
        INTENTSYNC_SCORING_INTERVAL="0",
        INTENTSYNC_WORKER_HEARTBEAT="0.5",
        INTENTSYNC_WORKER_STALLED_AFTER="3",
        INTENTSYNC_JOB_CONCURRENCY="1",
    )


def _watch(process: subprocess.Popen[str], starts: list[float]) -> None:
    """Note when the worker starts an import job; read its log to the end."""
    assert process.stderr is not None
    for line in process.stderr:
        if "job imports.run started" in line:
            starts.append(time.monotonic())


@pytest.fixture
def own_postgres(database_url: str) -> Iterator[tuple[str, FastAPI, Database]]:
    """A database of its own: the workers run every job they find, and only this test's."""
    if database_url.startswith("sqlite"):
        pytest.skip("several hosts share a queue on PostgreSQL; SQLite runs jobs in-process")
    for url in _postgres_database():
        upgrade(url)
        db = Database(url, pool_size=3)
        settings = Settings(database_url=url, scoring_interval=0, serve_jobs=False)
        app = create_app(settings, db)
        try:
            yield url, app, db
        finally:
            app.state.background.queue.stop()
            db.dispose()


@pytest.mark.slow
def test_a_worker_killed_mid_import_loses_nothing_and_imports_each_row_once(
    own_postgres: tuple[str, FastAPI, Database],
) -> None:
    database_url, app, db = own_postgres
    ws = create_workspace(app, db)
    reference_team = create_workspace(app, db, name="Reference team")
    with db.transaction() as session:
        set_password(session, email=ws.email, password=PASSWORD)
    admin = sign_in(app, ws.email)
    content = g2_export(KILL_ROWS)
    workers = [_worker(database_url) for _ in range(3)]
    starts: list[list[float]] = [[] for _ in workers]
    watchers = [
        threading.Thread(target=_watch, args=(w, s), daemon=True)
        for w, s in zip(workers, starts, strict=True)
    ]
    for watcher in watchers:
        watcher.start()
    killed: subprocess.Popen[str] | None = None
    try:
        import_id = start(admin, "g2", content)
        deadline = time.monotonic() + 600
        while killed is None:
            assert time.monotonic() < deadline, "no worker was seen importing"
            runner = next((w for w, s in zip(workers, starts, strict=True) if s), None)
            progress = record(db, import_id)
            assert progress.status == "running", (progress.status, progress.message)
            if runner is not None and progress.rows_read >= KILL_ROWS // 5:
                runner.send_signal(signal.SIGKILL)
                killed = runner
            time.sleep(0.05)
        assert killed.wait(timeout=10) == -signal.SIGKILL
        at_kill = record(db, import_id).rows_read
        assert at_kill < KILL_ROWS, "the import ended before its worker was killed"
        while (final := record(db, import_id)).status == "running":
            assert time.monotonic() < deadline, f"import still running: {final.rows_read} rows"
            time.sleep(0.2)
    finally:
        admin.close()
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=60)
    assert final.status == "done", final.message
    # Another worker took the job over and went on from where the killed one had committed.
    takers = [s for w, s in zip(workers, starts, strict=True) if w is not killed and s]
    assert takers, "no other worker started the import again"
    reference = reference_import(db, reference_team, content)
    assert counted(db, import_id) == counted(db, reference)
    assert final.rows_read == KILL_ROWS
    assert bad_lines(db, import_id) == bad_lines(db, reference)
    mine, theirs = events(db, ws.team_id), events(db, reference_team.team_id)
    assert len(mine) == final.signals_created > 0
    assert mine == theirs  # the same signals, each once, in file order
    assert stored_file(db, import_id) is None
    ws.close()
    reference_team.close()
