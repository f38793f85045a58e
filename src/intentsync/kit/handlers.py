"""One place that renders every failure into the documented envelope."""

import inspect
import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from intentsync.kit import validation
from intentsync.kit.errors import AppError, ValidationFailed
from intentsync.kit.responses import error_envelope
from intentsync.kit.security_headers import security_headers

log = logging.getLogger("intentsync")


def _body_model(request: Request) -> type[BaseModel] | None:
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    if field is None:
        return None
    for candidate in (getattr(field, "type_", None), getattr(field.field_info, "annotation", None)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path (Starlette names only the first route's)."""
    allowed = []
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def validation_response(request: Request, entries: list[dict[str, Any]]) -> Response:
    return error_envelope(request, 400, validation.summary(entries), data=entries)


async def _app_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, AppError)
    return error_envelope(request, exc.status_code, exc.custom_message, headers=exc.headers)


async def _validation_failed(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ValidationFailed)
    return validation_response(request, exc.errors)


async def _request_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    entries = validation.translate(list(exc.errors()), _body_model(request))
    return validation_response(request, entries)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    page = getattr(request.app.state, "html_error_page", None)
    if page is not None:
        rendered: Response | None = await page(request, exc)
        if rendered is not None:
            return rendered
    status = exc.status_code
    if status == 404:
        text = f"Cannot {request.method} {request.url.path}"
    elif status == 405:
        allowed = _allowed_methods(request)
        text = f"Method {request.method} is not allowed on {request.url.path}; allowed: {allowed}"
        return error_envelope(request, status, text, headers={"Allow": allowed})
    else:
        text = str(exc.detail)
    return error_envelope(request, status, text, headers=dict(exc.headers or {}))


async def _integrity(request: Request, exc: Exception) -> Response:
    log.warning("integrity conflict on %s: %s", request.url.path, exc)
    return error_envelope(
        request,
        409,
        "The request conflicted with a concurrent change and nothing was saved; retry it",
    )


async def _operational(request: Request, exc: Exception) -> Response:
    if "locked" in str(exc).lower() or "timeout" in str(exc).lower():
        return error_envelope(
            request,
            503,
            "The database is busy and nothing was saved; retry the request shortly",
            headers={"Retry-After": "1"},
        )
    return await _unexpected(request, exc)  # not a lock timeout: a bug


async def _unexpected(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.error(
        "unhandled error %s on %s %s", incident, request.method, request.url.path, exc_info=exc
    )
    # Sent by Starlette's outermost layer, past our middleware, so its headers are added here.
    return error_envelope(
        request,
        500,
        f"An unexpected error occurred (incident {incident}); nothing was saved",
        headers=security_headers(request.url.path),
    )


async def render_error(request: Request, exc: Exception) -> Response:
    """Render through the app's one set of handlers, for code that runs outside the router."""
    for cls in type(exc).__mro__:
        render = request.app.exception_handlers.get(cls)
        if render is not None:
            result = render(request, exc)
            response: Response = await result if inspect.isawaitable(result) else result
            return response
    raise exc


async def _client_gone(request: Request, _exc: Exception) -> Response:
    """Nobody is left to answer: a note, not a traceback, since the request did nothing."""
    log.info("client went away during %s %s; nothing was saved", request.method, request.url.path)
    return Response(status_code=400)  # the server drops whatever is sent to a closed connection


class UnexpectedErrors:
    """Answer an unexpected error with the 500 envelope and keep the connection alive.

    Starlette's own last-resort middleware re-raises after answering, and the server then
    closes the connection, so clients that reuse connections would see resets.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, receive, noting_send)
        except Exception as exc:
            if started:
                raise  # half an answer is out: only closing the connection can end it
            request = Request(scope)
            handler = _client_gone if isinstance(exc, ClientDisconnect) else _unexpected
            response = await handler(request, exc)
            await response(scope, receive, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(ValidationFailed, _validation_failed)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(IntegrityError, _integrity)
    app.add_exception_handler(OperationalError, _operational)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected)
    app.add_middleware(UnexpectedErrors)  # added last, so it wraps every other middleware
