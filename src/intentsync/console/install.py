"""Puts the console on an app: its pages, its assets, and HTML for unknown pages."""

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from intentsync.auth.service import Viewer, viewer_for
from intentsync.console import account, accounts, imports, overview, segments, settings, sign_in
from intentsync.console.routing import SESSION_COOKIE, ConsoleRouter, error_page
from intentsync.db.engine import Database

STATIC_URL = "/static"
ROUTERS: tuple[ConsoleRouter, ...] = (
    sign_in.console,
    overview.console,
    accounts.console,
    account.console,
    segments.console,
    imports.console,
    settings.console,
)


def install(app: FastAPI) -> None:
    app.mount(
        STATIC_URL,
        StaticFiles(directory=str(files("intentsync.console") / "static")),
        name="console-static",
    )
    for router in ROUTERS:
        app.include_router(router.router)
    app.state.html_error_page = html_error_page


def is_console_path(path: str) -> bool:
    return not path.startswith(("/api/", "/docs", "/redoc", "/openapi.json", "/track"))


def _viewer(request: Request) -> Viewer | None:
    db: Database = request.app.state.db
    with db.transaction(write=False) as session:
        return viewer_for(session, request.cookies.get(SESSION_COOKIE))


async def html_error_page(request: Request, exc: StarletteHTTPException) -> Response | None:
    """A browser that mistypes a console address gets a page; API clients keep the envelope."""
    if not is_console_path(request.url.path) or "text/html" not in request.headers.get(
        "accept", ""
    ):
        return None
    viewer = await run_in_threadpool(_viewer, request)
    status = exc.status_code
    message = "There is no page at this address." if status == 404 else str(exc.detail)
    return error_page(request, viewer, status, message)
