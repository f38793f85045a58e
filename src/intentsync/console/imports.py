"""Imports: an admin uploads a vendor's intent file, watches it run, and reads its bad lines.

The upload is checked (vendor, header, encoding) while the admin waits, then recorded with
its bytes; once that is committed a job runs it on any worker of the deployment, and the
pages read its progress from the table.
"""

import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.datastructures import UploadFile
from starlette.responses import JSONResponse, RedirectResponse, Response

from intentsync.console.routing import Access, ConsoleRouter, Page
from intentsync.db.engine import Database
from intentsync.kit.errors import AppError, NotFound
from intentsync.queue.base import Job, Queue
from intentsync.signals.importers import job, service
from intentsync.signals.importers.service import SOURCE_LABELS, ImportRecord

console = ConsoleRouter()
log = logging.getLogger("intentsync.imports")

HISTORY_PAGE = 20
BAD_LINES_PAGE = 100
LARGEST_ID = 2**31 - 1  # an import's id is an INTEGER column
LARGEST_LINE_ID = 2**63 - 1  # a bad line's id is a BIGINT one
STATUS_LABELS = {"running": "Running", "done": "Done", "failed": "Failed"}


def duration(ms: int) -> str:
    """'0.4 s', '12 s', '3 min 05 s': how long an import took, or has run so far."""
    if ms < 10_000:
        return f"{ms / 1000:.1f} s"
    seconds = ms // 1000
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def size(value: int) -> str:
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / (1024 * 1024):.1f} MB"


def _helpers() -> dict[str, Any]:
    """What both templates format with."""
    return {"duration": duration, "size": size, "status_labels": STATUS_LABELS}


def _max_bytes(page: Page) -> int:
    return int(page.request.app.state.settings.max_body_bytes)


def _fail_silent_imports(page: Page) -> None:
    """A look at the imports first ends the ones whose process is gone (restart, crash)."""
    if service.has_silent_imports(page.session, team_id=page.team_id):
        db: Database = page.request.app.state.db
        with db.transaction() as session:
            service.fail_silent_imports(session, team_id=page.team_id)


def _import_id(page: Page) -> int:
    raw = page.path_param("import_id")
    if not raw.isdigit() or int(raw) > LARGEST_ID:
        raise NotFound(f"There is no import '{raw[:40]}' in this team.")
    return int(raw)


def _history(page: Page, *, status: int = 200, error: str = "", source: str = "") -> Response:
    before = page.number("before", None, lo=1, hi=LARGEST_ID) if page.form is None else None
    records, older = service.list_imports(
        page.session, team_id=page.team_id, before_id=before, limit=HISTORY_PAGE
    )
    return page.render(
        "imports.html",
        status=status,
        title="Imports",
        imports=records,
        older=older,
        paged=before is not None,
        error=error,
        source=source,
        sources=list(SOURCE_LABELS.items()),
        max_bytes=_max_bytes(page),
        **_helpers(),
    )


@console.get("/imports", access=Access.ADMIN)
def imports_page(page: Page) -> Response:
    _fail_silent_imports(page)
    return _history(page)


def _file_name(upload: UploadFile) -> str:
    """The name the browser sent, without any folder a browser may have added."""
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or "upload.csv"


def _store(upload: UploadFile) -> Path:
    """The upload copied to a file of its own: the form is closed once the request ends."""
    with tempfile.NamedTemporaryFile(
        prefix="intentsync-import-", suffix=".csv", delete=False
    ) as stored:
        upload.file.seek(0)
        shutil.copyfileobj(upload.file, stored)
    return Path(stored.name)


@console.post("/imports", access=Access.ADMIN)
def upload_import(page: Page) -> Response:
    source = page.text("source", max_length=40).lower()
    upload = page.upload("file")
    if source not in service.SOURCES:
        error = "Choose the file's vendor: Bombora, G2 or LinkedIn."
        return _history(page, status=400, error=error)
    if upload is None:
        return _history(page, status=400, error="Choose a file to import.", source=source)
    name = _file_name(upload)
    path = _store(upload)
    try:
        # The header and encoding are checked now, so a wrong file is refused on the form.
        with service.open_export(path, source=source, name=name) as table:
            file_bytes = table.size
        import_id = service.begin_import(
            page.session,
            team_id=page.team_id,
            source=source,
            file_name=name,
            file_bytes=file_bytes,
            uploaded_by=page.viewer.email,
        )
        service.store_upload(page.session, import_id=import_id, data=path.read_bytes())
    except AppError as exc:
        page.session.rollback()  # the history drawn next shows no record of this upload
        return _history(page, status=exc.status_code, error=exc.custom_message, source=source)
    finally:
        path.unlink(missing_ok=True)
    # A background task runs after the response, so after the record and file are committed.
    submit = BackgroundTask(
        _submit, page.request.app.state.background.queue, team_id=page.team_id, import_id=import_id
    )
    return RedirectResponse(f"/imports/{import_id}", status_code=303, background=submit)


def _submit(queue: Queue, *, team_id: int, import_id: int) -> None:
    """Hand a committed upload to the job queue; if this fails, the dispatcher hands it later."""
    key = job.job_key(import_id)
    try:
        queue.submit(
            Job(job.RUN_JOB, {"team_id": team_id, "import_id": import_id}, key=key, lock=key)
        )
    except Exception:
        log.exception(
            "import %s of team %s could not be queued now; it will be later", import_id, team_id
        )


@console.get("/imports/{import_id}", access=Access.ADMIN)
def import_page(page: Page) -> Response:
    import_id = _import_id(page)
    _fail_silent_imports(page)
    record = service.get_import(page.session, team_id=page.team_id, import_id=import_id)
    after = page.number("after", None, lo=0, hi=LARGEST_LINE_ID)
    lines, more = service.bad_lines(
        page.session,
        team_id=page.team_id,
        import_id=import_id,
        after_id=after,
        limit=BAD_LINES_PAGE,
    )
    return page.render(
        "import.html",
        title=f"Import of {record.file_name}",
        item=record,
        lines=lines,
        more=more,
        paged=after is not None,
        **_helpers(),
    )


def status_document(record: ImportRecord) -> dict[str, object]:
    """What the page script updates in place; numbers come formatted as the page shows them."""
    return {
        "status": record.status,
        "percent": record.percent,
        "fields": {
            "status": STATUS_LABELS.get(record.status, record.status),
            "percent": str(record.percent),
            "rows_read": f"{record.rows_read:,}",
            "signals_created": f"{record.signals_created:,}",
            "signals_skipped": f"{record.signals_skipped:,}",
            "rows_failed": f"{record.rows_failed:,}",
            "duration": duration(record.duration_ms),
        },
    }


@console.get("/imports/{import_id}/status", access=Access.ADMIN)
def import_status(page: Page) -> Response:
    import_id = _import_id(page)
    _fail_silent_imports(page)
    record = service.get_import(page.session, team_id=page.team_id, import_id=import_id)
    return JSONResponse(status_document(record))
