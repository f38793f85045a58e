"""Authentication that cannot be skipped, and the route class that owns a request's transaction.

Every request under /api/ passes the ApiAuthentication middleware, which checks the key before
any route is even matched: a route added tomorrow, on any router, sync or async, cannot answer
without a valid key. The endpoint learns who is calling by declaring a parameter annotated
`Principal` (any name); ApiRoute fills it with the checked principal. There is no stand-in.
"""

import functools
import inspect
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from intentsync.auth.job import KeyUseRecorder
from intentsync.auth.service import Principal, authenticate, presented_key
from intentsync.db.engine import Database
from intentsync.idempotency import service as idempotency
from intentsync.kit.clock import now_ms
from intentsync.kit.errors import AppError, ValidationFailed
from intentsync.kit.handlers import render_error
from intentsync.kit.json_body import parse_json_body, refuse_nul_in_url, require_json
from intentsync.kit.security_headers import API_PREFIX

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Writes that take an Idempotency-Key; DELETE and reads are idempotent by themselves.
IDEMPOTENT_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Errors that are the request's final answer (rendered 4xx); anything else is released.
FINAL_ERRORS = (AppError, ValidationFailed, RequestValidationError, StarletteHTTPException)

# Declared as a dependency only so OpenAPI shows the scheme; the middleware enforces it.
api_key_scheme = APIKeyHeader(name="X-Api-Key", auto_error=False)


class RequestTransaction:
    """A request's checked key and its session, finished exactly once."""

    def __init__(self, db: Database, key: str, *, write: bool) -> None:
        self.db = db
        self.session = db.session(write=write)
        self.key = key
        # A SQLite write transaction holds the database's one write lock from its first
        # statement, so the key is checked in a read transaction of its own before it.
        self.check_key_apart = write and db.writers is not None
        self.principal: Principal | None = None
        self.claim: idempotency.Claim | None = None  # the Idempotency-Key this request holds
        self.finished = False

    def authenticate(self) -> Principal:
        """Check the key: in the request's own transaction, or apart for SQLite writes."""
        if self.check_key_apart:
            with self.db.transaction(write=False) as session:
                self.principal = authenticate(session, self.key)
        else:
            self.principal = authenticate(self.session, self.key)
        return self.principal

    def checked_principal(self) -> Principal:
        """The principal the middleware checked; asking before the check is a bug, not a pass."""
        if self.principal is None:
            raise RuntimeError("the API key was not checked before the endpoint ran")
        return self.principal

    def conclude(self, response: Response) -> None:
        """Commit a success together with its stored answer; roll back anything else."""
        ok = response.status_code < 400
        if ok and self.claim is not None and not self.finished:
            try:
                if not idempotency.store(self.session, self.claim, answer_of(response)):
                    raise idempotency.taken_over(self.claim)
            except BaseException:
                self.finish(commit=False)
                raise
        self.finish(commit=ok)

    def finish(self, commit: bool) -> None:
        """Commit a request that succeeded, roll back anything else, give the connection back."""
        if self.finished:
            return
        self.finished = True
        try:
            if commit:
                self.session.commit()
            else:
                self.session.rollback()
        finally:
            self.session.close()

    async def finish_async(self, commit: bool) -> None:
        if self.finished:
            return
        if self.session.in_transaction():
            await run_in_threadpool(self.finish, commit)
        else:
            self.finish(commit)  # nothing began: closing does no I/O


# Thread pools copy the context, so the endpoint's worker thread sees its request's transaction.
_CURRENT: ContextVar[RequestTransaction] = ContextVar("intentsync_request_transaction")


def current_transaction() -> RequestTransaction:
    try:
        return _CURRENT.get()
    except LookupError:
        raise RuntimeError(
            "an API route ran outside the ApiAuthentication middleware; "
            f"API routes must be served under {API_PREFIX}"
        ) from None


class ApiAuthentication:
    """Checks X-Api-Key for every request under /api/ before routing; nothing there is public."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await receive()  # websocket.connect; the API serves none, so it is refused
            await send({"type": "websocket.close", "code": 1008})
            return
        request = Request(scope)
        db: Database = scope["app"].state.db
        try:
            key = presented_key(request.headers.get("x-api-key"))
            transaction = RequestTransaction(db, key, write=scope["method"] in WRITE_METHODS)
        except Exception as exc:
            await (await render_error(request, exc))(scope, receive, send)
            return
        token = _CURRENT.set(transaction)
        try:
            try:
                principal = await run_in_threadpool(transaction.authenticate)
            except Exception as exc:
                await (await render_error(request, exc))(scope, receive, send)
                return
            _note_use(scope, principal)
            await self.app(scope, receive, send)
        finally:
            _CURRENT.reset(token)
            await transaction.finish_async(commit=False)  # a no-op when the route finished it


def _note_use(scope: Scope, principal: Principal) -> None:
    """Hand the key's use to the app's recorder, which writes it later in a batch."""
    recorder: KeyUseRecorder | None = getattr(scope["app"].state, "key_uses", None)
    if recorder is not None and principal.key_id is not None:
        recorder.note(principal.key_id, now_ms())


def _principal_parameters(endpoint: Callable[..., Any]) -> tuple[inspect.Signature, list[str]]:
    """The signature FastAPI sees (without Principal parameters) and the names to fill."""
    signature = inspect.signature(endpoint, eval_str=True)
    names = [name for name, p in signature.parameters.items() if p.annotation is Principal]
    shown = signature.replace(
        parameters=[p for name, p in signature.parameters.items() if name not in names]
    )
    return shown, names


def _with_principal(endpoint: Callable[..., Any]) -> Callable[..., Any]:
    """Fill Principal parameters with the checked principal; sync endpoints commit in their thread.

    A sync endpoint runs, and its transaction ends, in one worker-thread hop.
    """
    if getattr(endpoint, "__intentsync_api__", False):
        return endpoint
    shown, names = _principal_parameters(endpoint)
    wrapped: Callable[..., Any]

    if inspect.iscoroutinefunction(endpoint):

        @functools.wraps(endpoint)
        async def run_async(*args: Any, **kwargs: Any) -> Any:
            principal = current_transaction().checked_principal()
            return await endpoint(*args, **kwargs, **dict.fromkeys(names, principal))

        wrapped = run_async
    else:

        @functools.wraps(endpoint)
        def run(*args: Any, **kwargs: Any) -> Any:
            transaction = current_transaction()
            principal = transaction.checked_principal()
            try:
                response = endpoint(*args, **kwargs, **dict.fromkeys(names, principal))
                if not isinstance(response, Response):
                    # The commit happens here, so the answer must be complete before it.
                    raise TypeError(f"{endpoint.__name__} must return a Response")
            except BaseException:
                transaction.finish(commit=False)
                raise
            transaction.conclude(response)
            return response

        wrapped = run
    setattr(wrapped, "__signature__", shown)  # noqa: B010  (what FastAPI inspects)
    setattr(wrapped, "__intentsync_api__", True)  # noqa: B010
    return wrapped


@asynccontextmanager
async def write_turn(request: Request) -> AsyncIterator[None]:
    """The process's write turn for a write on SQLite (see WriterQueue.turn); none otherwise."""
    db: Database = request.app.state.db
    if request.method not in WRITE_METHODS or db.writers is None:
        yield
        return
    async with db.writers.turn():
        yield


class ApiRoute(APIRoute):
    """Check the body, run the endpoint with its principal, then commit or roll back."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, _with_principal(endpoint), **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        reads_body = bool((self.methods or set()) & WRITE_METHODS) and self.body_field is not None
        takes_key = bool((self.methods or set()) & IDEMPOTENT_METHODS)

        async def guarded(request: Request) -> Response:
            transaction = current_transaction()
            request.state.session = transaction.session
            ok = False
            try:
                refuse_nul_in_url(request)
                if reads_body:
                    require_json(request)  # a 415 reads nothing and waits for nothing
                if request.method in WRITE_METHODS:
                    await request.body()  # a slow sender holds no turn while its body arrives
                async with write_turn(request):
                    try:
                        if reads_body:
                            await parse_json_body(request)  # its type was checked above
                        key = request.headers.get("idempotency-key") if takes_key else None
                        if key is not None and request.method in IDEMPOTENT_METHODS:
                            return await _run_once(handler, request, transaction, key)
                        response = await handler(request)
                        ok = response.status_code < 400
                        return response
                    finally:
                        await transaction.finish_async(ok)  # its commit, within the turn
            finally:
                await transaction.finish_async(ok)  # a no-op once the turn's finished it

        return guarded


def answer_of(response: Response) -> idempotency.Answer:
    """What a replay sends again: status, body and its content type."""
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        # A streamed answer cannot be stored; refusing keeps a retry from running twice.
        raise TypeError(f"a {type(response).__name__} cannot be stored for Idempotency-Key")
    return idempotency.Answer(response.status_code, response.headers.get("content-type"), body)


def replay(answer: idempotency.Answer) -> Response:
    headers = {idempotency.REPLAYED_HEADER: "true"}
    if answer.content_type is not None:
        headers["Content-Type"] = answer.content_type
    return Response(answer.body, status_code=answer.status_code, headers=headers)


async def _run_once(
    handler: Callable[[Request], Coroutine[Any, Any, Response]],
    request: Request,
    transaction: RequestTransaction,
    raw_key: str,
) -> Response:
    """Run a keyed write once: claim its key, or replay the answer its first run stored."""
    key = idempotency.checked_key(raw_key)
    team_id = transaction.checked_principal().team_id
    fingerprint = idempotency.request_hash(
        request.method,
        request.url.path,
        request.url.query,
        await request.body(),
    )
    db = transaction.db

    def claim() -> idempotency.Claim | idempotency.Answer:
        if transaction.session.in_transaction():
            # Only the key check ran in it (PostgreSQL): end it, so that a request never
            # holds two pooled connections at once and a full pool cannot starve itself.
            transaction.session.rollback()
        with db.transaction(write=True) as session:
            return idempotency.claim(
                session, team_id=team_id, key=key, fingerprint=fingerprint, now_ms=now_ms()
            )

    claimed = await run_in_threadpool(claim)
    if isinstance(claimed, idempotency.Answer):
        return replay(claimed)
    held = claimed
    transaction.claim = held
    try:
        response = await handler(request)
        if response.status_code < 400 and not transaction.finished:
            # An async endpoint: its transaction, and the stored answer, commit here.
            await run_in_threadpool(transaction.conclude, response)
    except FINAL_ERRORS as exc:
        await transaction.finish_async(False)
        response = await render_error(request, exc)
    except BaseException:
        await transaction.finish_async(False)
        await run_in_threadpool(_settle, db, held, None)
        raise
    if response.status_code < 400:
        return response  # committed with its answer
    await transaction.finish_async(False)
    final = response.status_code < 500 and "retry-after" not in response.headers
    stored = final and isinstance(getattr(response, "body", None), bytes)
    await run_in_threadpool(_settle, db, held, answer_of(response) if stored else None)
    return response


def _settle(db: Database, held: idempotency.Claim, answer: idempotency.Answer | None) -> None:
    """After the rollback: store a final error so its retry gets it again, or release the key."""
    with db.transaction(write=True) as session:
        if answer is None:
            idempotency.release(session, held)
        else:
            idempotency.store(session, held, answer)


async def get_session(request: Request) -> Session:
    """Async only so FastAPI resolves it on the event loop instead of a thread hop."""
    session: Session = request.state.session
    return session


def api_router(tag: str) -> APIRouter:
    """A router whose routes take their principal from the checked key and own their transaction.

    Their error responses are documented once, for every route, by intentsync.api.openapi.
    """
    return APIRouter(
        tags=[tag],
        route_class=ApiRoute,
        dependencies=[Security(api_key_scheme)],
    )


def unprotected_api_routes(app: FastAPI) -> list[str]:
    """API paths served by something other than an ApiRoute (their transaction would be lost)."""
    found = []
    for context in iter_route_contexts(app.router.routes):
        path = context.path or ""
        if path.startswith(API_PREFIX) and not isinstance(context.original_route, ApiRoute):
            found.append(f"{sorted(context.methods or [])} {path}")
    return found


def require_api_routes(app: FastAPI) -> None:
    """Refuse to build an app whose /api/ routes bypass the route class that owns transactions."""
    stray = unprotected_api_routes(app)
    if stray:
        raise RuntimeError(
            "API routes must come from intentsync.api.routing.api_router: " + ", ".join(stray)
        )
