"""Every console route passes one handler: session, role and CSRF checks cannot be left out.

A page is registered with `router.get(path, access=...)` or `router.post(...)`; access has no
default, so a route cannot be added without saying who may reach it. The handler opens the
request's transaction, finds the signed-in user from the session cookie, refuses a signed-out
visitor (sign-in redirect), a member on an admin route (403) and any state-changing request
without the session's CSRF token (403), then runs the page and commits only if it succeeded.
"""

import enum
import hmac
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams, UploadFile
from starlette.responses import HTMLResponse, RedirectResponse, Response

from intentsync.auth.service import Viewer, viewer_for
from intentsync.console.templating import render
from intentsync.db.engine import Database
from intentsync.journey.service import stage_names
from intentsync.kit.errors import AppError, BadRequest

SESSION_COOKIE = "intentsync_session"
SIGN_IN_CSRF_COOKIE = "intentsync_sign_in_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SIGN_IN_PATH = "/sign-in"
MAX_FORM_FIELDS = 2000
MAX_FORM_FILES = 1

# Console pages show account data and run no inline script: nothing from elsewhere may load.
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class Access(enum.Enum):
    PUBLIC = "public"
    MEMBER = "member"
    ADMIN = "admin"


@dataclass
class Page:
    """What a page handler gets: the request, its transaction, who is signed in, the form."""

    request: Request
    session: Session
    viewer_or_none: Viewer | None
    form: FormData | None = None
    cookies_to_set: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def viewer(self) -> Viewer:
        if self.viewer_or_none is None:  # only PUBLIC routes run without one
            raise RuntimeError("this page needs a signed-in user; register it with access=MEMBER")
        return self.viewer_or_none

    @property
    def team_id(self) -> int:
        return self.viewer.team_id

    @property
    def query(self) -> QueryParams:
        return self.request.query_params

    def path_param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def text(self, name: str, default: str = "", *, max_length: int = 1000) -> str:
        """A form field (POST) or query parameter (GET) as trimmed text."""
        source: Any = self.form if self.form is not None else self.query
        value = source.get(name, default)
        if isinstance(value, UploadFile):
            raise BadRequest(f"'{name}' should be text, not a file")
        text = str(value).strip()
        if len(text) > max_length:
            raise BadRequest(f"'{name}' is longer than {max_length} characters")
        return text

    def number(self, name: str, default: int | None = None, *, lo: int, hi: int) -> int | None:
        raw = self.text(name)
        if raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise BadRequest(f"'{name}' should be a whole number, not '{raw[:40]}'") from None
        if not lo <= value <= hi:
            raise BadRequest(f"'{name}' should be between {lo} and {hi}")
        return value

    def upload(self, name: str) -> UploadFile | None:
        value = None if self.form is None else self.form.get(name)
        if isinstance(value, UploadFile) and value.filename:
            return value
        return None

    @cached_property
    def stage_names(self) -> dict[str, str]:
        """The team's names for the journey stages, read once per request (canonical if none)."""
        if self.viewer_or_none is None:
            return {}
        return stage_names(self.session, team_id=self.viewer_or_none.team_id)

    def stage_name(self, canonical: str) -> str:
        """What the team calls a stage; a name outside the catalogue is shown as it is."""
        return self.stage_names.get(canonical, canonical)

    def render(self, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("stage_names", self.stage_names)
        return HTMLResponse(
            render(template, request=self.request, viewer=self.viewer_or_none, **context),
            status_code=status,
        )

    @contextmanager
    def write_apart(self) -> Iterator[Session]:
        """A short write transaction of its own, committed when the block ends.

        For a read-only action whose outcome must be stored even when it fails (a wrong
        password is counted); the slow work before it held no write lock.
        """
        db: Database = self.request.app.state.db
        with db.transaction() as session:
            yield session

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)


PageHandler = Callable[[Page], Response]


class ConsoleRoute(APIRoute):
    """An APIRoute that records who may reach it; the test suite enumerates these."""

    access: Access
    write: bool  # whether its transaction may write


class ConsoleRouter:
    """Registers pages; each one runs through `_handle` with its declared access."""

    def __init__(self) -> None:
        self.router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

    def get(self, path: str, *, access: Access) -> Callable[[PageHandler], PageHandler]:
        return self._add(path, "GET", access)

    def post(
        self, path: str, *, access: Access, writes: bool = True
    ) -> Callable[[PageHandler], PageHandler]:
        """A form action; writes=False runs it in a read transaction (a preview, a slow check)."""
        return self._add(path, "POST", access, writes=writes)

    def _add(
        self, path: str, method: str, access: Access, *, writes: bool = False
    ) -> Callable[[PageHandler], PageHandler]:
        if not isinstance(access, Access):
            raise TypeError(f"{method} {path}: access must be an Access, not {access!r}")
        form = method == "POST"

        def register(handler: PageHandler) -> PageHandler:
            async def endpoint(request: Request) -> Response:
                return await _handle(request, handler, access=access, form=form, write=writes)

            endpoint.__name__ = handler.__name__
            self.router.add_api_route(
                path, endpoint, methods=[method], response_class=HTMLResponse, name=handler.__name__
            )
            route = self.router.routes[-1]
            assert isinstance(route, ConsoleRoute)
            route.access = access
            route.write = writes
            return handler

        return register


@dataclass(frozen=True)
class RegisteredPage:
    method: str
    path: str
    access: Access


def console_pages(app: FastAPI) -> Iterator[RegisteredPage]:
    """Every console route of an app with the access it declared."""
    for context in iter_route_contexts(app.router.routes):
        route = context.original_route
        if isinstance(route, ConsoleRoute):
            for method in sorted(context.methods or []):
                yield RegisteredPage(method, context.path or "", route.access)


def error_page(request: Request, viewer: Viewer | None, status: int, message: str) -> HTMLResponse:
    titles = {
        400: "Cannot do that",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        413: "Too large",
        429: "Too many attempts",
    }
    response = HTMLResponse(
        render(
            "error.html",
            request=request,
            viewer=viewer,
            status=status,
            title=titles.get(status, "Error"),
            message=message,
        ),
        status_code=status,
    )
    response.headers.update(PAGE_HEADERS)
    return response


def _same_origin(request: Request) -> bool:
    """A browser names the page a form came from; one from elsewhere is refused outright."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _csrf_ok(request: Request, form: FormData | None, viewer: Viewer | None) -> bool:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and form is not None:
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if viewer is not None:
        expected = viewer.csrf_token
    else:  # before sign-in: the form's token must match the cookie set with the form
        expected = request.cookies.get(SIGN_IN_CSRF_COOKIE, "")
    if not sent or not expected:
        return False
    # Bytes: compare_digest refuses str with non-ASCII characters, which a forger may send.
    return hmac.compare_digest(str(sent).encode(), expected.encode())


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)


async def _read_form(request: Request) -> FormData:
    try:
        return await request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS)
    except Exception as exc:  # a malformed or oversized multipart body
        detail = getattr(exc, "detail", None) or str(exc) or type(exc).__name__
        raise BadRequest(f"The form could not be read: {detail}") from None


async def _handle(
    request: Request, handler: PageHandler, *, access: Access, form: bool, write: bool
) -> Response:
    """form: a state-changing request (CSRF-checked); write: its transaction may write."""
    data: FormData | None = None
    if form:
        try:
            data = await _read_form(request)
        except AppError as exc:
            return error_page(request, None, exc.status_code, exc.custom_message)
    try:
        response = await run_in_threadpool(_run, request, handler, access, write, data)
    finally:
        if data is not None:
            await data.close()
    response.headers.update(PAGE_HEADERS)
    return response


def _run(
    request: Request, handler: PageHandler, access: Access, write: bool, form: FormData | None
) -> Response:
    db: Database = request.app.state.db
    session = db.session(write=write)
    viewer: Viewer | None = None
    try:
        viewer = viewer_for(session, request.cookies.get(SESSION_COOKIE))
        refused = _refusal(request, access, form, viewer)
        if refused is not None:
            session.rollback()
            return refused
        page = Page(request=request, session=session, viewer_or_none=viewer, form=form)
        try:
            response = handler(page)
        except AppError as exc:
            session.rollback()
            response = error_page(request, viewer, exc.status_code, exc.custom_message)
            if exc.headers:
                response.headers.update(exc.headers)
            return response
        if response.status_code < 400:
            session.commit()
        else:
            session.rollback()
        return response
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _refusal(
    request: Request, access: Access, form: FormData | None, viewer: Viewer | None
) -> Response | None:
    write = request.method != "GET"
    if access is not Access.PUBLIC and viewer is None:
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        where = SIGN_IN_PATH if target == "/" or write else f"{SIGN_IN_PATH}?next={quote(target)}"
        return RedirectResponse(where, status_code=303)
    if access is Access.ADMIN and viewer is not None and not viewer.is_admin:
        return error_page(request, viewer, 403, "Only a team admin can open this page.")
    if write and not _same_origin(request):
        return error_page(request, viewer, 403, "This form was sent from another site.")
    if write and not _csrf_ok(request, form, viewer):
        return error_page(
            request,
            viewer,
            403,
            "The form had expired or was not sent from this console. "
            "Reload the page and try again.",
        )
    return None
